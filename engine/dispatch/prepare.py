"""A batch claimed and prepared in one transaction: the guards' decisions (guards.py) written
back to the rows the claim read, and a delivery row in `sending` for each step about to be
handed to the provider (or `queued`, for a paced channel's later groups).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from onward.channels import DeliveryState, OutboundMessage, body_digest
from onward.engine.deliveries import send_again, set_state
from onward.engine.dispatch.batch_writes import insert_deliveries, write_back, write_footers
from onward.engine.dispatch.claims import claim_due, load_batch
from onward.engine.dispatch.guards import Decision, Placement, Release, Rules, Send, decide
from onward.engine.dispatch.pacing import ChannelHealth
from onward.engine.dispatch.values import (
    Batch,
    Channels,
    Claimed,
    DispatchConfig,
    Prepared,
    group_size,
)
from onward.engine.render import with_footer
from onward.engine.storage.models import STEP_CLAIMED, STEP_PENDING, Recipient
from onward.engine.unsubscribe import unsubscribe_url
from onward.plans import SendWindow


def claim_and_prepare(
    session: Session,
    now: datetime,
    config: DispatchConfig,
    channels: Channels,
    health: ChannelHealth,
    rates: Mapping[str, float] | None = None,
    recover: bool = True,
) -> list[Prepared | str]:
    """Claim up to a batch of due steps and prepare them, in the caller's one transaction.

    The claim is written together with what the guards decide: no separate round of claim
    UPDATEs that the very next statement would overwrite. The first group of steps to send
    (`values.group_size` at the channels' `rates`; all when no rates are given) get their
    delivery in `sending`, about to be handed to the provider; the others wait in `queued`
    until the dispatcher hands them over in turn, so a dispatcher that dies mid-batch leaves
    only those in doubt (the next claimer sends the queued ones). When the channels take a
    whole batch at once (no provider pace: all when no rates are given), each step is written
    once, as sent: its delivery in `sending`, without the provider's answer, is then what says
    a send may be in flight (`in_doubt.mark_in_doubt`). Otherwise the steps wait claimed, with a
    lease.

    With `recover`, steps whose claimer's lease ran out (it died) are claimed too.
    """
    items = claim_due(session, now, config.batch, expired_too=recover)
    for item in items:
        item.step.status, item.step.claimed_by = STEP_CLAIMED, config.worker_id
        item.step.lease_until = now + config.lease
    batch = load_batch(session, items)
    rules = Rules(
        grace=config.grace,
        default_window=config.default_window,
        channel_names={medium: pair[0] for medium, pair in channels.items()},
        held=frozenset(health.problems()),
        org_name=config.org_name,
    )
    windows: dict[tuple[str | None, int], SendWindow] = {}
    placed: dict[Placement, tuple[tuple[datetime, bool], datetime | None]] = {}
    decided: list[_Pending | str] = []
    footers: dict[int, Recipient] = {}
    for item in items:
        decision = decide(item, batch, now, rules, windows, placed)
        decided.append(_apply(session, decision, item, batch, now, config, footers))
    sending = [d for d in decided if isinstance(d, _Pending)]
    write_footers(session, footers)
    now_count = (
        len(sending)
        if rates is None
        else group_size(rates, {d.send.channel_name for d in sending}, config.batch)
    )
    # Channels that take a whole batch at once (no provider pace to wait for) have their steps
    # written as sent now, once; a paced one's stay claimed until their answers are recorded,
    # for as long as the provider's pace stretches the batch.
    whole = rates is None or now_count >= config.batch
    for position, pending in enumerate(sending):
        pending.step_sent = whole
        earlier = batch.latest_delivery.get(pending.item.step.id)
        if pending.delivery_id is not None and earlier is not None:  # a retry: the same row
            send_again(earlier, now, handed_over=position < now_count)
    step_ids = [d.item.step.id for d in sending]
    write_back(
        session,
        batch,
        step_ids if whole else [],
        [] if whole else step_ids,
        config.worker_id,
        now,
        now + config.lease,
    )
    new = [(position, d) for position, d in enumerate(sending) if d.delivery_id is None]
    for handed_over in (True, False):
        part = [d for position, d in new if (position < now_count) == handed_over]
        if part:
            state: DeliveryState = "sending" if handed_over else "queued"
            ids = insert_deliveries(session, [d.new_row() for d in part], now, state)
            for pending in part:
                pending.delivery_id = ids[pending.item.step.id]
    return [d.finish(config.public_url) if isinstance(d, _Pending) else d for d in decided]


def _apply(
    session: Session,
    decision: Decision,
    item: Claimed,
    batch: Batch,
    now: datetime,
    config: DispatchConfig,
    footers: dict[int, Recipient],
) -> _Pending | str:
    """Change the rows the claim read as decided (the batch writes them back together, and
    the people noted in `footers` with the footers they are owed)."""
    step = item.step
    earlier = batch.latest_delivery.get(step.id)
    if isinstance(decision, Release):
        if decision.status is not None:
            step.status = decision.status
        if decision.due_at is not None:
            step.due_at = decision.due_at
        if decision.last_error is not None:
            step.last_error = decision.last_error
        if decision.sent_at is not None:
            step.sent_at = decision.sent_at
        if earlier is not None and decision.earlier_state is not None:
            set_state(earlier, decision.earlier_state, now)
            earlier.error = (decision.earlier_error or "")[:500] or None
        if step.status == STEP_CLAIMED:
            step.status = STEP_PENDING
        step.claimed_by = step.lease_until = None
        return decision.outcome
    # The lease counts from now, not from the claim: steps late in a slow batch must not be
    # taken over (and their delivery marked unknown) while being sent.
    step.lease_until = now + config.lease
    link = (
        unsubscribe_url(session, config.public_url, item.person_id, decision.medium)
        if decision.medium == "email"
        else None
    )
    # The opt-out footer, when owed, is remembered on the person (render.with_footer); a retry
    # says what its first attempt said.
    retry_of = earlier.created_at if decision.reuse and earlier is not None else None
    decision.text = with_footer(
        decision.text,
        decision.medium,
        item.person,
        now,
        unsubscribe_url=link,
        retry_of=retry_of,
        batch=footers,
    )
    delivery_id = None
    if decision.reuse and earlier is not None:  # a retry reuses its delivery
        earlier.channel, earlier.medium = decision.channel_name, decision.medium
        earlier.address = decision.address
        earlier.body_digest = body_digest(decision.text)
        delivery_id = earlier.id
    step.attempts += 1
    return _Pending(item, delivery_id, decision, link)


@dataclass
class _Pending:
    """A step that passed its guards; its delivery id exists once the batch is written."""

    item: Claimed
    delivery_id: int | None  # None until the batch's new rows are inserted
    send: Send
    unsubscribe_url: str | None
    step_sent: bool = False  # written as sent at the claim: its channels take a batch at once

    def new_row(self) -> tuple[int, int, int, str, str, str, str]:
        step, send = self.item.step, self.send
        return (
            step.id,
            step.run_id,
            self.item.person_id,
            send.channel_name,
            send.medium,
            send.address,
            body_digest(send.text),
        )

    def finish(self, public_url: str) -> Prepared:
        assert self.delivery_id is not None
        send = self.send
        message = OutboundMessage(
            delivery_id=self.delivery_id,
            medium=send.medium,  # type: ignore[arg-type]
            to=send.address,
            body=send.text,
            subject=send.subject,
            # Our delivery id travels in the callback URL: a status can always find its row.
            status_callback_url=(
                f"{public_url}/webhooks/{send.channel_name}/status?delivery={self.delivery_id}"
            ),
            expires_at=send.expires_at,
            unsubscribe_url=self.unsubscribe_url,
        )
        step = self.item.step
        return Prepared(
            step.id, self.delivery_id, send.channel_name, message, step.due_at, self.step_sent
        )

"""The guards a claimed step passes at the moment of sending, then its delivery row in `sending`.

Everything is checked again here, not at claim time: the person may have opted out, the run
may have been paused or superseded, the window may have closed, a reminder's prompt may have
been answered, the step may be too old to send at all. `decide` is pure: over what the claim
read, it says what becomes of the step (a `Release`, or a `Send` with the rendered text);
`_apply` then changes the rows the claim read, and the batch writes them back at once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from onward.channels import DeliveryState, OutboundMessage, body_digest
from onward.engine import people
from onward.engine.deliveries import send_again, set_state
from onward.engine.dispatch.claims import (
    LOST_LEASE,
    claim_due,
    insert_deliveries,
    load_batch,
    write_back,
    write_footers,
)
from onward.engine.dispatch.pacing import ChannelHealth
from onward.engine.dispatch.values import (
    HELD_CHANNEL_DELAY,
    Batch,
    Channels,
    Claimed,
    DeliveryRow,
    DispatchConfig,
    Prepared,
    StepRow,
    group_size,
)
from onward.engine.dispatch.wording import wording
from onward.engine.one_offs import is_one_off, unwanted
from onward.engine.render import with_footer
from onward.engine.schedule import reminder_due, window_for
from onward.engine.storage.models import (
    RUN_ACTIVE,
    RUN_PAUSED,
    STEP_CANCELLED,
    STEP_CLAIMED,
    STEP_FAILED,
    STEP_MISSED,
    STEP_PENDING,
    STEP_SENT,
    STEP_SKIPPED,
    Person,
)
from onward.engine.timing import business_day_checker, place_in_window, window_closes_at
from onward.engine.unsubscribe import unsubscribe_url
from onward.plans import Plan, SendWindow, assign_arm, skipped_for
from onward.plans import Step as PlanStep

# A step's place in its send window: its zone, window, country (business days) and whether
# it counts business days.
Placement = tuple[str, SendWindow, str | None, bool]

# Where a delivery still stands when its step is looked at again: retried, not sent before.
_RETRYABLE = ("queued", "failed", "undelivered")


@dataclass(frozen=True, slots=True)
class Rules:
    """What the guards compare a step with, besides the step: fixed for one batch."""

    grace: timedelta
    default_window: SendWindow
    channel_names: Mapping[str, str]  # medium -> the channel that carries it
    held: Collection[str]  # channels whose credentials were refused
    org_name: str = "onward"


# Plain (not frozen) dataclasses: a frozen one's __init__ costs a microsecond or two a step.
@dataclass(slots=True)
class Release:
    """The step is not sent now: what it becomes, and what becomes of a retry it had queued."""

    outcome: str
    status: str | None = None  # None: back to pending (when claimed)
    due_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    earlier_state: DeliveryState | None = None  # its latest delivery moves to this state
    earlier_error: str | None = None


@dataclass(slots=True)
class Send:
    """The step goes out now, rendered, on this channel and address."""

    channel_name: str
    medium: str
    address: str
    text: str
    subject: str
    expires_at: datetime | None
    reuse: bool  # its queued delivery (a retry) is sent again rather than a new one written


Decision = Release | Send


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
    a send may be in flight (`claims.mark_in_doubt`). Otherwise the steps wait claimed, with a
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
    for item in items:
        decision = decide(item, batch, now, rules, windows, placed)
        decided.append(_apply(session, decision, item, batch, now, config))
    sending = [d for d in decided if isinstance(d, _Pending)]
    write_footers(session, [d.item.person for d in sending])
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


def decide(
    item: Claimed,
    batch: Batch,
    now: datetime,
    rules: Rules,
    windows: dict[tuple[str | None, int], SendWindow],
    placed: dict[Placement, tuple[tuple[datetime, bool], datetime | None]] | None = None,
) -> Decision:
    """What becomes of one claimed step, from what the claim read. Reads only; `windows`
    memoises the window of each (person's own window, plan) pair."""
    step, person = item.step, item.person
    earlier = batch.latest_delivery.get(step.id)
    if item.run_status == RUN_PAUSED:
        return Release("held")
    if item.run_status != RUN_ACTIVE:
        return _dropped("cancelled", STEP_CANCELLED, f"run {item.run_status}", earlier, "cancelled")
    if earlier is not None and earlier.status not in _RETRYABLE:
        # Sent, or a sender vanished mid-send: never blindly send again.
        vanished = earlier.status == "sending"
        return Release(
            "unknown" if vanished or earlier.status == "unknown" else "already-sent",
            status=STEP_SENT,
            sent_at=step.sent_at or earlier.created_at,
            earlier_state="unknown" if vanished else None,
            earlier_error=LOST_LEASE if vanished else None,
        )
    plan = batch.plans[item.plan_version_id]
    # The window depends only on the person's own setting and the plan: worked out once a batch.
    key = (person.send_window, item.plan_version_id)
    window = windows.get(key)
    if window is None:
        window = windows[key] = window_for(person, plan, rules.default_window)
    tz = ZoneInfo(person.timezone)
    plan_step, arm = None, None
    if is_one_off(step.step_key):
        reason = unwanted(batch.one_offs.get(step.id), now)
        if reason is not None:
            return _dropped("skipped", STEP_SKIPPED, reason, earlier, "cancelled")
    else:
        plan_step = plan.step(step.step_key.removesuffix(".reminder"))
        arm = assign_arm(plan, person.id)
        held_back = _plan_step_gate(item, batch, plan_step, arm, plan, window)
        if held_back is not None:
            return held_back
    if now - step.due_at > rules.grace:
        reason = "overdue past the grace period; not sent late"
        return _dropped("missed", STEP_MISSED, reason, earlier, "missed")
    # Where `now` falls in the window depends on the zone, the window and, for a step counted
    # in business days, the country: worked out once a batch for each (`placed` memoises it).
    # A one-off step (no plan step) counts plain days.
    business = plan_step is not None and plan_step.business_days
    country = person.country if business else None
    spot = (person.timezone, window, country, business)
    placement = placed.get(spot) if placed is not None else None
    if placement is None:
        is_open_day = business_day_checker(country) if business else None
        placement = (
            place_in_window(now, tz, window, is_open_day),
            window_closes_at(now, tz, window),
        )
        if placed is not None:
            placed[spot] = placement
    (opening, moved), closes = placement
    if moved:
        return Release("rescheduled", status=STEP_PENDING, due_at=opening)
    medium = _medium_for(step, person, rules.channel_names)
    if medium is None:
        reason = "no medium can carry it (opted out?)"
        return _dropped("skipped", STEP_SKIPPED, reason, earlier, "cancelled")
    channel_name = rules.channel_names[medium]
    if channel_name in rules.held:
        return Release("held", status=STEP_PENDING, due_at=now + HELD_CHANNEL_DELAY)
    address = people.address_on(person, medium)
    assert address is not None
    text, subject = wording(item, batch, plan, arm, now, rules.org_name, medium == "email")
    return Send(
        channel_name=channel_name,
        medium=medium,
        address=address,
        text=text,
        subject=subject,
        expires_at=closes,
        reuse=earlier is not None and earlier.status == "queued",
    )


def _plan_step_gate(
    item: Claimed,
    batch: Batch,
    plan_step: PlanStep,
    arm: str | None,
    plan: Plan,
    window: SendWindow,
) -> Decision | None:
    """What holds back a plan's step before its time is checked: the experiment's control arm
    leaves it out, or (for a reminder) its prompt was answered or is not sent yet."""
    step, earlier = item.step, batch.latest_delivery.get(item.step.id)
    if skipped_for(plan, arm, plan_step.id):
        reason = "left out for the experiment's control arm"
        return _dropped("skipped", STEP_SKIPPED, reason, earlier, "cancelled")
    if step.reminder_of is None:
        return None
    parent = batch.parents.get(step.reminder_of)
    if (
        parent is None
        or parent.answered_at is not None
        or parent.status in (STEP_CANCELLED, STEP_MISSED, STEP_SKIPPED, STEP_FAILED)
    ):
        reason = (
            "the prompt was answered" if parent and parent.answered_at else "no prompt to remind of"
        )
        return _dropped("skipped", STEP_SKIPPED, reason, earlier, "cancelled")
    if parent.status != STEP_SENT:
        due = reminder_due(parent.due_at, plan_step, item.person, window)
        return Release("rescheduled", status=STEP_PENDING, due_at=due)
    return None


def _dropped(
    outcome: str, status: str, reason: str, earlier: DeliveryRow | None, state: DeliveryState
) -> Release:
    """The step ends unsent; a retry it had queued says so rather than stay queued."""
    queued = earlier is not None and earlier.status == "queued"
    return Release(
        outcome,
        status=status,
        last_error=reason,
        earlier_state=state if queued else None,
        earlier_error=reason if queued else None,
    )


def _medium_for(step: StepRow, person: Person, channel_names: Mapping[str, str]) -> str | None:
    """A fallback step keeps the medium it fell back to; others follow the person's preference."""
    if step.medium is not None:
        usable = people.status_on(person, step.medium) == people.ACTIVE
        return step.medium if usable and step.medium in channel_names else None
    medium = people.sendable_medium(person)
    return medium if medium in channel_names else None


def _apply(
    session: Session,
    decision: Decision,
    item: Claimed,
    batch: Batch,
    now: datetime,
    config: DispatchConfig,
) -> _Pending | str:
    """Change the rows the claim read as decided (the batch writes them back together)."""
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
        decision.text, decision.medium, item.person, now, unsubscribe_url=link, retry_of=retry_of
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

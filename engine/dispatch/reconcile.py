"""Sends in doubt settled by asking the provider, where its API lists what it took.

A delivery is `unknown` when its sender died (or its send call timed out) between handing the
message over and recording the answer. Sending it again could reach the person twice; never
sending it could lose it. A channel that can look the message up (`FindsSent`: Twilio lists
the messages sent to a number) settles it: found, it was sent, with the provider's id; not
found once any request for it has surely ended, it never left, and its step is sent again.
Channels that cannot look (SMTP, SendGrid, the console) leave it `unknown` for an operator
(`onward deliveries list --unknown`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from onward.channels import (
    ChannelError,
    FindsSent,
    SendInDoubt,
    SendResult,
    can_advance,
)
from onward.engine.clock import Clock
from onward.engine.deliveries import set_state
from onward.engine.logs import get_logger
from onward.engine.storage.db import READ_ONLY
from onward.engine.storage.models import STEP_PENDING, STEP_SENT, Delivery, Step, status_is

log = get_logger("onward.dispatch")

# Only recent doubts are worth a look: a nudge a day late is stale, and the provider's list
# is read newest first.
LOOK_BACK = timedelta(days=1)
PER_TICK = 20
SETTLED_SENT = "settled: the provider had taken it"
SETTLED_NEVER = "settled: the provider never took it; sent again"
SETTLED_LOST = "settled: the provider never took it"


def finders(channels: Mapping[str, object]) -> dict[str, FindsSent]:
    """The channels (by name) whose provider can be asked about a send in doubt."""
    return {name: ch for name, ch in channels.items() if isinstance(ch, FindsSent)}


def settle(
    sessions: sessionmaker[Session], clock: Clock, found_by: Mapping[str, FindsSent]
) -> Counter[str]:
    """Ask the providers about the sends in doubt that are old enough to be sure of; returns a
    count of verdicts ("sent", "never-sent", "undecided")."""
    verdicts: Counter[str] = Counter()
    if not found_by:
        return verdicts
    now = clock.now()
    for doubt, channel_name in _in_doubt(sessions, now, found_by):
        try:
            result = found_by[channel_name].find_sent(doubt)
        except ChannelError as exc:  # the provider cannot tell now: asked again next time
            log.warning("could not settle a send in doubt", channel=channel_name, error=str(exc))
            verdicts["undecided"] += 1
            continue
        with sessions.begin() as session:
            verdicts[_apply(session, doubt.delivery_id, result, clock.now())] += 1
    return verdicts


def _in_doubt(
    sessions: sessionmaker[Session], now: datetime, found_by: Mapping[str, FindsSent]
) -> list[tuple[SendInDoubt, str]]:
    quickest = min(channel.settle_after for channel in found_by.values())
    with sessions() as session:
        session.connection(execution_options=READ_ONLY)
        rows = session.execute(
            select(
                Delivery.id,
                Delivery.channel,
                Delivery.address,
                Delivery.body_digest,
                Delivery.created_at,
                Delivery.updated_at,
            )
            .where(
                status_is(Delivery.status, "unknown"),
                Delivery.channel.in_(list(found_by)),
                Delivery.body_digest.is_not(None),
                Delivery.created_at >= now - LOOK_BACK,
                Delivery.updated_at <= now - quickest,
            )
            .order_by(Delivery.id)
            .limit(PER_TICK)
        ).all()
    return [
        # Marked unknown at `updated_at`: the provider's answer is certain `settle_after` later.
        # It may have taken the message any time after the delivery was made.
        (SendInDoubt(row.id, row.address, row.body_digest, row.created_at), row.channel)
        for row in rows
        if now - row.updated_at >= found_by[row.channel].settle_after
    ]


def _apply(session: Session, delivery_id: int, result: SendResult | None, now: datetime) -> str:
    delivery = session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.status != "unknown":
        return "settled-elsewhere"  # another replica, or a status callback, got there first
    if result is not None:
        delivery.provider_id = result.provider_id
        state = result.status if can_advance("sent", result.status) else "sent"
        set_state(delivery, state, now)
        delivery.error = SETTLED_SENT
        log.info("a send in doubt was taken by the provider", delivery=delivery_id)
        return "sent"
    step = session.get(Step, delivery.step_id) if delivery.step_id is not None else None
    if step is None or step.status != STEP_SENT:
        # An immediate reply (its moment has passed), or a step that moved on meanwhile.
        set_state(delivery, "failed", now)
        delivery.error = SETTLED_LOST
        return "never-sent"
    # It never left: the same delivery goes out again, through every guard, due now.
    set_state(delivery, "queued", now)
    delivery.error = SETTLED_NEVER
    step.status, step.due_at, step.sent_at = STEP_PENDING, now, None
    step.claimed_by = step.lease_until = None
    step.last_error = SETTLED_NEVER
    log.warning("a send in doubt never reached the provider: sent again", delivery=delivery_id)
    return "never-sent"

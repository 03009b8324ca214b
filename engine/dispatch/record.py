"""Record what the provider said about each send of a batch, in one transaction after the sends.

Accepted sends, the common case, are written with a statement or two for the whole batch (and,
when nothing else is, committed without waiting for the disk: batch_sql.answers_only); every
other result (a failure, a retry, a send never made) goes through its rules in dispatch/outcomes.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from onward.channels import (
    STATE_RANK,
    ChannelError,
    ProviderAuthError,
    SendOutcomeUnknown,
    SendResult,
    TransientSendError,
    can_advance,
)
from onward.engine.dispatch import outcomes
from onward.engine.dispatch.batch_sql import ByBackend, answers_only, fresh_plans
from onward.engine.dispatch.batch_writes import steps_sent
from onward.engine.dispatch.pacing import ChannelHealth
from onward.engine.dispatch.retry import RetryPolicy
from onward.engine.dispatch.values import HELD_CHANNEL_DELAY, Accepted, Prepared, Sent
from onward.engine.logs import get_logger
from onward.engine.metrics import DELIVERIES, DISPATCH_LAG, SEND_ERRORS
from onward.engine.storage.bulk_rows import update_rows
from onward.engine.storage.declarative import Base
from onward.engine.storage.models import Delivery, Run, Step

log = get_logger("onward.dispatch")

_DELIVERIES = Base.metadata.tables["deliveries"]
# Built once (a statement built afresh is keyed and looked up in the compiled cache each time).
_SENT = ByBackend(steps_sent)


def record(
    session: Session,
    sent: Sent,
    now: datetime,
    mediums: Collection[str],
    retry: RetryPolicy,
    health: ChannelHealth,
) -> list[str]:
    """Each send's outcome ("sent", "retried", "failed", ...), in the order of `sent`."""
    accepted: Accepted = []
    rest: list[tuple[Prepared, Exception | None]] = []
    for prepared, result in sent:
        if isinstance(result, SendResult):
            accepted.append((prepared, result))
        else:
            rest.append((prepared, result))
    if not rest:  # the common case: the answers are all there is to write
        answers_only(session)
        _record_accepted(session, accepted, now)
        return ["sent"] * len(sent)
    if accepted:
        with fresh_plans(session):  # deliveries by id, one UPDATE each
            _record_accepted(session, accepted, now)
    deliveries = {
        d.id: d
        for d in session.scalars(
            select(Delivery).where(Delivery.id.in_([p.delivery_id for p, _ in rest]))
        )
    }
    steps = {
        s.id: s
        for s in session.scalars(
            select(Step)
            .where(Step.id.in_([p.step_id for p, _ in rest]))
            .options(joinedload(Step.run, innerjoin=True).joinedload(Run.person, innerjoin=True))
        ).unique()
    }
    usable = set(mediums)
    by_delivery = {
        p.delivery_id: _apply(session, p, r, deliveries, steps, now, usable, retry, health)
        for p, r in rest
    }
    return [by_delivery.get(p.delivery_id, "sent") for p, _ in sent]


def record_accepted(session: Session, accepted: Accepted, now: datetime) -> None:
    """Write the answers of sends the provider accepted, by key, as `record` would, in any
    transaction: the next batch's claim, which commits as any claim does, carries them."""
    with fresh_plans(session):
        _record_accepted(session, accepted, now)


def _record_accepted(session: Session, accepted: Accepted, now: datetime) -> None:
    delivery_rows = []
    counts: Counter[tuple[str, str]] = Counter()
    for prepared, result in accepted:
        # The provider's first word can only move a delivery up from `sending`.
        state = result.status if can_advance("sending", result.status) else "sending"
        delivery_rows.append((prepared.delivery_id, result.provider_id, state, STATE_RANK[state]))
        DISPATCH_LAG.observe(max((now - prepared.due_at).total_seconds(), 0.0))
        counts[prepared.channel_name, state] += 1
    for (channel, status), count in counts.items():
        DELIVERIES.labels(channel, status).inc(count)
    # A status callback may have come in while the send call was returning (a fast provider):
    # the state only moves forward, as in status_callbacks.apply_status. One UPDATE writes it all:
    # a second one would write every index of each row again.
    update_rows(
        session,
        _DELIVERIES,
        ("id", "provider_id", "status", "status_rank"),
        delivery_rows,
        {"error": None, "updated_at": now},
        forward=("status", "status_rank"),
    )
    # A step handed over at the claim was written as sent then; the others (a paced batch's
    # later groups) end the same way: one UPDATE for them all. Core statements by primary key,
    # not the ORM's: a row erased meanwhile (FORGET) is simply not matched.
    held = [prepared.step_id for prepared, _ in accepted if not prepared.step_sent]
    if held:
        session.execute(_SENT.on(session), {"ids": held, "now": now})


def _apply(
    session: Session,
    prepared: Prepared,
    result: Exception | None,
    deliveries: dict[int, Delivery],
    steps: dict[int, Step],
    now: datetime,
    mediums: set[str],
    retry: RetryPolicy,
    health: ChannelHealth,
) -> str:
    name = prepared.channel_name
    delivery = deliveries.get(prepared.delivery_id)
    step = steps.get(prepared.step_id)
    if delivery is None or step is None:
        return "lost"  # erased (FORGET) while the provider was being called
    if result is None:
        outcome = outcomes.record_released(delivery, step, now, prepared.step_sent)
    else:
        code = getattr(result, "code", None) or type(result).__name__
        if isinstance(result, SendOutcomeUnknown):
            log.warning("provider may have taken the message; not sent again", channel=name)
        elif isinstance(result, ProviderAuthError):
            health.disable(name, str(result))
            log.error("provider refused our credentials: channel held", channel=name)
        elif not isinstance(result, ChannelError):
            # A channel bug or an unmapped SDK error: retried like a transient one, then given up.
            log.error("channel raised an unexpected error", channel=name, error=repr(result))
            result = TransientSendError(f"{type(result).__name__}: {result}")
        outcome = outcomes.record_error(
            session, delivery, step, result, mediums, retry, now, HELD_CHANNEL_DELAY
        )
        SEND_ERRORS.labels(name, str(code)).inc()
    DELIVERIES.labels(name, "retrying" if outcome == "retried" else delivery.status).inc()
    return outcome

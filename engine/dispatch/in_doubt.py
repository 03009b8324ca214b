"""Sends in doubt: deliveries a dispatcher handed to the provider and never recorded, though its
lease ran out. Each becomes `unknown` and is never sent again; reconcile.py asks the providers
that can tell."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from onward.channels import STATE_RANK
from onward.engine.dispatch.batch_sql import ByBackend
from onward.engine.dispatch.claims import DELIVERIES, STEPS
from onward.engine.storage.bulk_rows import is_postgres
from onward.engine.storage.models import STEP_SENT, UNANSWERED, status_is

LOST_LEASE = "the sender lost its lease before recording a result; not re-sent"
# Handed over by a dispatcher that never recorded the provider's answer (a recorded one has
# the provider's id, even while the provider still says `queued`), read off the partial index
# of those alone: its condition written out, as both planners match it only so.
_LOCKED_UNANSWERED = (
    select(DELIVERIES.c.id, DELIVERIES.c.step_id)
    .where(text(UNANSWERED), DELIVERIES.c.updated_at < bindparam("before"))
    .with_for_update(skip_locked=True)
)
# SQLite's planner would take the index on status (every send Twilio answered `queued` stays
# `sending` until its callback): named.
_UNANSWERED = text(
    "SELECT id, step_id FROM deliveries INDEXED BY ix_deliveries_unanswered "
    f"WHERE {UNANSWERED} AND updated_at < :before"
).bindparams(bindparam("before", type_=DELIVERIES.c.updated_at.type))
_STEPS_SENT = ByBackend(
    lambda ids: select(STEPS.c.id).where(ids(STEPS.c.id), status_is(STEPS.c.status, STEP_SENT))
)
_MARK_UNKNOWN = ByBackend(
    lambda ids: (
        update(DELIVERIES)
        .where(ids(DELIVERIES.c.id), status_is(DELIVERIES.c.status, "sending"))
        .values(
            status="unknown",
            status_rank=STATE_RANK["unknown"],
            error=LOST_LEASE,
            updated_at=bindparam("now"),
        )
    )
)


def mark_in_doubt(session: Session, now: datetime, lease: timedelta) -> int:
    """Deliveries a dispatcher handed to the provider and never recorded, though its lease ran
    out: `unknown`, never sent again (engine/dispatch/reconcile.py asks the providers that can
    tell). Returns how many."""
    query = _LOCKED_UNANSWERED if is_postgres(session) else _UNANSWERED
    found = session.execute(query, {"before": now - lease}).all()
    if not found:
        return 0
    # Only those whose step the claim wrote as sent: a paced batch's steps stay claimed, and
    # the claim of their expired lease settles them (guards.decide).
    steps = [step_id for _, step_id in found]
    sent = set(session.scalars(_STEPS_SENT.on(session), {"ids": steps}))
    ids = [delivery_id for delivery_id, step_id in found if step_id in sent]
    if ids:
        session.execute(_MARK_UNKNOWN.on(session), {"ids": ids, "now": now})
    return len(ids)

"""Housekeeping: pauses that ran out, inbound messages to route again, runs that are over,
people kept past retention, journal links long expired."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from onward.engine.journal.links import forget_expired
from onward.engine.records.retention import erase_idle
from onward.engine.runs import complete, resume_due
from onward.engine.storage.models import RUN_ACTIVE, WAITING_STEP_STATUSES, Run, Step
from onward.plans import SendWindow

# A run whose last step went out this long ago, with nothing left to send, is complete:
# long enough for late replies (APPLIED, journal answers) to still find it.
RUN_SETTLE = timedelta(days=7)


def complete_settled_runs(session: Session, now: datetime) -> int:
    waiting = exists().where(Step.run_id == Run.id, Step.status.in_(WAITING_STEP_STATUSES))
    recent = exists().where(Step.run_id == Run.id, Step.sent_at > now - RUN_SETTLE)
    runs = session.scalars(
        select(Run).where(
            Run.status == RUN_ACTIVE, Run.started_at <= now - RUN_SETTLE, ~waiting, ~recent
        )
    ).all()
    for run in runs:
        complete(session, run, now)
    return len(runs)


def sweep(
    session: Session, now: datetime, default_window: SendWindow, retention_days: int = 0
) -> dict[str, int]:
    return {
        "resumed": resume_due(session, now, default_window),
        "completed": complete_settled_runs(session, now),
        "erased_by_retention": erase_idle(session, now, retention_days),
        "journal_links_forgotten": forget_expired(session, now),
    }

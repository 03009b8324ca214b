"""Runs of a plan once started: pause, resume, finish, an opt-out and START after it; what is
open or next. Starting one (superseding older ones) is run_start.py's."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from onward.engine import consent_ledger, people
from onward.engine.errors import NotFound, UsageError
from onward.engine.plan_store import parsed
from onward.engine.schedule import cancel_waiting, shift_waiting, window_for
from onward.engine.storage.models import (
    OPEN_RUN_STATUSES,
    RUN_ACTIVE,
    RUN_CANCELLED,
    RUN_COMPLETED,
    RUN_PAUSED,
    STEP_CANCELLED,
    STEP_PENDING,
    STEP_SENT,
    InboundMessage,
    Person,
    Run,
    Step,
    status_is,
)
from onward.plans import PROMPT_KINDS, SendWindow

# The reason an opt-out writes on the steps it cancels: START finds the plan STOP ended by it.
OPTED_OUT_REASON = "opted out"
# START resumes the plan STOP ended only this soon after: later, the plan's moment has passed.
RESUMABLE_AFTER_OPT_OUT = timedelta(days=30)


# Built once (every inbound message asks): building a query costs about as much as running it.
_OPEN_RUNS = (
    select(Run)
    .where(Run.person_id == bindparam("person_id"), Run.status.in_(OPEN_RUN_STATUSES))
    .order_by(Run.started_at.desc(), Run.id.desc())
)
# The most recently sent prompt of the person's current run, in one statement.
_OPEN_PROMPT = (
    select(Step)
    .where(
        Step.run_id == _OPEN_RUNS.with_only_columns(Run.id).limit(1).scalar_subquery(),
        status_is(Step.status, STEP_SENT),
        Step.kind.in_(PROMPT_KINDS),
        Step.reminder_of.is_(None),
    )
    .order_by(Step.sent_at.desc(), Step.id.desc())
    .limit(1)
)


def open_runs(session: Session, person_id: int) -> list[Run]:
    return list(session.scalars(_OPEN_RUNS, {"person_id": person_id}))


def current_run(session: Session, person_id: int) -> Run | None:
    runs = open_runs(session, person_id)
    return runs[0] if runs else None


def get_run(session: Session, run_id: int) -> Run:
    run = session.get(Run, run_id)
    if run is None:
        raise NotFound(f"no run with id {run_id}")
    return run


def finish(session: Session, run: Run, status: str, now: datetime, reason: str) -> None:
    cancel_waiting(session, run.id, reason, now)
    run.status = status
    run.ended_at = now
    run.paused_until = None


def opt_out(
    session: Session, person: Person, medium: str, now: datetime, how: consent_ledger.How
) -> None:
    """The person wants nothing more on `medium` (STOP, an unsubscribe link). When nothing
    else can carry their plans, the plans end: their waiting steps are cancelled, not skipped
    one by one. `how` says what asked for it, for the consent ledger."""
    consent_ledger.record(person, medium, people.OPTED_OUT, now, how)
    # Replies still owed on that medium (to messages written before) are not sent either; a
    # STOP's own confirmation is owed only once its routing, running now, is done.
    session.execute(
        update(InboundMessage)
        .where(
            InboundMessage.person_id == person.id,
            InboundMessage.medium == medium,
            InboundMessage.reply_owed.is_(True),
        )
        .values(reply_owed=None)
    )
    if people.sendable_medium(person) is None:
        for run in open_runs(session, person.id):
            finish(session, run, RUN_CANCELLED, now, OPTED_OUT_REASON)


def pause(session: Session, run: Run, now: datetime, until: datetime | None, reason: str) -> None:
    """Hold a run: nothing is claimed while paused; resuming shifts what is still waiting."""
    if run.status not in OPEN_RUN_STATUSES:
        raise UsageError(f"run {run.id} is {run.status}, not running")
    if run.status == RUN_ACTIVE:
        run.paused_at = now
    run.status = RUN_PAUSED
    run.paused_until = until
    run.pause_reason = reason


def resume(session: Session, run: Run, now: datetime, default_window: SendWindow) -> None:
    if run.status != RUN_PAUSED:
        raise UsageError(f"run {run.id} is {run.status}, not paused")
    held = now - (run.paused_at or now)
    plan = parsed(run.plan_version)
    shift_waiting(
        session,
        run,
        max(held, timedelta(0)),
        run.person,
        window_for(run.person, plan, default_window),
    )
    run.status = RUN_ACTIVE
    run.paused_at = run.paused_until = run.pause_reason = None


def reopen_after_opt_out(
    session: Session, person: Person, now: datetime, default_window: SendWindow
) -> Run | None:
    """START after STOP: the plan the opt-out ended carries on, if that was its latest run and
    it ended within 30 days. Its cancelled steps wait again, shifted by the time it was stopped
    and placed in the send window, as RESUME does; nothing is sent at night."""
    latest = session.scalars(
        select(Run).where(Run.person_id == person.id).order_by(Run.started_at.desc(), Run.id.desc())
    ).first()
    if (
        latest is None
        or latest.status != RUN_CANCELLED
        or latest.ended_at is None
        or now - latest.ended_at > RESUMABLE_AFTER_OPT_OUT
    ):
        return None
    stopped = session.scalars(
        select(Step).where(
            Step.run_id == latest.id,
            status_is(Step.status, STEP_CANCELLED),
            Step.last_error == OPTED_OUT_REASON,
        )
    ).all()
    if not stopped:
        return None
    for step in stopped:
        step.status, step.last_error = STEP_PENDING, None
    held = max(now - latest.ended_at, timedelta(0))
    latest.status, latest.ended_at = RUN_ACTIVE, None
    session.flush()
    plan = parsed(latest.plan_version)
    shift_waiting(session, latest, held, person, window_for(person, plan, default_window))
    return latest


def cancel(session: Session, run: Run, now: datetime) -> None:
    if run.status not in OPEN_RUN_STATUSES:
        raise UsageError(f"run {run.id} is already {run.status}")
    finish(session, run, RUN_CANCELLED, now, "cancelled by an operator")


def complete(session: Session, run: Run, now: datetime) -> None:
    finish(session, run, RUN_COMPLETED, now, "completed")


def resume_due(session: Session, now: datetime, default_window: SendWindow) -> int:
    """Housekeeping: runs whose pause has run out carry on by themselves."""
    runs = session.scalars(
        select(Run).where(
            Run.status == RUN_PAUSED, Run.paused_until.is_not(None), Run.paused_until <= now
        )
    ).all()
    for run in runs:
        resume(session, run, now, default_window)
    return len(runs)


def open_prompt(session: Session, person_id: int) -> Step | None:
    """The most recently sent prompt of the person's running plan: replies go to its journal."""
    return session.scalars(_OPEN_PROMPT, {"person_id": person_id}).first()

"""Runs of a plan: start (superseding older ones), pause, resume, finish; what is open or next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from onward.engine import consent_ledger, one_offs, people
from onward.engine.errors import NotFound, UsageError
from onward.engine.numbers import experiments
from onward.engine.plan_store import parsed
from onward.engine.schedule import (
    NewStep,
    SentNow,
    cancel_waiting,
    expand_run,
    shift_waiting,
    window_for,
)
from onward.engine.storage.bulk_rows import insert_one
from onward.engine.storage.models import (
    OPEN_RUN_STATUSES,
    RUN_ACTIVE,
    RUN_CANCELLED,
    RUN_COMPLETED,
    RUN_PAUSED,
    RUN_SUPERSEDED,
    STEP_CANCELLED,
    STEP_PENDING,
    STEP_SENT,
    InboundMessage,
    Person,
    PlanVersion,
    Rejection,
    Run,
    Step,
    status_is,
)
from onward.engine.storage.plain_writes import as_loaded, row_values, write_now
from onward.plans import PROMPT_KINDS, SendWindow

# The reason an opt-out writes on the steps it cancels: START finds the plan STOP ended by it.
OPTED_OUT_REASON = "opted out"
# START resumes the plan STOP ended only this soon after: later, the plan's moment has passed.
RESUMABLE_AFTER_OPT_OUT = timedelta(days=30)


Written = TypeVar("Written", Rejection, Run)


@dataclass(frozen=True)
class Started:
    run: Run
    steps: list[NewStep]


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


def start_run(
    session: Session,
    person: Person,
    version: PlanVersion,
    company: str,
    role: str,
    now: datetime,
    default_window: SendWindow,
    sent_now: SentNow | None = None,
    superseding: Sequence[Run] | None = None,
) -> Started:
    """Record the rejection and start its plan; one person never gets two streams.

    Steps `sent_now` picks are written as sent: they go in the reply to the person's message.
    `superseding`: the person's open runs when the caller has read them already (none, for
    someone with no current run); otherwise they are looked up.
    """
    older = open_runs(session, person.id) if superseding is None else superseding
    # A new plan's first message says how to stop, whenever the last one did (render.py).
    if person.sms_footer_at is not None or person.email_footer_at is not None:
        write_now(session, person, sms_footer_at=None, email_footer_at=None)
    rejection = _written(
        session,
        Rejection,
        {"person_id": person.id, "company": company, "role": role, "reported_at": now},
    )
    started = _begin(session, person, version, rejection, now, default_window, sent_now)
    if older:
        # An interview's prep nudge outlives the plan it was booked in.
        one_offs.carry_over(session, [old.id for old in older], started.run.id)
    for old in older:
        finish(session, old, RUN_SUPERSEDED, now, "superseded by a newer rejection")
    return started


def start_welcome(
    session: Session, person: Person, version: PlanVersion, now: datetime, window: SendWindow
) -> Started:
    """The one-message run that greets someone an operator enrolled: it answers no rejection."""
    return _begin(session, person, version, None, now, window)


def start_prep_run(session: Session, person: Person, now: datetime) -> Run:
    """A run of its own to carry an interview's prep nudge, for someone with no plan running:
    no plan steps, only the one-off steps added to it (a later rejection supersedes it and
    takes the nudge over)."""
    run = Run(
        person=person,
        rejection=None,
        plan_version=one_offs.prep_plan_version(session, now),
        status=RUN_ACTIVE,
        applied_count=0,
        started_at=now,
    )
    session.add(run)
    session.flush()
    return run


def _begin(
    session: Session,
    person: Person,
    version: PlanVersion,
    rejection: Rejection | None,
    now: datetime,
    default_window: SendWindow,
    sent_now: SentNow | None = None,
) -> Started:
    # Plain INSERTs, the rows then in the session as if loaded (storage/plain_writes.py): rendering
    # the opening step later finds the rejection in hand instead of loading it again.
    if person.id is None:
        session.flush()
    values = {
        "person_id": person.id,
        "rejection_id": rejection.id if rejection is not None else None,
        "plan_version_id": version.id,
        "status": RUN_ACTIVE,
        "applied_count": 0,
        "started_at": now,
    }
    run = _written(session, Run, values)
    set_committed_value(run, "person", person)
    set_committed_value(run, "rejection", rejection)
    set_committed_value(run, "plan_version", version)
    plan = parsed(version)
    experiments.record_arm(session, run, plan, now)
    window = window_for(person, plan, default_window)
    steps = expand_run(session, run, plan, person, now, window, sent_now)
    return Started(run=run, steps=steps)


def _written(session: Session, model: type[Written], given: dict[str, Any]) -> Written:
    """A row written by one plain INSERT, as the ORM object the rest of the turn works with."""
    values = row_values(cast(Table, model.__table__), given)
    row = insert_one(session.connection(), cast(Table, model.__table__), values)
    assert row is not None
    return as_loaded(session, model, row[0], values)


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

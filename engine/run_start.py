"""Starting a run: a rejection recorded and its plan begun, superseding the person's older runs
(one person never gets two streams); the one-message run that greets someone an operator
enrolled; a run of its own to carry an interview's prep nudge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from onward.engine import one_offs
from onward.engine.numbers import experiments
from onward.engine.plan_store import parsed
from onward.engine.runs import finish, open_runs
from onward.engine.schedule import NewStep, SentNow, expand_run, window_for
from onward.engine.storage.bulk_rows import insert_one
from onward.engine.storage.driver_sql import connection_of
from onward.engine.storage.models import (
    RUN_ACTIVE,
    RUN_SUPERSEDED,
    Person,
    PlanVersion,
    Rejection,
    Run,
)
from onward.engine.storage.plain_writes import as_loaded, row_values, write_now
from onward.plans import SendWindow

Written = TypeVar("Written", Rejection, Run)


@dataclass(frozen=True)
class Started:
    run: Run
    steps: list[NewStep]


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
    row = insert_one(connection_of(session), cast(Table, model.__table__), values)
    assert row is not None
    return as_loaded(session, model, row[0], values)

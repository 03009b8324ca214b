"""The router's one read of a conversation before it acts: the sender, their current run with its
rejection, the prompt open in it, whether a coach holds them, and the newest plan version (whose
id keys the cached trigger keywords). Two statements where it took six (one for a new sender):
each read through the ORM costs more than the query itself. The handlers find these in the
Turn; nothing reads them again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from onward.engine.people import find_person
from onward.engine.storage.console_models import Coaching
from onward.engine.storage.models import (
    OPEN_RUN_STATUSES,
    STEP_SENT,
    Person,
    PlanVersion,
    Rejection,
    Run,
    Step,
    status_is,
)
from onward.plans import PROMPT_KINDS


@dataclass(frozen=True)
class Conversation:
    person: Person | None
    run: Run | None  # the current run (the latest open one), its rejection loaded
    prompt: Step | None  # the run's most recently sent prompt
    held: bool  # a coach holds the conversation: what they write is the coach's to answer
    newest_version: int  # the newest plan version's id (0: none yet)


def _one_of(column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    # Not IN (...): an IN list is rendered into the SQL again at every execution.
    return or_(*(column == value for value in values))


_NEWEST_VERSION = select(func.max(PlanVersion.id))
_HELD_SINCE = select(Coaching.held_since).where(Coaching.person_id == bindparam("person_id"))

# Every open run of the person with each prompt sent in it (a row each; a handful at most), not
# the one latest of each: picking those in SQL (ORDER BY ... LIMIT 1 in correlated subqueries)
# made SQLite sort twice, several times what the rows cost to read. The person is read first,
# on their own: a new sender (every first REJECTED) then costs one small query, not a join of
# six tables that finds nothing.
_RUNS_AND_PROMPTS = (
    select(Run, Step, _HELD_SINCE.scalar_subquery(), _NEWEST_VERSION.scalar_subquery())
    .outerjoin(Rejection, Rejection.id == Run.rejection_id)
    .outerjoin(
        Step,
        and_(
            Step.run_id == Run.id,
            status_is(Step.status, STEP_SENT),
            _one_of(Step.kind, PROMPT_KINDS),
            Step.reminder_of.is_(None),
        ),
    )
    .options(contains_eager(Run.rejection))
    .where(Run.person_id == bindparam("person_id"), _one_of(Run.status, OPEN_RUN_STATUSES))
)


def find_conversation(session: Session, medium: str, address: str) -> Conversation:
    """The conversation of whoever wrote from `address`, their person row locked until the
    transaction ends (people.find_person)."""
    person = find_person(session, medium, address, lock=True)
    plain = session.connection()  # plain reads need none of the session's unit of work
    if person is None:
        return Conversation(None, None, None, False, int(plain.scalar(_NEWEST_VERSION) or 0))
    rows = session.execute(_RUNS_AND_PROMPTS, {"person_id": person.id}).all()
    if not rows:  # no open run
        held_since = plain.scalar(_HELD_SINCE, {"person_id": person.id})
        newest = plain.scalar(_NEWEST_VERSION)
        return Conversation(person, None, None, held_since is not None, int(newest or 0))
    # The current run: the latest started (runs.current_run); its open prompt: the latest sent
    # (runs.open_prompt), a step never stamped counting as the earliest.
    run = max((row[0] for row in rows), key=_started)
    prompt = max(
        (row[1] for row in rows if row[0] is run and row[1] is not None), key=_sent, default=None
    )
    _run, _step, held_since, newest = rows[0]
    return Conversation(person, run, prompt, held_since is not None, int(newest or 0))


def _started(run: Run) -> tuple[datetime, int]:
    return run.started_at, run.id


def _sent(step: Step) -> tuple[bool, datetime, int]:
    return step.sent_at is not None, step.sent_at or _NEVER, step.id


_NEVER = datetime.min.replace(tzinfo=UTC)

"""The router's one read of a conversation before it acts: the sender, their current run with its
rejection, the prompt open in it, whether a coach holds them, and the newest plan version (whose
id keys the cached trigger keywords). One statement where it took six (each read through the
ORM costs more than the query itself); the handlers find these in the Turn, not read again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from onward.engine.storage.console_models import Coaching
from onward.engine.storage.models import (
    OPEN_RUN_STATUSES,
    STEP_SENT,
    Person,
    PlanVersion,
    Rejection,
    Run,
    Step,
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


_NEWEST_VERSION = select(func.max(PlanVersion.id)).scalar_subquery()


def _conversation(address: Any, lock: bool) -> Select[Any]:
    # Every open run of the person with each prompt sent in it (a row each; a handful at most),
    # not the one latest of each: picking those in SQL (ORDER BY ... LIMIT 1 in correlated
    # subqueries) made SQLite sort twice, several times what the rows cost to read.
    query = (
        select(Person, Run, Step, Coaching.held_since, _NEWEST_VERSION)
        .select_from(Person)
        .outerjoin(Run, and_(Run.person_id == Person.id, _one_of(Run.status, OPEN_RUN_STATUSES)))
        .outerjoin(Rejection, Rejection.id == Run.rejection_id)
        .outerjoin(
            Step,
            and_(
                Step.run_id == Run.id,
                Step.status == STEP_SENT,
                _one_of(Step.kind, PROMPT_KINDS),
                Step.reminder_of.is_(None),
            ),
        )
        .outerjoin(Coaching, Coaching.person_id == Person.id)
        .options(contains_eager(Run.rejection))
        .where(address == bindparam("address"))
    )
    # FOR NO KEY UPDATE OF people: one person's messages are acted on one at a time, while the
    # dispatcher's inserts (their foreign keys take KEY SHARE on the row) go ahead.
    return query.with_for_update(of=Person, key_share=True) if lock else query


# Built once: building a statement costs about as much as running it.
_BY_ADDRESS = {
    medium: _conversation(Person.phone if medium == "sms" else Person.email, lock=True)
    for medium in ("sms", "email")
}


def find_conversation(session: Session, medium: str, address: str) -> Conversation:
    """The conversation of whoever wrote from `address`, their person row locked until the
    transaction ends."""
    query = _BY_ADDRESS["sms" if medium == "sms" else "email"]
    rows = session.execute(query, {"address": address}).all()
    if not rows:
        newest = session.scalar(select(func.max(PlanVersion.id)))
        return Conversation(None, None, None, False, int(newest or 0))
    person, _run, _step, held_since, newest = rows[0]
    # The current run: the latest started (runs.current_run); its open prompt: the latest sent
    # (runs.open_prompt), a step never stamped counting as the earliest.
    run = max((row[1] for row in rows if row[1] is not None), key=_started, default=None)
    prompts = [row[2] for row in rows if row[1] is run and row[2] is not None]
    prompt = max(prompts, key=_sent, default=None)
    return Conversation(person, run, prompt, _held(held_since), int(newest or 0))


def _started(run: Run) -> tuple[datetime, int]:
    return run.started_at, run.id


def _sent(step: Step) -> tuple[bool, datetime, int]:
    return step.sent_at is not None, step.sent_at or _NEVER, step.id


_NEVER = datetime.min.replace(tzinfo=UTC)


def _held(held_since: datetime | None) -> bool:
    return held_since is not None

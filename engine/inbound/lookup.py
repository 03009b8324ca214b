"""The router's one read of a conversation before it acts: the sender, their current run with its
rejection, the prompt open in it, whether a coach holds them, and the newest plan version (whose
id keys the cached trigger keywords). One statement where it took six (each read through the
ORM costs more than the query itself); the handlers find these in the Turn, not read again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased, contains_eager

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


_OTHER_RUN = aliased(Run)
_OTHER_STEP = aliased(Step)
# The same rules as runs.current_run and runs.open_prompt, as correlated subqueries.
_CURRENT_RUN = (
    select(_OTHER_RUN.id)
    .where(_OTHER_RUN.person_id == Person.id, _OTHER_RUN.status.in_(OPEN_RUN_STATUSES))
    .order_by(_OTHER_RUN.started_at.desc(), _OTHER_RUN.id.desc())
    .limit(1)
    .scalar_subquery()
)
_OPEN_PROMPT = (
    select(_OTHER_STEP.id)
    .where(
        _OTHER_STEP.run_id == Run.id,
        _OTHER_STEP.status == STEP_SENT,
        _OTHER_STEP.kind.in_(PROMPT_KINDS),
        _OTHER_STEP.reminder_of.is_(None),
    )
    .order_by(_OTHER_STEP.sent_at.desc(), _OTHER_STEP.id.desc())
    .limit(1)
    .scalar_subquery()
)
_NEWEST_VERSION = select(func.max(PlanVersion.id)).scalar_subquery()


def _conversation(address: Any, lock: bool) -> Select[Any]:
    query = (
        select(Person, Run, Step, Coaching.held_since, _NEWEST_VERSION)
        .select_from(Person)
        .outerjoin(Run, Run.id == _CURRENT_RUN)
        .outerjoin(Rejection, Rejection.id == Run.rejection_id)
        .outerjoin(Step, Step.id == _OPEN_PROMPT)
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
    row = session.execute(query, {"address": address}).first()
    if row is None:
        newest = session.scalar(select(func.max(PlanVersion.id)))
        return Conversation(None, None, None, False, int(newest or 0))
    person, run, prompt, held_since, newest = row
    return Conversation(person, run, prompt, _held(held_since), int(newest or 0))


def _held(held_since: datetime | None) -> bool:
    return held_since is not None

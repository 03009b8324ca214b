"""The router's one read of a conversation before it acts: the sender, their current run and its
rejection's company, the prompt open in it, whether a coach holds them, and the newest plan
version (whose id keys the cached trigger keywords). Two statements where it took six, only one
of them through the ORM (none for someone new on SQLite): each read through the ORM costs more
than the query itself. The handlers find these in the Turn; nothing reads them again.

Only the person is loaded as an object (handlers change it). The run and its prompt are read as
the few columns the handlers use: loading them as objects was three quarters of the read's
cost, and the busiest message there is, a journal reply, needs only their ids."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from onward.engine.inbound.context import OpenPrompt
from onward.engine.people import by_address
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
    run_id: int | None  # the current run (the latest open one)
    company: str  # the company of the current run's rejection ("" for none)
    prompt: OpenPrompt | None  # the run's most recently sent prompt
    held: bool  # a coach holds the conversation: what they write is the coach's to answer
    newest_version: int  # the newest plan version's id (0: none yet)


def _one_of(column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    # Not IN (...): an IN list is rendered into the SQL again at every execution.
    return or_(*(column == value for value in values))


_NEWEST_VERSION = select(func.max(PlanVersion.id))
_HELD_SINCE = select(Coaching.held_since).where(Coaching.person_id == Person.id)


# The sender's person row, locked until the transaction ends (as people.find_person locks it),
# in a plain statement of its own: on PostgreSQL the next statement then reads their runs as
# they are once the lock is had (a rejection that held it has committed its run). Read in the
# same statement, they would be as they were before the wait.
_LOCKED_ID = {medium: by_address(medium, lock=True, what=Person.id) for medium in ("sms", "email")}


# The person with each of their open runs and each prompt sent in it (a row each; a handful at
# most), whether a coach holds them, the newest plan version and the run's company: one read
# through the ORM, which costs more than its query (the rejection is read as its company alone,
# the run and the prompt as the columns used: loaded as objects, they cost most of the read).
# Not the one latest run and prompt: picking those in SQL (ORDER BY ... LIMIT 1 in correlated
# subqueries) made SQLite sort twice, several times what the rows cost to read.
_CONVERSATION = (
    select(
        Person,
        _HELD_SINCE.scalar_subquery(),
        _NEWEST_VERSION.scalar_subquery(),
        Run.id,
        Run.started_at,
        Rejection.company,
        Step.id,
        Step.sent_at,
        Step.kind,
        Step.step_key,
        Step.answered_at,
    )
    .outerjoin(Run, and_(Run.person_id == Person.id, _one_of(Run.status, OPEN_RUN_STATUSES)))
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
    .where(Person.id == bindparam("person_id"))
)
# SQLite has no row locks (the transaction holds its one write lock already): the sender's id
# and the newest version in one plain statement, which is all there is to read for someone new
# (a read through the ORM costs about 90 µs even when it finds no row; this, about 20).
_SENDER_AND_NEWEST = {
    medium: select(
        by_address(medium, lock=False, what=Person.id).scalar_subquery(),
        _NEWEST_VERSION.scalar_subquery(),
    )
    for medium in ("sms", "email")
}


def find_conversation(session: Session, medium: str, address: str) -> Conversation:
    """The conversation of whoever wrote from `address`, their person row locked until the
    transaction ends."""
    plain = session.connection()  # plain reads need none of the session's unit of work
    by = "sms" if medium == "sms" else "email"
    if plain.dialect.name == "sqlite":
        person_id, newest = plain.execute(_SENDER_AND_NEWEST[by], {"address": address}).one()
    else:
        person_id, newest = plain.scalar(_LOCKED_ID[by], {"address": address}), None
    rows = (
        [] if person_id is None else session.execute(_CONVERSATION, {"person_id": person_id}).all()
    )
    if not rows:
        if newest is None:
            newest = plain.scalar(_NEWEST_VERSION)
        return Conversation(None, None, "", None, False, int(newest or 0))
    person, held_since, newest = rows[0][:3]
    # The current run: the latest started (runs.current_run); its open prompt: the latest sent
    # (runs.open_prompt), a step never stamped counting as the earliest.
    current = max((row for row in rows if row[3] is not None), key=_started, default=None)
    if current is None:
        return Conversation(person, None, "", None, held_since is not None, int(newest or 0))
    run_id, company = current[3], current[5] or ""
    sent = [row for row in rows if row[3] == run_id and row[6] is not None]
    step = max(sent, key=_sent, default=None)
    prompt = None if step is None else OpenPrompt(step[6], run_id, step[8], step[9], step[10])
    return Conversation(person, run_id, company, prompt, held_since is not None, int(newest or 0))


def _started(row: Sequence[Any]) -> tuple[datetime, int]:
    return row[4], row[3]


def _sent(row: Sequence[Any]) -> tuple[bool, datetime, int]:
    return row[7] is not None, row[7] or _NEVER, row[6]


_NEVER = datetime.min.replace(tzinfo=UTC)

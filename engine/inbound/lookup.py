"""The router's one read of a conversation before it acts: the sender, their current run and its
rejection's company, the prompt open in it, whether a coach holds them, and the newest plan
version (whose id keys the cached trigger keywords). One plain statement on SQLite where it took
six; on PostgreSQL, two (the sender's row locked first). The handlers find these in the Turn;
nothing reads them again.

Nothing is loaded through the ORM, which cost more than the query itself: the person comes as
their row's values (a handler that needs them as an object has it made from those, context.py),
the run and its prompt as the few columns the handlers use. The busiest message there is, a
journal reply, needs no object at all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from onward.engine.inbound.context import PERSON_COLUMNS, OpenPrompt, Sender
from onward.engine.people import by_address
from onward.engine.storage.console_models import Coaching
from onward.engine.storage.driver_sql import connection_of, select_rows
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
    person: Sender | None
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
# most), whether a coach holds them, the newest plan version and the run's company: one plain
# read (through the ORM, the person, the run and the prompt loaded as objects cost twice the
# query's time; a run and a prompt are read as the columns used, a rejection as its company).
# Not the one latest run and prompt: picking those in SQL (ORDER BY ... LIMIT 1 in correlated
# subqueries) made SQLite sort twice, several times what the rows cost to read.
_PEOPLE = cast(Table, Person.__table__)
_NEWEST = _NEWEST_VERSION.subquery()  # one row, whoever wrote


def _conversation(newest: Any, people: Any, *where: ColumnElement[bool]) -> Select[Any]:
    """The read, its rows starting with the coach's hold and the newest version (`newest`), the
    person's columns last (row[_PERSON:]); `people` is what the FROM starts with."""
    return (
        select(
            _HELD_SINCE.scalar_subquery(),
            newest,
            Run.id,
            Run.started_at,
            Rejection.company,
            Step.id,
            Step.sent_at,
            Step.kind,
            Step.step_key,
            Step.answered_at,
            *[_PEOPLE.c[name] for name in PERSON_COLUMNS],
        )
        .select_from(people)
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
        .where(*where)
    )


_PERSON = 10
# PostgreSQL: the person whose row the statement before has locked.
_BY_ID = _conversation(
    _NEWEST_VERSION.scalar_subquery(), _PEOPLE, Person.id == bindparam("person_id")
)
# SQLite has no row locks (the transaction holds its one write lock already): everything in one
# statement, found by the address, the newest version from a one-row table the person is joined
# to, so that someone new still gets a row (their columns NULL) with it.
_BY_ADDRESS = {
    medium: _conversation(
        _NEWEST.c[0],
        _NEWEST.outerjoin(_PEOPLE, address == bindparam("address")),
    )
    for medium, address in (("sms", Person.phone), ("email", Person.email))
}


def find_conversation(session: Session, medium: str, address: str) -> Conversation:
    """The conversation of whoever wrote from `address`, their person row locked until the
    transaction ends."""
    plain = connection_of(session)  # plain reads need none of the session's unit of work
    by = "sms" if medium == "sms" else "email"
    rows: Sequence[Sequence[Any]]
    if plain.dialect.name == "sqlite":
        # One read on the driver's cursor (storage/driver_sql.py): through SQLAlchemy it cost
        # 95 µs where SQLite takes 23 (a statement this size hashed for its cache key, a context
        # and a result object made, at every message).
        rows = select_rows(plain, _BY_ADDRESS[by], {"address": address})
    else:
        person_id = plain.scalar(_LOCKED_ID[by], {"address": address})
        rows = [] if person_id is None else plain.execute(_BY_ID, {"person_id": person_id}).all()
    if not rows or rows[0][_PERSON] is None:  # someone new
        newest = rows[0][1] if rows else plain.scalar(_NEWEST_VERSION)
        return Conversation(None, None, "", None, False, int(newest or 0))
    held_since, newest = rows[0][:2]
    person = Sender.of(dict(zip(PERSON_COLUMNS, rows[0][_PERSON:], strict=True)))
    held = held_since is not None
    # The current run: the latest started (runs.current_run); its open prompt: the latest sent
    # (runs.open_prompt), a step never stamped counting as the earliest.
    current = max((row for row in rows if row[2] is not None), key=_started, default=None)
    if current is None:
        return Conversation(person, None, "", None, held, int(newest or 0))
    run_id, company = current[2], current[4] or ""
    sent = [row for row in rows if row[2] == run_id and row[5] is not None]
    step = max(sent, key=_sent, default=None)
    prompt = None if step is None else OpenPrompt(step[5], run_id, step[7], step[8], step[9])
    return Conversation(person, run_id, company, prompt, held, int(newest or 0))


def _started(row: Sequence[Any]) -> tuple[datetime, int]:
    return row[3], row[2]


def _sent(row: Sequence[Any]) -> tuple[bool, datetime, int]:
    return row[6] is not None, row[6] or _NEVER, row[5]


_NEVER = datetime.min.replace(tzinfo=UTC)

"""A batch's reads: claim due steps, and read what their guards need (batch_writes.py writes
what they decided).

A step is due when it is pending and its time has come, or when the dispatcher that claimed it
let its lease run out. Each kind is read on its own, in (due_at, id) order straight off an index,
so a claim costs the same with ten or with a million steps waiting (one query with an OR of the
two would sort every due step on every claim). On PostgreSQL, FOR UPDATE SKIP LOCKED lets
replicas claim side by side without waiting for, or taking, each other's steps.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from onward.engine.coaches.coaching import coach_names
from onward.engine.dispatch.batch_sql import ByBackend, fresh_plans
from onward.engine.dispatch.values import Batch, Claimed, DeliveryRow, Prompt, StepRow
from onward.engine.one_offs import send_facts
from onward.engine.people import ACTIVE
from onward.engine.plan_store import parsed
from onward.engine.render import journal_answers
from onward.engine.storage.bulk_rows import is_postgres
from onward.engine.storage.declarative import Base
from onward.engine.storage.models import (
    RUN_ACTIVE,
    STEP_CLAIMED,
    STEP_PENDING,
    Person,
    PersonRow,
    PlanVersion,
    status_is,
)

STEPS = Base.metadata.tables["steps"]
RUNS = Base.metadata.tables["runs"]
REJECTIONS = Base.metadata.tables["rejections"]
DELIVERIES = Base.metadata.tables["deliveries"]
PEOPLE = Base.metadata.tables["people"]


STEP_FIELDS = tuple(f.name for f in fields(StepRow))
_DUE_AT = STEP_FIELDS.index("due_at")
DELIVERY_FIELDS = tuple(f.name for f in fields(DeliveryRow))

# Core rows (the ORM would make an entity of each row's person, seven times over for seven
# steps of one run); the batch's people are read after, once each, as plain rows too: what
# the guards and texts read of them (storage.models.PersonRow).
_PEOPLE = ByBackend(
    lambda ids: select(*[PEOPLE.c[f.name] for f in fields(PersonRow)]).where(ids(PEOPLE.c.id))
)
_CLAIMED_ROWS = (
    select(
        *[STEPS.c[name] for name in STEP_FIELDS],
        RUNS.c.status,
        RUNS.c.person_id,
        RUNS.c.applied_count,
        RUNS.c.plan_version_id,
        # A welcome run (an imported person's first message) answers no rejection.
        func.coalesce(REJECTIONS.c.company, ""),
        func.coalesce(REJECTIONS.c.role, ""),
    )
    .select_from(STEPS)
    .join(RUNS, RUNS.c.id == STEPS.c.run_id)
    .outerjoin(REJECTIONS, REJECTIONS.c.id == RUNS.c.rejection_id)
)
# Built once: the two kinds of due step, each in index order.
_DUE_KINDS = [
    _CLAIMED_ROWS.where(RUNS.c.status == RUN_ACTIVE, *kind)
    .order_by(STEPS.c.due_at, STEPS.c.id)
    .limit(bindparam("limit"))
    for kind in (
        (status_is(STEPS.c.status, STEP_PENDING), STEPS.c.due_at <= bindparam("now")),
        (status_is(STEPS.c.status, STEP_CLAIMED), STEPS.c.lease_until < bindparam("now")),
    )
]
_LOCKED_DUE_KINDS = [query.with_for_update(skip_locked=True, of=STEPS) for query in _DUE_KINDS]
# Not ordered: an ORDER BY id could have a planner read the whole table in id order.
_DELIVERIES_OF = ByBackend(
    lambda ids: select(*[DELIVERIES.c[name] for name in DELIVERY_FIELDS]).where(
        ids(DELIVERIES.c.step_id)
    )
)
_PARENTS = ByBackend(
    lambda ids: select(STEPS.c.id, STEPS.c.status, STEPS.c.due_at, STEPS.c.answered_at).where(
        ids(STEPS.c.id)
    )
)
_VERSIONS = select(PlanVersion).where(PlanVersion.id.in_(bindparam("ids", expanding=True)))


def claim_due(
    session: Session, now: datetime, limit: int, expired_too: bool = True
) -> list[Claimed]:
    """The first `limit` due steps of active runs, oldest first, locked; not yet marked claimed.
    Steps whose claimer's lease ran out are among them with `expired_too`."""
    kinds = _LOCKED_DUE_KINDS if is_postgres(session) else _DUE_KINDS
    rows: list[Any] = []
    for query in kinds if expired_too else kinds[:1]:
        rows += session.execute(query, {"now": now, "limit": limit}).all()
    width = len(STEP_FIELDS)
    if expired_too:
        # The two kinds merged in due order, as one query would have taken them. A row read
        # but not taken (only when both kinds are due at once) stays locked until the commit.
        rows.sort(key=lambda row: (row[_DUE_AT], row[0]))
        rows = rows[:limit]
    people = _people(session, {row[width + 1] for row in rows})
    items = []
    for row in rows:
        values = tuple(row[:width])
        status, person_id, applied, version, company, role = row[width:]
        person = people.get(person_id)
        if person is None:  # erased (FORGET) between the two reads: its steps go with them
            continue
        step = StepRow(*values)
        items.append(
            Claimed(step, values, status, person_id, applied, version, company, role, person)
        )
    return items


def _people(session: Session, ids: set[int]) -> dict[int, PersonRow]:
    if not ids:
        return {}
    found = session.execute(_PEOPLE.on(session), {"ids": list(ids)})
    return {row[0]: PersonRow(*row) for row in found}


def load_batch(session: Session, items: list[Claimed]) -> Batch:
    """The latest delivery and reminder parent of each step, journal answers and plans."""
    step_ids = [item.step.id for item in items]
    latest: dict[int, DeliveryRow] = {}
    loaded: dict[int, tuple[object, ...]] = {}
    with fresh_plans(session):
        rows = session.execute(_DELIVERIES_OF.on(session), {"ids": step_ids}).all()
    for row in sorted(rows, key=lambda row: row.id):
        latest[row.step_id] = DeliveryRow(*row)  # the last one wins
        loaded[row.id] = tuple(row)
    parent_ids = [item.step.reminder_of for item in items if item.step.reminder_of is not None]
    parents = (
        {
            row.id: Prompt(row.status, row.due_at, row.answered_at)
            for row in session.execute(_PARENTS.on(session), {"ids": parent_ids})
        }
        if parent_ids
        else {}
    )
    version_ids = {item.plan_version_id for item in items}
    plans = (
        {
            version.id: parsed(version)
            for version in session.scalars(_VERSIONS, {"ids": list(version_ids)})
        }
        if version_ids
        else {}
    )
    answers = journal_answers(session, {item.step.run_id for item in items})
    coaches = coach_names(session, {item.person_id for item in items})
    # Read now, as they are sent: an interview moved, or words erased, are never sent stale.
    one_offs = send_facts(
        session, [(item.step.id, item.step.step_key, item.person_id) for item in items]
    )
    return Batch(items, latest, loaded, parents, answers, plans, coaches, one_offs)


def still_wanted(session: Session, step_id: int, medium: str) -> bool:
    """Is the step's run still running, and its person still reachable on `medium` (no STOP,
    no bounce since the guards ran)? A step erased meanwhile (FORGET) is not wanted."""
    people = Person.__table__
    status = people.c.sms_status if medium == "sms" else people.c.email_status
    row = session.execute(
        select(RUNS.c.status, status)
        .select_from(STEPS.join(RUNS, RUNS.c.id == STEPS.c.run_id))
        .join(people, people.c.id == RUNS.c.person_id)
        .where(STEPS.c.id == step_id)
    ).first()
    return row is not None and row[0] == RUN_ACTIVE and row[1] == ACTIVE

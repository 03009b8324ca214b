"""A plan version placed in time for one person: step rows, reminders, shifting and the next due."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from onward.channels import STATE_RANK
from onward.engine.storage.bulk_rows import insert_rows
from onward.engine.storage.models import (
    STEP_CANCELLED,
    STEP_PENDING,
    STEP_SENT,
    WAITING_STEP_STATUSES,
    Delivery,
    Person,
    Recipient,
    Run,
    Step,
    status_is,
)
from onward.engine.timing import (
    business_day_checker,
    localize,
    offset_due,
    place_in_window,
    plan_timeline,
)
from onward.plans import Plan, SendWindow, parse_window
from onward.plans import Step as PlanStep


def window_for(person: Recipient, plan: Plan, default_window: SendWindow) -> SendWindow:
    """The person's own window (set by the operator) beats the plan's, which beats the default."""
    if person.send_window:
        return parse_window(person.send_window)
    if plan.window is not None:
        return plan.window
    return default_window


class NewStep(NamedTuple):
    """A step row just written, as plain values: for a run's ten rows, building ORM objects
    costs more than the INSERT itself (and a frozen dataclass twice what a tuple does)."""

    id: int
    run_id: int
    step_key: str
    kind: str
    seq: int
    due_at: datetime
    status: str
    reminder_of: int | None = None


_STEPS = cast(Table, Step.__table__)

# Says which of a new run's steps are written as sent at once (they travel in the reply).
SentNow = Callable[[str, datetime], bool]


def expand_run(
    session: Session,
    run: Run,
    plan: Plan,
    person: Person,
    anchor: datetime,
    window: SendWindow,
    sent_now: SentNow | None = None,
) -> list[NewStep]:
    """Create the step rows of a new run (and their reminders), due times in UTC."""
    tz = ZoneInfo(person.timezone)
    timeline = plan_timeline(anchor, plan.steps, tz, window, person.country)
    by_id = {step.id: (index, step) for index, step in enumerate(plan.steps)}
    parents = []
    for step_key, placement in timeline:
        index, plan_step = by_id[step_key]
        sent = sent_now is not None and sent_now(step_key, placement.due_utc)
        parents.append(
            {
                "run_id": run.id,
                "step_key": step_key,
                "kind": plan_step.kind,
                "seq": index,
                "due_at": placement.due_utc,
                "status": STEP_SENT if sent else STEP_PENDING,
                "sent_at": anchor if sent else None,
                "attempts": 1 if sent else 0,
            }
        )
    rows = insert_steps(session, parents)
    reminders = [
        reminder_values(row, plan_step, person, window)
        for row in rows
        if (plan_step := by_id[row.step_key][1]).reminder is not None
    ]
    return rows + insert_steps(session, reminders)


def insert_steps(session: Session, values: list[dict[str, Any]]) -> list[NewStep]:
    """Many step rows (dicts of the same columns) in one INSERT ... RETURNING, given back as
    NewStep values (not ORM objects) in the order of `values`.

    They are matched back by step key (unique within a run's new rows): RETURNING promises no
    order.
    """
    if not values:
        return []
    names = tuple(values[0])
    rows = [tuple(value[name] for name in names) for value in values]
    returned = insert_rows(session, _STEPS, names, rows, {}, ("step_key", "id"))
    ids: dict[str, int] = dict(returned)
    return [
        NewStep(
            id=ids[value["step_key"]],
            run_id=value["run_id"],
            step_key=value["step_key"],
            kind=value["kind"],
            seq=value["seq"],
            due_at=value["due_at"],
            status=value["status"],
            reminder_of=value.get("reminder_of"),
        )
        for value in values
    ]


def reminder_due(
    parent_due: datetime, plan_step: PlanStep, person: Recipient, window: SendWindow
) -> datetime:
    assert plan_step.reminder is not None
    tz = ZoneInfo(person.timezone)
    is_open = business_day_checker(person.country) if plan_step.business_days else None
    raw = offset_due(parent_due, plan_step.reminder.after, tz, is_open)
    placed, _moved = place_in_window(raw, tz, window, is_open)
    return placed


def reminder_values(
    parent: NewStep, plan_step: PlanStep, person: Person, window: SendWindow
) -> dict[str, Any]:
    return {
        "run_id": parent.run_id,
        "step_key": f"{parent.step_key}.reminder",
        "kind": parent.kind,
        "seq": parent.seq,
        "reminder_of": parent.id,
        "due_at": reminder_due(parent.due_at, plan_step, person, window),
        "status": STEP_PENDING,
        "sent_at": None,
        "attempts": 0,
    }


def waiting_steps(session: Session, run_id: int) -> list[Step]:
    return list(
        session.scalars(
            select(Step)
            .where(Step.run_id == run_id, Step.status.in_(WAITING_STEP_STATUSES))
            .order_by(Step.due_at, Step.id)
        )
    )


def cancel_waiting(session: Session, run_id: int, reason: str, now: datetime) -> int:
    """Cancel what a run still has waiting, and close any delivery left queued for a retry."""
    return _cancel(session, waiting_steps(session, run_id), reason, now)


def cancel_steps(session: Session, step_ids: list[int], reason: str, now: datetime) -> int:
    """Cancel these steps, those still waiting (one-off steps replaced by a newer one)."""
    if not step_ids:
        return 0
    steps = session.scalars(
        select(Step).where(Step.id.in_(step_ids), Step.status.in_(WAITING_STEP_STATUSES))
    ).all()
    return _cancel(session, list(steps), reason, now)


def _cancel(session: Session, steps: list[Step], reason: str, now: datetime) -> int:
    for step in steps:
        step.status = STEP_CANCELLED
        step.last_error = reason
        step.claimed_by = None
        step.lease_until = None
    if steps:
        session.execute(
            update(Delivery)
            .where(
                Delivery.step_id.in_([s.id for s in steps]), status_is(Delivery.status, "queued")
            )
            .values(
                status="cancelled",
                status_rank=STATE_RANK["cancelled"],
                error=reason[:500],
                updated_at=now,
            )
        )
    return len(steps)


def shift_waiting(
    session: Session, run: Run, delta: timedelta, person: Person, window: SendWindow
) -> None:
    """Move a run's waiting steps later by `delta`, each placed again inside the send window."""
    tz = ZoneInfo(person.timezone)
    for step in waiting_steps(session, run.id):
        step.due_at, _moved = place_in_window(step.due_at + delta, tz, window)
        step.status = STEP_PENDING
        step.claimed_by = None
        step.lease_until = None


def keep_wall_times(
    session: Session, run: Run, person: Person, old_zone: str, window: SendWindow, now: datetime
) -> None:
    """After a change of time zone, a step due at 18:00 stays at 18:00 in the new zone.

    Each waiting step keeps its local wall time (so pauses and business days carry over), is
    never moved into the past, and is placed inside the window again.
    """
    old, new = ZoneInfo(old_zone), ZoneInfo(person.timezone)
    for step in waiting_steps(session, run.id):
        wall = step.due_at.astimezone(old).replace(tzinfo=None)
        moved = max(localize(wall, new), now)
        step.due_at, _moved = place_in_window(moved, new, window)
        step.status = STEP_PENDING
        step.claimed_by = None
        step.lease_until = None


def next_waiting(session: Session, run_id: int) -> Step | None:
    return session.scalars(
        select(Step)
        .where(
            Step.run_id == run_id,
            Step.status.in_(WAITING_STEP_STATUSES),
            Step.reminder_of.is_(None),
        )
        .order_by(Step.due_at, Step.id)
        .limit(1)
    ).first()


def first_waiting(steps: Iterable[NewStep]) -> NewStep | None:
    """`next_waiting` over the steps of a run just started, which are all in hand: no query."""
    waiting = [s for s in steps if s.status in WAITING_STEP_STATUSES and s.reminder_of is None]
    return min(waiting, key=lambda s: (s.due_at, s.id), default=None)

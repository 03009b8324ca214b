"""A batch's writes: what its guards decided, in as few statements as can be: the steps handed
over whole or held for a paced send, any other change row by row, the opt-out footers owed and
a new delivery for each send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Update, bindparam, update
from sqlalchemy.orm import Session

from onward.channels import DeliveryState
from onward.engine.deliveries import starting
from onward.engine.dispatch.batch_sql import ByBackend, Match
from onward.engine.dispatch.claims import DELIVERIES, DELIVERY_FIELDS, PEOPLE, STEP_FIELDS, STEPS
from onward.engine.dispatch.values import Batch
from onward.engine.storage.bulk_rows import insert_rows, update_rows
from onward.engine.storage.declarative import Base
from onward.engine.storage.models import STEP_CLAIMED, STEP_SENT, Recipient

_FOOTERS = ("sms_footer_at", "email_footer_at")
_HOLD = ByBackend(
    lambda ids: (
        update(STEPS)
        .where(ids(STEPS.c.id))
        .values(
            status=STEP_CLAIMED,
            claimed_by=bindparam("worker"),
            lease_until=bindparam("lease_until"),
            attempts=STEPS.c.attempts + 1,
        )
    )
)


def steps_sent(ids: Match, **more: Any) -> Update:
    """The UPDATE that writes the steps `ids` picks as sent at `:now`, lease and error cleared
    (plus `more`): by the claim for a batch handed over whole, by the record otherwise."""
    return (
        update(STEPS)
        .where(ids(STEPS.c.id))
        .values(
            status=STEP_SENT,
            sent_at=bindparam("now"),
            last_error=None,
            claimed_by=None,
            lease_until=None,
            **more,
        )
    )


# A step of a batch handed to the provider whole as the claim commits is written once, in its
# final state: its delivery in `sending` is what says a send may be in flight (`mark_in_doubt`).
_HAND_OVER = ByBackend(lambda ids: steps_sent(ids, attempts=STEPS.c.attempts + 1))


def write_back(
    session: Session,
    batch: Batch,
    handed: list[int],
    waiting: list[int],
    worker_id: str,
    now: datetime,
    lease_until: datetime,
) -> None:
    """One UPDATE writes the steps of a batch handed over whole as sent, or holds those of a
    paced batch (claimed, leased); each has one more attempt. Any other change the guards made
    is written row by row."""
    if handed:
        session.execute(_HAND_OVER.on(session), {"ids": handed, "now": now})
    if waiting:
        leased = {"ids": waiting, "worker": worker_id, "lease_until": lease_until}
        session.execute(_HOLD.on(session), leased)
    held = {*handed, *waiting}
    others = [(item.step, item.loaded) for item in batch.items if item.step.id not in held]
    _write_changes(session, STEPS.name, STEP_FIELDS, others)
    deliveries = [(row, batch.delivery_loaded[row.id]) for row in batch.latest_delivery.values()]
    _write_changes(session, DELIVERIES.name, DELIVERY_FIELDS, deliveries)


def _write_changes(
    session: Session, table: str, names: tuple[str, ...], rows: list[tuple[Any, tuple[object, ...]]]
) -> None:
    """UPDATE the columns that differ from what was read, one executemany per set of columns."""
    groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for row, loaded in rows:
        changed = tuple(
            name for name, before in zip(names, loaded, strict=True) if getattr(row, name) != before
        )
        if changed:
            values = {name: getattr(row, name) for name in changed}
            groups.setdefault(changed, []).append({"row_id": row.id, **values})
    target = Base.metadata.tables[table]
    for params in groups.values():
        # A row erased meanwhile (FORGET) is simply not matched.
        session.execute(update(target).where(target.c.id == bindparam("row_id")), params)


def write_footers(session: Session, people: dict[int, Recipient]) -> None:
    """The opt-out footers a batch's messages carry (set on its people's rows and noted by
    render.with_footer), remembered in one statement."""
    rows = [(person.id, person.sms_footer_at, person.email_footer_at) for person in people.values()]
    update_rows(session, PEOPLE, ("id", *_FOOTERS), rows, {})


def insert_deliveries(
    session: Session,
    rows: list[tuple[int, int, int, str, str, str, str]],
    now: datetime,
    state: DeliveryState = "sending",
) -> dict[int, int]:
    """New deliveries in `state`, from (step, run, person, channel, medium, address, digest of
    the text) each, in one statement; returns each one's id by its step id."""
    same = starting(state, now)  # what every new delivery starts as
    names = ("step_id", "run_id", "person_id", "channel", "medium", "address", "body_digest")
    returned = insert_rows(session, DELIVERIES, names, rows, same, ("id", "step_id"))
    return {step_id: delivery_id for delivery_id, step_id in returned}

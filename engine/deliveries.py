"""Deliveries, the one door for their rows: created, moved up their state ladder by a send's
result or a status callback (never backwards), and queued again by an operator's retry.

The dispatcher (its batches in bulk, by the same rules), the owed replies and the steps that
travel in a webhook's reply all write deliveries through here, so a provider's answer means the
same whoever sent the message: what a send's error does is delivery_failures.py's, what a
status callback does is status_callbacks.py's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from onward.channels import (
    STATE_RANK,
    DeliveryState,
    SendResult,
    body_digest,
    can_advance,
)
from onward.engine.errors import NotFound, UsageError
from onward.engine.storage.bulk_rows import insert_one
from onward.engine.storage.driver_sql import connection_of
from onward.engine.storage.models import (
    STEP_FAILED,
    STEP_PENDING,
    STEP_SKIPPED,
    Delivery,
    Step,
    status_is,
)


class DeliveryFields(Protocol):
    """What a state change touches: an ORM Delivery, or a row the dispatcher read."""

    status: str
    status_rank: int
    error: str | None
    updated_at: datetime
    attempts: int


def set_state(delivery: DeliveryFields, state: DeliveryState, now: datetime) -> None:
    """Change a delivery's state and keep its rank, the ladder callbacks climb, in step."""
    delivery.status, delivery.status_rank, delivery.updated_at = state, STATE_RANK[state], now


def starting(state: DeliveryState, now: datetime) -> dict[str, object]:
    """The columns every new delivery starts with (its first attempt, in `state`)."""
    return {
        "status": state,
        "status_rank": STATE_RANK[state],
        "attempts": 1,
        "created_at": now,
        "updated_at": now,
    }


def open_delivery(
    session: Session,
    person_id: int,
    channel: str,
    medium: str,
    address: str,
    text: str,
    now: datetime,
) -> Delivery:
    """A new delivery in `sending`, flushed so its id can travel with the message."""
    delivery = Delivery(
        person_id=person_id,
        channel=channel,
        medium=medium,
        address=address,
        body_digest=body_digest(text),
        **starting("sending", now),
    )
    session.add(delivery)
    session.flush()
    return delivery


# A plain INSERT (bulk_rows.insert_one): nothing reads the delivery back in this transaction.
_DELIVERIES = cast(Table, Delivery.__table__)


# Kept in the error column of a step that travelled inside the reply to the person's own message
# (no provider id, no status callback): the CLI shows it as a note, not an error.
IN_REPLY = "in the immediate reply"


def sent_in_reply(
    session: Session,
    step_id: int,
    run_id: int,
    person_id: int,
    channel: str,
    medium: str,
    address: str,
    now: datetime,
) -> None:
    """A step that travelled in the answer to the person's own message: sent with it."""
    insert_one(
        connection_of(session),
        _DELIVERIES,
        {
            "step_id": step_id,
            "run_id": run_id,
            "person_id": person_id,
            "channel": channel,
            "medium": medium,
            "address": address,
            "error": IN_REPLY,
            **starting("sent", now),
        },
        returning=(),
    )


def send_again(delivery: DeliveryFields, now: datetime, handed_over: bool = True) -> None:
    """A queued delivery (a retry) is sent again: the same row, one more attempt; in `sending`
    when it is handed to the provider now, still `queued` while it waits its turn."""
    set_state(delivery, "sending" if handed_over else "queued", now)
    delivery.attempts += 1


_HAND_OVER = (
    update(cast(Table, Delivery.__table__))
    .where(Delivery.id.in_(bindparam("ids", expanding=True)), status_is(Delivery.status, "queued"))
    .values(status="sending", status_rank=STATE_RANK["sending"], updated_at=bindparam("now"))
    .returning(Delivery.id)
)


def hand_over(session: Session, delivery_ids: list[int], now: datetime) -> set[int]:
    """Deliveries that waited in `queued` are about to be handed to the provider: `sending`.
    Returns the ones still waiting (those cancelled meanwhile are not sent)."""
    if not delivery_ids:
        return set()
    return set(session.scalars(_HAND_OVER, {"ids": delivery_ids, "now": now}))


def accepted(delivery: Delivery, result: SendResult, now: datetime) -> None:
    """The provider took the message. Its first word only moves the state up from `sending`:
    a status callback may have come in while the send call was returning."""
    delivery.provider_id = result.provider_id
    delivery.error = None
    if can_advance(delivery.status, result.status):  # type: ignore[arg-type]
        set_state(delivery, result.status, now)
    else:
        delivery.updated_at = now


def get_delivery(session: Session, delivery_id: int) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery with id {delivery_id}")
    return delivery


def retry(session: Session, delivery_id: int, now: datetime) -> Delivery:
    """Queue a failed delivery's step again, due now (still subject to every guard)."""
    delivery = get_delivery(session, delivery_id)
    if delivery.status not in ("failed", "undelivered", "unknown", "missed", "cancelled"):
        raise UsageError(
            f"delivery {delivery_id} is {delivery.status}; only failed ones can be retried"
        )
    if delivery.step_id is None:
        raise UsageError(
            f"delivery {delivery_id} carried no plan step (an immediate reply, a coach's reply "
            "or a journal copy); nothing to retry"
        )
    step = session.get(Step, delivery.step_id)
    if step is None:
        raise NotFound(f"the step of delivery {delivery_id} no longer exists")
    if step.status not in (STEP_FAILED, STEP_SKIPPED, "sent", "missed"):
        raise UsageError(f"its step is {step.status}; it will be sent when due")
    reached = session.scalars(
        select(Delivery.id).where(
            Delivery.step_id == step.id,
            Delivery.id != delivery.id,
            Delivery.status.in_(("sending", "sent", "delivered")),
        )
    ).first()
    if reached is not None:
        raise UsageError(f"its step already went out as delivery {reached}; not sending it twice")
    set_state(delivery, "queued", now)
    delivery.error = None
    step.status, step.due_at, step.attempts, step.last_error = STEP_PENDING, now, 0, None
    step.claimed_by = step.lease_until = None
    return delivery

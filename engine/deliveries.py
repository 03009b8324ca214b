"""Deliveries: status callbacks applied in one direction only, and the operator's retry."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onward.channels import STATE_RANK, DeliveryState, DeliveryStatus, can_advance
from onward.engine import people, runs
from onward.engine.errors import NotFound, UsageError
from onward.engine.metrics import DELIVERIES
from onward.engine.models import (
    STEP_FAILED,
    STEP_PENDING,
    STEP_SKIPPED,
    Delivery,
    Person,
    ProviderEvent,
    Step,
)

# Twilio's carrier errors for an SMS that could not reach the handset (unreachable, unknown or
# landline, blocked as spam...): the email carries that step instead, once.
CARRIER_FALLBACK_CODES = frozenset({"30003", "30004", "30005", "30006", "30007", "30008"})


class DeliveryFields(Protocol):
    """What a state change touches: an ORM Delivery, or a row the dispatcher read."""

    status: str
    status_rank: int
    error: str | None
    updated_at: datetime


def set_state(delivery: DeliveryFields, state: DeliveryState, now: datetime) -> None:
    """Change a delivery's state and keep its rank, the ladder callbacks climb, in step."""
    delivery.status, delivery.status_rank, delivery.updated_at = state, STATE_RANK[state], now


def other_medium(medium: str) -> str:
    return "email" if medium == "sms" else "sms"


def fall_back(
    step: Step,
    person: Person,
    failed_medium: str,
    channels: Collection[str],
    now: datetime,
    reason: str,
) -> str:
    """A step its medium could not carry: the other medium carries it once, if the person has
    it (and it was not a fallback already); otherwise it ends failed, or skipped after an
    opt-out. Returns the outcome; the step is left unclaimed."""
    other = other_medium(failed_medium)
    step.claimed_by = step.lease_until = None
    if (
        step.medium is None
        and other in channels
        and people.status_on(person, other) == people.ACTIVE
    ):
        step.medium, step.status, step.due_at, step.attempts = other, STEP_PENDING, now, 0
        step.last_error = f"{failed_medium} failed ({reason}); sending by {other}"[:500]
        return "rerouted"
    opted_out = people.status_on(person, failed_medium) == people.OPTED_OUT
    step.status = STEP_SKIPPED if opted_out else STEP_FAILED
    step.last_error = reason[:500]
    return "skipped" if opted_out else "failed"


def find_delivery(session: Session, status: DeliveryStatus) -> Delivery | None:
    if status.delivery_id is not None:
        found = session.get(Delivery, status.delivery_id)
        if found is not None and (
            status.provider_id is None or found.provider_id in (None, status.provider_id)
        ):
            return found
    if status.provider_id is None:
        return None
    return session.scalars(
        select(Delivery).where(
            Delivery.channel == status.channel, Delivery.provider_id == status.provider_id
        )
    ).first()


def apply_status(
    session: Session, status: DeliveryStatus, now: datetime, mediums: Collection[str]
) -> bool:
    """Move a delivery forward; a late or repeated callback never moves it back. True if changed.

    An event the provider numbered is applied once, however often its batch is retried. What it
    says about the address (opted out, invalid) updates the person; a carrier that could not
    deliver an SMS, or a hard bounce, hands the step to the other medium once, if this daemon
    has a channel for it (`mediums`).
    """
    if status.event_id is not None and not _first_sighting(session, status, now):
        return False
    delivery = find_delivery(session, status)
    if delivery is None:
        return False
    if status.provider_id and delivery.provider_id is None:
        delivery.provider_id = status.provider_id
    person = session.get(Person, delivery.person_id)
    if person is not None and status.consent == "opted_out":  # unsubscribe, spam report
        runs.opt_out(session, person, delivery.medium, now)
    elif person is not None and status.consent == "invalid":
        people.set_status(person, delivery.medium, people.INVALID, now)
    if not can_advance(delivery.status, status.state):  # type: ignore[arg-type]
        return status.consent is not None
    set_state(delivery, status.state, now)
    if status.error_code:
        delivery.error_code = status.error_code
    DELIVERIES.labels(delivery.channel, status.state).inc()
    if person is not None and _undeliverable(delivery, status):
        step = session.get(Step, delivery.step_id) if delivery.step_id else None
        if step is not None and step.status == "sent":
            fall_back(step, person, delivery.medium, mediums, now, _reason(status))
    return True


def _first_sighting(session: Session, status: DeliveryStatus, now: datetime) -> bool:
    assert status.event_id is not None
    try:
        with session.begin_nested():
            session.add(
                ProviderEvent(channel=status.channel, event_id=status.event_id, received_at=now)
            )
        return True
    except IntegrityError:
        return False


def _undeliverable(delivery: Delivery, status: DeliveryStatus) -> bool:
    if status.state not in ("undelivered", "failed"):
        return False
    if delivery.medium == "sms":
        return (status.error_code or "") in CARRIER_FALLBACK_CODES
    return status.consent == "invalid"


def _reason(status: DeliveryStatus) -> str:
    code = f" (error {status.error_code})" if status.error_code else ""
    return f"the provider reported {status.state}{code}"


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
        raise UsageError(f"delivery {delivery_id} was an immediate reply; nothing to retry")
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

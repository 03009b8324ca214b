"""A provider's status callback applied to its delivery: the state moves up its ladder, never
back, and an event the provider numbered counts once. What it says about the address or the
person acts as a send's error would (delivery_failures.py).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onward.channels import DeliveryStatus, can_advance
from onward.engine import consent_ledger, runs
from onward.engine.deliveries import set_state
from onward.engine.delivery_failures import address_refused, fall_back
from onward.engine.metrics import DELIVERIES
from onward.engine.storage.models import Delivery, Person, Step
from onward.engine.storage.record_models import ProviderEvent


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
    how = consent_ledger.by_delivery_status(status)
    if person is not None and status.consent == "opted_out":  # unsubscribe, spam report
        runs.opt_out(session, person, delivery.medium, now, how)
    elif person is not None and status.consent == "invalid":
        address_refused(person, delivery.medium, now, how)
    if not can_advance(delivery.status, status.state):  # type: ignore[arg-type]
        return status.consent is not None
    set_state(delivery, status.state, now)
    if status.error_code:
        delivery.error_code = status.error_code
    DELIVERIES.labels(delivery.channel, status.state).inc()
    if person is not None and _undeliverable(status):
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


def _undeliverable(status: DeliveryStatus) -> bool:
    """The provider could not get it to the person at this address: the other medium may."""
    return status.unreachable and status.state in ("undelivered", "failed")


def _reason(status: DeliveryStatus) -> str:
    code = f" (error {status.error_code})" if status.error_code else ""
    return f"the provider reported {status.state}{code}"

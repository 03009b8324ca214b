"""Deliveries: status callbacks applied in one direction only, and the operator's retry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from onward.channels import STATE_RANK, DeliveryStatus, can_advance
from onward.engine.errors import NotFound, UsageError
from onward.engine.metrics import DELIVERIES
from onward.engine.models import STEP_FAILED, STEP_PENDING, STEP_SKIPPED, Delivery, Step


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


def apply_status(session: Session, status: DeliveryStatus, now: datetime) -> bool:
    """Move a delivery forward; a late or repeated callback never moves it back. True if changed."""
    delivery = find_delivery(session, status)
    if delivery is None:
        return False
    if status.provider_id and delivery.provider_id is None:
        delivery.provider_id = status.provider_id
    if not can_advance(delivery.status, status.state):  # type: ignore[arg-type]
        return False
    delivery.status = status.state
    delivery.status_rank = STATE_RANK[status.state]
    delivery.updated_at = now
    if status.error_code:
        delivery.error_code = status.error_code
    DELIVERIES.labels(delivery.channel, status.state).inc()
    return True


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
    delivery.status, delivery.status_rank, delivery.updated_at = "queued", 0, now
    delivery.error = None
    step.status, step.due_at, step.attempts, step.last_error = STEP_PENDING, now, 0, None
    step.claimed_by = step.lease_until = None
    return delivery

"""What a send's result does to its delivery, its step and the person: sent, retried, failed,
rerouted to the other medium, or held because the provider refused our credentials."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from onward.channels import (
    PermanentSendError,
    RecipientOptedOut,
    TransientSendError,
)
from onward.engine import people
from onward.engine.deliveries import fall_back, set_state
from onward.engine.dispatch.retry import RetryPolicy
from onward.engine.models import (
    STEP_CLAIMED,
    STEP_FAILED,
    STEP_PENDING,
    STEP_SENT,
    Delivery,
    Person,
    Step,
)

# Provider codes that say the address itself is wrong: Twilio's invalid or unreachable
# numbers, and the email channels' shared code for an invalid address.
# (21408 and 21612 depend on the sender's own settings, not the address: not in this list.)
INVALID_ADDRESS_CODES = frozenset(
    {"21211", "21214", "21217", "21401", "21407", "21421", "21614", "invalid_address"}
)


class StepFields(Protocol):
    """What `release` touches: an ORM Step, or a row the dispatcher read."""

    status: str
    claimed_by: str | None
    lease_until: datetime | None


def release(step: StepFields, outcome: str) -> str:
    if step.status == STEP_CLAIMED:
        step.status = STEP_PENDING
    step.claimed_by = None
    step.lease_until = None
    return outcome


def record_transient(
    delivery: Delivery, step: Step, exc: TransientSendError, policy: RetryPolicy, now: datetime
) -> str:
    # The step's count, which an operator's retry resets, so a re-queued send gets a fresh
    # budget; the delivery's count keeps the whole history.
    decision = policy.decide(step.attempts, now, exc.retry_after)
    delivery.error, delivery.updated_at = str(exc)[:500], now
    if decision is None:
        set_state(delivery, "failed", now)
        step.status = STEP_FAILED
        step.last_error = f"gave up after {step.attempts} attempts: {exc}"[:500]
        return release(step, "failed")
    set_state(delivery, "queued", now)  # the same delivery is sent again; never a second one
    step.status, step.due_at = STEP_PENDING, decision.retry_at
    step.last_error = f"retrying at {decision.retry_at.isoformat()}: {exc}"[:500]
    return release(step, "retried")


def record_failure(
    delivery: Delivery, step: Step, exc: PermanentSendError, channels: set[str], now: datetime
) -> str:
    """A permanent failure: the other medium carries the step once, if the person has it."""
    set_state(delivery, "failed", now)
    delivery.error, delivery.error_code = str(exc)[:500], exc.code
    person = step.run.person
    medium = delivery.medium
    if exc.code in INVALID_ADDRESS_CODES:
        _mark_unusable(person, medium, now)
    if isinstance(exc, RecipientOptedOut):
        people.set_status(person, medium, people.OPTED_OUT, now)
    return fall_back(step, person, medium, channels, now, reason=str(exc))


def record_released(delivery: Delivery, step: Step, now: datetime) -> str:
    """Prepared but not sent (stopping, or the lease nearly over): back to the queue, due now."""
    set_state(delivery, "queued", now)
    step.attempts = max(step.attempts - 1, 0)
    step.status, step.due_at = STEP_PENDING, now
    return release(step, "released")


def record_unknown(delivery: Delivery, step: Step, error: str, now: datetime) -> str:
    """The provider may have it: never send again; its status callback will settle the state."""
    set_state(delivery, "unknown", now)
    delivery.error = error[:500]
    step.status, step.sent_at, step.last_error = STEP_SENT, now, error[:500]
    return release(step, "unknown")


def record_auth_failure(delivery: Delivery, step: Step, now: datetime, retry_in: timedelta) -> str:
    """Our credentials were refused: not the person's fault, so the send waits, it doesn't fail."""
    set_state(delivery, "queued", now)
    delivery.error = "the provider refused onward's credentials; held until an operator fixes them"
    step.status, step.due_at = STEP_PENDING, now + retry_in
    return release(step, "held")


def _mark_unusable(person: Person, medium: str, now: datetime) -> None:
    if medium == "email":
        people.set_status(person, "email", people.INVALID, now)
    elif person.preferred_medium == "sms" and people.status_on(person, "email") == people.ACTIVE:
        person.preferred_medium, person.updated_at = "email", now

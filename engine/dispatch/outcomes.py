"""What a send's result does to its step: sent, retried, failed, rerouted to the other medium,
or held because the provider refused our credentials. What it does to the delivery and the
person is the same for every sender: `delivery_failures.send_failed` decides it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from onward.channels import TransientSendError
from onward.engine import people
from onward.engine.deliveries import set_state
from onward.engine.delivery_failures import fall_back, send_failed
from onward.engine.dispatch.retry import RetryPolicy
from onward.engine.runs import OPTED_OUT_REASON
from onward.engine.storage.models import (
    RUN_ACTIVE,
    RUN_CANCELLED,
    RUN_PAUSED,
    STEP_CANCELLED,
    STEP_CLAIMED,
    STEP_FAILED,
    STEP_PENDING,
    STEP_SENT,
    Delivery,
    Step,
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


def record_error(
    session: Session,
    delivery: Delivery,
    step: Step,
    exc: Exception,
    mediums: set[str],
    policy: RetryPolicy,
    now: datetime,
    held_for: timedelta,
) -> str:
    """A send that raised: its delivery as `send_failed` leaves it, then its step."""
    person = step.run.person
    failure = send_failed(session, delivery, person, exc, now)
    if failure == "unknown":
        # The provider may have it: never send again; its status callback will settle it.
        step.status, step.sent_at, step.last_error = STEP_SENT, now, str(exc)[:500]
        return release(step, "unknown")
    if failure == "auth":
        # Our credentials were refused: not the person's fault, so the send waits.
        step.status, step.due_at = STEP_PENDING, now + held_for
        return release(step, "held")
    if failure == "transient":
        return _retry_or_give_up(delivery, step, exc, policy, now)
    # A permanent failure: the other medium carries the step once, if the person has it.
    return fall_back(step, person, delivery.medium, mediums, now, reason=str(exc))


def _retry_or_give_up(
    delivery: Delivery, step: Step, exc: Exception, policy: RetryPolicy, now: datetime
) -> str:
    # The step's count, which an operator's retry resets, so a re-queued send gets a fresh
    # budget; the delivery's count keeps the whole history.
    retry_after = exc.retry_after if isinstance(exc, TransientSendError) else None
    decision = policy.decide(step.attempts, now, retry_after)
    if decision is None:
        set_state(delivery, "failed", now)
        step.status = STEP_FAILED
        step.last_error = f"gave up after {step.attempts} attempts: {exc}"[:500]
        return release(step, "failed")
    step.status, step.due_at = STEP_PENDING, decision.retry_at
    step.last_error = f"retrying at {decision.retry_at.isoformat()}: {exc}"[:500]
    return release(step, "retried")


def record_released(delivery: Delivery, step: Step, now: datetime, step_sent: bool = False) -> str:
    """Prepared but not sent (stopping, or the lease nearly over): back to the queue, due now.
    A step whose run ended meanwhile (superseded, cancelled) stays ended, its delivery too."""
    if step_sent:
        # Written as sent at the claim, out of reach of whatever ended the run meanwhile: it
        # ends here as that would have ended it (an opt-out's steps can come back with START).
        step.sent_at = None
        run = step.run
        ended = run.status not in (RUN_ACTIVE, RUN_PAUSED)
        if ended:
            opted_out = run.status == RUN_CANCELLED and people.sendable_medium(run.person) is None
            step.status = STEP_CANCELLED
            step.last_error = OPTED_OUT_REASON if opted_out else f"run {run.status}"
    else:
        ended = step.status != STEP_CLAIMED
    if ended:
        set_state(delivery, "cancelled", now)
        delivery.error = (step.last_error or f"the step was {step.status} meanwhile")[:500]
        return release(step, "cancelled")
    set_state(delivery, "queued", now)
    step.attempts = max(step.attempts - 1, 0)
    step.status, step.due_at = STEP_PENDING, now
    return release(step, "released")

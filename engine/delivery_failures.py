"""What a send's error does, the same for every sender: a transient error queues the delivery
again, an opt-out with the provider opts the person out as STOP does, an address the provider
calls invalid is not used again, and a step its medium could not carry goes once by the other
medium. A status callback that says the same (status_callbacks.py) acts through address_refused
and fall_back here.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from onward.channels import (
    InvalidAddress,
    PermanentSendError,
    ProviderAuthError,
    RecipientOptedOut,
    SendOutcomeUnknown,
)
from onward.engine import consent_ledger, people, runs
from onward.engine.deliveries import set_state
from onward.engine.storage.models import (
    STEP_FAILED,
    STEP_PENDING,
    STEP_SKIPPED,
    Delivery,
    Person,
    Step,
)

# What a send's error came to, for the caller to act on (the dispatcher retries or reroutes
# its step; an owed reply is owed again or given up).
SendFailure = Literal["transient", "permanent", "opted_out", "auth", "unknown"]
AUTH_REFUSED = "the provider refused onward's credentials; held until an operator fixes them"


def send_failed(
    session: Session, delivery: Delivery, person: Person | None, exc: Exception, now: datetime
) -> SendFailure:
    """What a send's error does to its delivery and to the person, the same for every sender.

    Transient errors (and errors no channel mapped) queue the delivery again; refused
    credentials queue it too, as it is not the person's fault; a permanent refusal fails it,
    and an opt-out with the provider opts the person out on that medium as STOP would.
    """
    delivery.error, delivery.updated_at = str(exc)[:500], now
    if isinstance(exc, SendOutcomeUnknown):
        set_state(delivery, "unknown", now)
        return "unknown"
    if isinstance(exc, ProviderAuthError):
        set_state(delivery, "queued", now)
        delivery.error = AUTH_REFUSED
        return "auth"
    if not isinstance(exc, PermanentSendError):
        set_state(delivery, "queued", now)  # the same delivery is sent again; never a second one
        return "transient"
    set_state(delivery, "failed", now)
    delivery.error_code = exc.code
    if person is None:
        return "permanent"
    if isinstance(exc, RecipientOptedOut):
        how = consent_ledger.by_provider(delivery.channel, f"send refused, error {exc.code}")
        runs.opt_out(session, person, delivery.medium, now, how)
        return "opted_out"
    if isinstance(exc, InvalidAddress):
        how = consent_ledger.by_provider(delivery.channel, "address invalid")
        address_refused(person, delivery.medium, now, how)
    return "permanent"


def address_refused(person: Person, medium: str, now: datetime, how: consent_ledger.How) -> None:
    """The provider says the address is no good. An email address is not used again; a phone
    number stays (it is also how the person writes to onward), but email is preferred."""
    if medium == "email":
        consent_ledger.record(person, "email", people.INVALID, now, how)
    elif person.preferred_medium == "sms" and people.status_on(person, "email") == people.ACTIVE:
        person.preferred_medium, person.updated_at = "email", now


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

"""Deliveries, the one door for their rows: created, moved up their state ladder by a send's
result or a status callback (never backwards), and queued again by an operator's retry.

The dispatcher (its batches in bulk, by the same rules), the owed replies and the steps that
travel in a webhook's reply all write deliveries through here, so a provider's answer means the
same whoever sent the message: a transient error queues it again, an opt-out opts the person
out as STOP does, an address the provider calls invalid is not used again.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Literal, Protocol, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onward.channels import (
    STATE_RANK,
    DeliveryState,
    DeliveryStatus,
    InvalidAddress,
    PermanentSendError,
    ProviderAuthError,
    RecipientOptedOut,
    SendOutcomeUnknown,
    SendResult,
    body_digest,
    can_advance,
)
from onward.engine import consent_ledger, people, runs
from onward.engine.errors import NotFound, UsageError
from onward.engine.metrics import DELIVERIES
from onward.engine.storage.models import (
    STEP_FAILED,
    STEP_PENDING,
    STEP_SKIPPED,
    Delivery,
    Person,
    Step,
    status_is,
)
from onward.engine.storage.record_models import ProviderEvent

# What a send's error came to, for the caller to act on (the dispatcher retries or reroutes
# its step; an owed reply is owed again or given up).
SendFailure = Literal["transient", "permanent", "opted_out", "auth", "unknown"]
AUTH_REFUSED = "the provider refused onward's credentials; held until an operator fixes them"


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


# A plain (Core) INSERT, built once: nothing reads the delivery back in this transaction.
_INSERT = insert(cast(Table, Delivery.__table__))


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
    session.connection().execute(
        _INSERT,
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

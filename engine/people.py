"""People: found by phone or address, their time zone and mediums, and FORGET's erasure."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Protocol, cast
from zoneinfo import available_timezones

from sqlalchemy import Select, Table, bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onward.engine import consent_ledger
from onward.engine.audit import erase_person as erase_from_audit
from onward.engine.errors import NotFound
from onward.engine.phones import (
    InvalidPhoneNumber,
    normalize_phone,
    region_for_phone,
    timezone_for_phone,
    zone_is_known,
)
from onward.engine.storage.bulk_rows import insert_one
from onward.engine.storage.console_models import Escalation
from onward.engine.storage.db import ERASED
from onward.engine.storage.driver_sql import connection_of
from onward.engine.storage.journal_models import JournalCopy
from onward.engine.storage.models import (
    Delivery,
    InboundMessage,
    JournalEntry,
    Person,
    Recipient,
    Rejection,
    Run,
    Step,
)
from onward.engine.storage.plain_writes import as_loaded, row_values
from onward.engine.suppression import suppress

ACTIVE, OPTED_OUT, UNCONFIRMED, INVALID = "active", "opted_out", "unconfirmed", "invalid"
# timezone_source of someone whose zone is a guess worth asking about, until they are asked.
TZ_TO_ASK, TZ_ASKED = "ask", "asked"
_ZONES_BY_LOWER = {name.lower(): name for name in available_timezones()}


def canonical_timezone(text: str) -> str | None:
    """The IANA name a person meant ('europe/london' -> 'Europe/London'), or None."""
    return _ZONES_BY_LOWER.get(text.strip().replace(" ", "_").lower())


def by_address(medium: str, lock: bool, what: Any = Person) -> Select[Any]:
    """`what` (the person, or some of their columns) of whoever has the phone or address bound
    as `address`; `lock` holds their row until the transaction ends."""
    query = select(what).where(
        (Person.phone if medium == "sms" else Person.email) == bindparam("address")
    )
    # FOR NO KEY UPDATE: it serialises one person's messages, yet lets the dispatcher's inserts
    # (whose foreign keys take KEY SHARE on this row) go ahead, so the two never deadlock.
    return query.with_for_update(key_share=True) if lock else query


# Built once: every inbound message looks its sender up, and building a query costs about as
# much as running it.
_FIND = {
    (medium, lock): by_address(medium, lock)
    for medium in ("sms", "email")
    for lock in (False, True)
}


def find_person(session: Session, medium: str, address: str, lock: bool = False) -> Person | None:
    """The person with this phone or address; `lock` holds their row until the transaction ends."""
    query = _FIND["sms" if medium == "sms" else "email", lock]
    return session.scalars(query, {"address": address}).first()


def lookup(session: Session, phone_or_email: str) -> Person:
    """The person an operator names by phone (any common format) or email address."""
    text = phone_or_email.strip()
    if "@" in text:
        person = find_person(session, "email", text.lower())
    else:
        try:
            person = find_person(session, "sms", normalize_phone(text))
        except InvalidPhoneNumber as exc:
            raise NotFound(str(exc)) from None
    if person is None:
        raise NotFound(f"no person with {text!r}")
    return person


def new_link_key() -> str:
    """The random value every link onward sends this person carries (engine/unsubscribe.py)."""
    return secrets.token_urlsafe(16)


def create_person(
    session: Session, medium: str, address: str, now: datetime, verified: bool = True
) -> Person:
    """A new person; when two first messages race (two replicas), the loser finds the winner's."""
    return add_person(session, medium, address, now, verified)[0]


def add_person(
    session: Session, medium: str, address: str, now: datetime, verified: bool = True
) -> tuple[Person, bool]:
    """create_person, and whether this call wrote the row (False: a first message racing this
    one, on another replica, wrote it first; it may have started a run for them too).

    One plain INSERT that does nothing when the address is taken (no savepoint, no flush).
    """
    values = row_values(_PEOPLE, _new_person(medium, address, now, verified))
    # ON CONFLICT DO NOTHING: a race on the address leaves this transaction whole (a failed
    # INSERT would abort it on PostgreSQL), and costs no savepoint when there is none.
    written = insert_one(connection_of(session), _PEOPLE, values, skip_conflict=True)
    if written is None:  # another transaction wrote this address first
        found = find_person(session, medium, address, lock=True)
        if found is None:
            raise IntegrityError("INSERT INTO people", None, Exception("the address is taken"))
        return found, False
    person = as_loaded(session, Person, written[0], values)
    consent_ledger.opened(person, now, consent_ledger.by_first_message(medium))
    return person, True


def _new_person(medium: str, address: str, now: datetime, verified: bool) -> dict[str, Any]:
    common = {"link_key": new_link_key(), "created_at": now, "updated_at": now}
    if medium == "sms":
        return {
            "phone": address,
            "timezone": timezone_for_phone(address),
            # A number the phone metadata cannot place: its country's zone, and a question.
            "timezone_source": "phone" if zone_is_known(address) else TZ_TO_ASK,
            "country": region_for_phone(address),
            "preferred_medium": "sms",
            "email_status": UNCONFIRMED,
            "sms_status": ACTIVE,
            **common,
        }
    # Someone whose own domain vouched for the mail (DKIM/SPF) has shown it is theirs.
    return {
        "email": address,
        "timezone": "UTC",
        "timezone_source": "default",
        "preferred_medium": "email",
        "email_status": ACTIVE if verified else UNCONFIRMED,
        "sms_status": ACTIVE,
        **common,
    }


_PEOPLE = cast(Table, Person.__table__)


class Addressed(Protocol):
    """What `status_on` reads of a person: their object, a batch's row of them
    (storage.models.PersonRow), or the router's read of them (inbound.context.Sender)."""

    @property
    def phone(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def sms_status(self) -> str: ...
    @property
    def email_status(self) -> str: ...


def status_on(person: Addressed, medium: str) -> str:
    if medium == "sms":
        return person.sms_status if person.phone else INVALID
    return person.email_status if person.email else INVALID


def address_on(person: Recipient, medium: str) -> str | None:
    return person.phone if medium == "sms" else person.email


def sendable_medium(person: Recipient) -> str | None:
    """The medium nudges go by now: the preferred one if it can carry them, else the other."""
    other = "email" if person.preferred_medium == "sms" else "sms"
    for medium in (person.preferred_medium, other):
        if status_on(person, medium) == ACTIVE:
            return medium
    return None


def claim_messages(session: Session, person: Person, address: str) -> None:
    """What `address` wrote before it was linked to the person is theirs too (and FORGET's)."""
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.sender == address, InboundMessage.person_id.is_(None))
        .values(person_id=person.id)
    )


def addresses_used(session: Session, person: Person) -> set[str]:
    """Every address the person wrote from or was written to, former ones included."""
    used = {a for a in (person.phone, person.email) if a}
    used.update(
        session.scalars(
            select(InboundMessage.sender).where(InboundMessage.person_id == person.id).distinct()
        )
    )
    used.update(
        session.scalars(
            select(Delivery.address)
            .where(Delivery.person_id == person.id, Delivery.address.is_not(None))
            .distinct()
        )
    )
    return used


def forget(session: Session, person: Person) -> None:
    """Erase every row that names the person, in the caller's one transaction.

    Messages go by every address the person used, not only by their name on the row: one
    written before its address was linked to them may not carry it. On SQLite the erased
    content is overwritten in the file and the WAL is emptied after the commit (storage/db.py).
    """
    run_ids = select(Run.id).where(Run.person_id == person.id)
    step_ids = select(Step.id).where(Step.run_id.in_(run_ids))
    addresses = sorted(addresses_used(session, person))
    session.info[ERASED] = True
    erase_from_audit(session, person.id)
    session.execute(delete(JournalEntry).where(JournalEntry.person_id == person.id))
    session.execute(delete(JournalCopy).where(JournalCopy.person_id == person.id))
    session.execute(
        delete(Delivery).where(or_(Delivery.person_id == person.id, Delivery.step_id.in_(step_ids)))
    )
    session.execute(delete(Step).where(Step.reminder_of.is_not(None), Step.run_id.in_(run_ids)))
    session.execute(delete(Step).where(Step.run_id.in_(run_ids)))
    session.execute(delete(Run).where(Run.person_id == person.id))
    session.execute(delete(Rejection).where(Rejection.person_id == person.id))
    session.execute(
        delete(InboundMessage).where(
            or_(InboundMessage.person_id == person.id, InboundMessage.sender.in_(addresses))
        )
    )
    suppress(session, addresses)  # nobody can enrol them again; only their own message can
    # Alerts about them: those made before they had a person row name only their address.
    session.execute(
        delete(Escalation).where(
            or_(Escalation.person_id == person.id, Escalation.person_address.in_(addresses))
        )
    )
    session.execute(delete(Person).where(Person.id == person.id))
    session.expunge(person)


def forget_address(session: Session, address: str) -> None:
    """Erase what a stranger (someone with no person row) wrote from `address`."""
    session.execute(delete(InboundMessage).where(InboundMessage.sender == address))
    suppress(session, [address])
    session.execute(delete(Escalation).where(Escalation.person_address == address))
    session.info[ERASED] = True

"""The consent ledger: the one door through which a person's status on a medium changes.

Every change (opt-in, opt-out, revocation, re-subscription, a provider's opt-out, an address
added or found invalid) is written here: the status column on `people` (what the dispatcher
reads) and an append-only row saying when, how, by which rule or source, and what the person
had been told. Nothing else assigns `sms_status` or `email_status`, so the two never disagree
(`disagreements` is the check the tests run after every path).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session, object_session

from onward.channels import DeliveryStatus
from onward.engine.storage.bulk_rows import insert_one
from onward.engine.storage.driver_sql import connection_of
from onward.engine.storage.models import InboundMessage, Person
from onward.engine.storage.record_models import ConsentEvent
from onward.engine.suppression import lift
from onward.plans.disclosures import DISCLOSURE_VERSION

ACTIVE, OPTED_OUT, UNCONFIRMED, INVALID = "active", "opted_out", "unconfirmed", "invalid"
# Ways a person's own message gives consent: these (and only these) lift a suppression.
OWN_MESSAGE = frozenset({"first_message", "keyword", "phrase", "confirmation"})


@dataclass(frozen=True)
class How:
    """How a change came about: `kind` is one of keyword, phrase, provider, unsubscribe_link,
    operator, import, first_message, confirmation, migration; `detail` names the rule matched,
    the provider's event, the operator's command or the import's source."""

    kind: str
    detail: str = ""
    inbound_id: int | None = None  # the message that carried it, if a message did
    given_at: datetime | None = None  # when consent was given, if before it was recorded


def by_text(rule: str, inbound_id: int | None = None) -> How:
    """What a person wrote, read by the classifier: `rule` is the keyword that matched (STOP,
    START) or the phrase rule ("please stop texting me"): a single word is a keyword."""
    rule = rule.strip()
    kind = "keyword" if rule and " " not in rule else "phrase"
    return How(kind, rule[:300], inbound_id)


def by_provider(channel: str, event: str) -> How:
    """A provider told us (Twilio 21610, SendGrid's unsubscribe or spam report, a bounce)."""
    return How("provider", f"{channel}: {event}"[:300])


def by_delivery_status(status: DeliveryStatus) -> How:
    """A status callback or event that says something about the address (unsubscribe, spam
    report, carrier opt-out, hard bounce)."""
    code = f", error {status.error_code}" if status.error_code else ""
    return by_provider(status.channel, f"{status.consent} in a {status.state} event{code}")


def by_unsubscribe_link(medium: str) -> How:
    return How("unsubscribe_link", f"one-click link in an {medium}")


def by_operator(command: str) -> How:
    return How("operator", command[:300])


def by_import(source: str, given_at: datetime) -> How:
    return How("import", source[:300], given_at=given_at)


def by_first_message(medium: str, inbound_id: int | None = None) -> How:
    return How("first_message", f"wrote to onward first by {medium}", inbound_id)


def event_for(previous: str | None, status: str, how: How) -> str:
    """The ledger's name for a change (the words an operator answers to a regulator with)."""
    if status == OPTED_OUT:
        if how.kind == "provider":
            return "provider_opt_out"
        # STOP and its fellow keywords are an opt-out; anything else (a sentence, a link, an
        # operator acting on a request) is a revocation "by any reasonable means".
        return "opt_out" if how.kind == "keyword" else "revocation"
    if status == ACTIVE:
        return "re_subscription" if previous == OPTED_OUT else "opt_in"
    if status == UNCONFIRMED:
        return "address_added"
    return "address_invalid" if status == INVALID else status


def record(person: Person, medium: str, status: str, now: datetime, how: How) -> None:
    """Set the person's status on `medium` and append the ledger row saying why, in the
    person's session (the caller's transaction). Each call is recorded, even one that
    changes nothing (a second provider opt-out): it shows the request was seen."""
    session = object_session(person)
    assert session is not None, "the person must belong to a session"
    previous = _status_column(person, medium)
    if medium == "sms":
        person.sms_status = status
    else:
        person.email_status = status
    person.updated_at = now
    if person.id is None:
        session.flush()
    address = person.phone if medium == "sms" else person.email
    _append(session, person.id, medium, address, previous, status, how, now)


def opened(person: Person, now: datetime, how: How) -> None:
    """The first rows of someone just created: the status of each medium they have an address
    on, as it was set when their row was written (a first message, an import)."""
    session = object_session(person)
    assert session is not None and person.id is not None, "flush the new person first"
    for medium, address in (("sms", person.phone), ("email", person.email)):
        if not address:
            continue
        status = _status_column(person, medium) or UNCONFIRMED
        _append(session, person.id, medium, address, None, status, how, now)


def _append(
    session: Session,
    person_id: int,
    medium: str,
    address: str | None,
    previous: str | None,
    status: str,
    how: How,
    now: datetime,
) -> None:
    # A plain (Core) INSERT: ledger rows are only ever appended, and nothing reads one back in
    # the transaction that writes it.
    insert_one(
        connection_of(session),
        _LEDGER,
        {
            "person_id": person_id,
            "medium": medium,
            "address": address,
            "event": event_for(previous, status, how),
            "status": status,
            "previous_status": previous,
            "how": how.kind,
            "detail": how.detail,
            "inbound_id": how.inbound_id,
            "disclosure_version": DISCLOSURE_VERSION,
            "given_at": how.given_at,
            "recorded_at": now,
        },
        returning=(),
    )
    if status == ACTIVE and how.kind in OWN_MESSAGE and address:
        lift(session, address)  # they wrote to us themselves


_LEDGER = cast(Table, ConsentEvent.__table__)


def _status_column(person: Person, medium: str) -> str | None:
    return person.sms_status if medium == "sms" else person.email_status


# -- reading -------------------------------------------------------------------------------------


def history(session: Session, person_id: int) -> list[ConsentEvent]:
    return list(
        session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.person_id == person_id)
            .order_by(ConsentEvent.recorded_at, ConsentEvent.id)
        )
    )


def ledger_rows(session: Session, person_id: int) -> list[dict[str, Any]]:
    """The ledger as plain rows, with what the person wrote when a message carried it."""
    said = dict(
        session.execute(
            select(InboundMessage.id, InboundMessage.body)
            .join(ConsentEvent, ConsentEvent.inbound_id == InboundMessage.id)
            .where(ConsentEvent.person_id == person_id)
        ).all()
    )
    return [
        {
            "id": row.id,
            "recorded_at": row.recorded_at,
            "medium": row.medium,
            "address": row.address,
            "event": row.event,
            "status": row.status,
            "previous_status": row.previous_status,
            "how": row.how,
            "detail": row.detail,
            "said": said.get(row.inbound_id) if row.inbound_id is not None else None,
            "given_at": row.given_at,
            "disclosure_version": row.disclosure_version,
        }
        for row in history(session, person_id)
    ]


def current_status(session: Session, person_id: int, medium: str) -> str | None:
    """The status the ledger says the person is in on `medium` (its latest row), or None."""
    return session.scalar(
        select(ConsentEvent.status)
        .where(ConsentEvent.person_id == person_id, ConsentEvent.medium == medium)
        .order_by(ConsentEvent.id.desc())
        .limit(1)
    )


def disagreements(session: Session) -> list[tuple[int, str, str | None, str]]:
    """(person id, medium, ledger's status, column's status) wherever the two differ, for every
    medium a person has an address on: empty when the ledger and `people` agree."""
    latest = (
        select(ConsentEvent.person_id, ConsentEvent.medium, func.max(ConsentEvent.id).label("id"))
        .group_by(ConsentEvent.person_id, ConsentEvent.medium)
        .subquery()
    )
    found: list[tuple[int, str, str | None, str]] = []
    for medium, column, address in (
        ("sms", Person.sms_status, Person.phone),
        ("email", Person.email_status, Person.email),
    ):
        rows = session.execute(
            select(Person.id, ConsentEvent.status, column)
            .outerjoin(latest, (latest.c.person_id == Person.id) & (latest.c.medium == medium))
            .outerjoin(ConsentEvent, ConsentEvent.id == latest.c.id)
            .where(address.is_not(None))
        )
        found += [(pid, medium, ledger, col) for pid, ledger, col in rows if ledger != col]
    return found

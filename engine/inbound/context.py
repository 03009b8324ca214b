"""The values the inbound handlers work with: the router's configuration, a stored message,
the turn being handled (who wrote what, when, in which transaction), and its outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from onward.channels import ProviderAnswer
from onward.engine import language
from onward.engine.coaches.escalation import OnCall
from onward.engine.crisis import DEFAULT_CRISIS_PHRASES, CrisisLine
from onward.engine.phones import InvalidPhoneNumber, region_for_phone
from onward.engine.storage.models import Person
from onward.engine.storage.plain_writes import as_read
from onward.plans import DEFAULT_WINDOW, SendWindow


@dataclass(frozen=True)
class RouterConfig:
    default_window: SendWindow = DEFAULT_WINDOW
    org_name: str = "onward"  # {{ org }} in plan texts and HELP (ONWARD_ORG_NAME)
    help_text: str | None = None  # the operator's own HELP answer (ONWARD_HELP_TEXT)
    email_address: str | None = None  # where people write to confirm an address (ONWARD_EMAIL_FROM)
    crisis_phrases: tuple[str, ...] = DEFAULT_CRISIS_PHRASES
    crisis_lines: Mapping[str, CrisisLine] = field(default_factory=dict)
    on_call: OnCall = field(default_factory=OnCall)  # told when someone needs a human
    # Signs JOURNAL's one-time links (ONWARD_SECRET_KEY); without it, links are not offered.
    secret_key: str | None = field(default=None, repr=False)
    public_url: str = "http://127.0.0.1:8000"  # where those links point (ONWARD_PUBLIC_URL)


@dataclass(frozen=True)
class Incoming:
    """What the router needs of a stored inbound message."""

    id: int
    channel: str
    medium: str
    sender: str
    body: str
    # False when housekeeping routes it again later: no immediate reply reaches the person then.
    live: bool = True
    subject: str = ""
    # What the channel knew beyond the text (an email's SPF/DKIM verdict).
    extra: Mapping[str, str] = field(default_factory=dict)
    # A consent keyword the provider already acted on and answered: onward records, stays quiet.
    provider_answered: ProviderAnswer | None = None
    attachments: int = 0  # pictures or files that came with the words
    # Set by the router once: the subject or the body matched a crisis phrase.
    crisis: bool = False

    @property
    def verified(self) -> bool:
        """Did the sender prove they own the address (SPF/DKIM pass; the local console)?"""
        return self.channel == "console" or self.extra.get("verified") == "1"


@dataclass(frozen=True)
class OpenPrompt:
    """The current run's most recently sent prompt, as the handlers read it. Its row is not
    loaded: a handler that changes it writes the change itself (progress.keep)."""

    id: int
    run_id: int
    kind: str
    step_key: str
    answered_at: datetime | None


@dataclass(frozen=True)
class Sender:
    """The sender's row as the router read it with their conversation, as plain values: what it
    looks at for every message. A handler that changes the person, or reads more of them, asks
    for the object (`Turn.person`), made from `row` with no second read. A journal reply never
    needs it: loading the person through the ORM was half of that reply's read."""

    id: int
    phone: str | None
    email: str | None
    sms_status: str
    email_status: str
    language: str | None
    country: str | None
    timezone_source: str
    open_question: str | None
    row: Mapping[str, Any] = field(repr=False, compare=False)  # every column

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Sender:
        return cls(
            id=row["id"],
            phone=row["phone"],
            email=row["email"],
            sms_status=row["sms_status"],
            email_status=row["email_status"],
            language=row["language"],
            country=row["country"],
            timezone_source=row["timezone_source"],
            open_question=row["open_question"],
            row=row,
        )

    @classmethod
    def of_person(cls, person: Person) -> Sender:
        """The sender as a person object now says (one this message wrote)."""
        return cls.of({name: getattr(person, name) for name in PERSON_COLUMNS})


PERSON_COLUMNS = tuple(column.key for column in cast(Table, Person.__table__).columns)


@dataclass(frozen=True)
class Turn:
    """One message being acted on: every handler gets this and the intent it handles."""

    session: Session
    config: RouterConfig
    msg: Incoming
    now: datetime
    sender: Sender | None  # who wrote, as the router read them (None: someone new)
    # As the router found them before acting (it read them to classify the message).
    run_id: int | None = None  # the person's current run
    prompt: OpenPrompt | None = None  # its open prompt
    # The question onward asked them last and this message may answer ("interview:<id>"),
    # cleared on the person as this message is handled: it is asked once.
    question: str | None = None
    # The language every reply of this turn is in (language_of): worked out once, here.
    lang: str = language.DEFAULT
    held: bool | None = None  # a coach holds the conversation (None: not looked up)
    # Found by this message's insert of them: a first message racing it on another replica
    # wrote them first, and `run`, read before they existed, says nothing of the run it may
    # have started. (Someone this message wrote has no run but the one it starts.)
    found_racing: bool = False

    @property
    def person(self) -> Person | None:
        """The sender as an object (the session's own, once made): for the handlers that change
        them or read more than the router did."""
        return None if self.sender is None else as_read(self.session, Person, self.sender.row)


def country_of(msg: Incoming) -> str | None:
    """A stranger's country, from their number (an email address names none)."""
    if msg.medium != "sms":
        return None
    try:
        return region_for_phone(msg.sender)
    except InvalidPhoneNumber:
        return None


def language_of(person: Sender | Person | None, msg: Incoming) -> str:
    """The language to answer in: the person's (LANG, else their country's); a stranger's
    phone's country's, so a Spanish number is answered in Spanish from the first reply."""
    if person is not None:
        return language.of_person(person.language, person.country)
    return language.for_country(country_of(msg))


@dataclass
class Outcome:
    reply: str | None
    command: str
    person_id: int | None = None
    erased: bool = False
    moves_schedule: bool = True  # False: no step was added or moved (Received.moves_schedule)

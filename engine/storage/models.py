"""The tables: people, plan versions, rejections, runs, steps, deliveries, inbound, journal. The
records', the numbers', the console's and the journal copies' are in *_models.py beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onward.engine.storage.declarative import Base, UTCDateTime
from onward.engine.storage.sealing import SealedText

# Run statuses of the contract; only "active" runs have steps the dispatcher may send.
RUN_ACTIVE, RUN_PAUSED = "active", "paused"
RUN_COMPLETED, RUN_SUPERSEDED, RUN_CANCELLED = "completed", "superseded", "cancelled"
OPEN_RUN_STATUSES = (RUN_ACTIVE, RUN_PAUSED)

# Step statuses: pending (waiting for due_at), claimed (a dispatcher holds a lease), sent,
# failed, missed (overdue past the grace period), cancelled, skipped (a guard said no).
STEP_PENDING, STEP_CLAIMED, STEP_SENT = "pending", "claimed", "sent"
# A delivery of a step handed to the provider, whose answer is not recorded yet.
UNANSWERED = "status = 'sending' AND provider_id IS NULL AND step_id IS NOT NULL"
STEP_FAILED, STEP_MISSED, STEP_CANCELLED, STEP_SKIPPED = "failed", "missed", "cancelled", "skipped"
WAITING_STEP_STATUSES = (STEP_PENDING, STEP_CLAIMED)


def status_is(column: ColumnElement[str] | Mapped[str], value: str) -> ColumnElement[bool]:
    """`column = 'value'` with the value written into the SQL, not bound as a parameter.

    SQLite holds each `status = ?` of steps and deliveries up against their partial indexes'
    `status = '...'`; a statement that did so is prepared again at every execution, since
    another value might suit another index. For the conversation lookup's join that cost 55
    us, four times the query itself. Written in, the value is part of a statement prepared once.
    """
    if not value.isidentifier():  # onward's own status names only, never anyone's words
        raise ValueError(f"not a status name: {value!r}")
    return column == literal_column(f"'{value}'")


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    timezone_source: Mapped[str] = mapped_column(String(16), default="phone")  # phone|user|default
    country: Mapped[str | None] = mapped_column(String(2))
    sms_status: Mapped[str] = mapped_column(String(16), default="active")  # active|opted_out
    # active|opted_out|unconfirmed|invalid
    email_status: Mapped[str] = mapped_column(String(16), default="unconfirmed")
    preferred_medium: Mapped[str] = mapped_column(String(8), default="sms")
    send_window: Mapped[str | None] = mapped_column(String(16))  # the operator's override
    name: Mapped[str | None] = mapped_column(String(120))  # given by an import; else unknown
    # Chosen with LANG; NULL means their country's (onward.engine.language.of_person).
    language: Mapped[str | None] = mapped_column(String(8))
    # A question onward asked and waits for the answer to ("interview:<outcome event id>": when
    # is it?); their next message answers it or leaves it, and clears it either way.
    open_question: Mapped[str | None] = mapped_column(String(40))
    forget_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When a message to them last said how to stop, per medium (render.with_footer).
    sms_footer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_footer_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A random value per person that every link onward sends carries (engine/unsubscribe.py).
    link_key: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Indexed for retention: who has not been touched for ONWARD_RETENTION_DAYS.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


@dataclass(slots=True)
class PersonRow:
    """What writing and addressing a message reads of a person, as a plain row: no ORM
    identity, state or attribute instrumentation to pay for, a hundred of them a dispatcher's
    batch (dispatch/claims.py). The footers a batch owes are set here and written by its one
    UPDATE."""

    id: int
    phone: str | None
    email: str | None
    timezone: str
    country: str | None
    language: str | None
    sms_status: str
    email_status: str
    preferred_medium: str
    send_window: str | None
    sms_footer_at: datetime | None
    email_footer_at: datetime | None


# What the functions that write and address a message take: a loaded person, or a row of one.
Recipient: TypeAlias = Person | PersonRow


class PlanVersion(Base):
    """An immutable version of a plan: its YAML source as added, never edited."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AppSetting(Base):
    """Small operator choices kept in the database (for example the default plan)."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class Rejection(Base):
    __tablename__ = "rejections"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    company: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(120), default="")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_person_status", "person_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # None only for a run that answers no rejection: the welcome of an imported person.
    rejection_id: Mapped[int | None] = mapped_column(
        ForeignKey("rejections.id", ondelete="CASCADE")
    )
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"))
    status: Mapped[str] = mapped_column(String(16), default=RUN_ACTIVE)
    pause_reason: Mapped[str | None] = mapped_column(String(16))  # person|operator|crisis
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    applied_count: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship()
    rejection: Mapped[Rejection | None] = relationship()
    plan_version: Mapped[PlanVersion] = relationship()


class Step(Base):
    __tablename__ = "steps"
    # The dispatcher's hot queries: the claim of pending steps in (due_at, id) order, read
    # straight off the partial index without a sort (and the earliest due time); the claimed
    # steps whose lease ran out. Partial indexes only: a step's changes of status move no entry
    # of an index of every step (migration 0015).
    __table_args__ = (
        Index(
            "ix_steps_pending_due_at",
            "due_at",
            "id",
            sqlite_where=sql_text("status = 'pending'"),
            postgresql_where=sql_text("status = 'pending'"),
        ),
        Index(
            "ix_steps_claimed_lease_until",
            "lease_until",
            sqlite_where=sql_text("status = 'claimed'"),
            postgresql_where=sql_text("status = 'claimed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    step_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    reminder_of: Mapped[int | None] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=STEP_PENDING)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when a step must go by one medium (a fallback after the other failed); else chosen
    # at send time from the person's preference.
    medium: Mapped[str | None] = mapped_column(String(8))
    # When the person marked this prompt DONE (answered_at also counts answers and APPLIED).
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    run: Mapped[Run] = relationship()


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("channel", "provider_id"),
        Index("ix_deliveries_status", "status"),
        # A step's sends handed over whose answer is not recorded: the few in flight, and any
        # a dispatcher that died left in doubt (dispatch/in_doubt.mark_in_doubt reads this).
        Index(
            "ix_deliveries_unanswered",
            "updated_at",
            sqlite_where=sql_text(UNANSWERED),
            postgresql_where=sql_text(UNANSWERED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The step and run are named without a foreign key: a batch writes them from rows it holds
    # locked, and a key would look each up again (migration 0012). The person's key stays: its
    # cascade takes along a delivery written while FORGET erases them.
    step_id: Mapped[int | None] = mapped_column(index=True)
    run_id: Mapped[int | None]
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    medium: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(320))
    provider_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), default="sending")
    status_rank: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A digest of the text handed to the provider: how a send in doubt is found again there.
    body_digest: Mapped[str | None] = mapped_column(String(64))


class InboundMessage(Base):
    """Everything a person wrote, stored once before anything acts on it."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id"),
        Index("ix_inbound_messages_unhandled", "handled_at", "error"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    medium: Mapped[str] = mapped_column(String(8))
    sender: Mapped[str] = mapped_column(String(320), index=True)
    recipient: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(SealedText, default="")
    body: Mapped[str] = mapped_column(SealedText)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    command: Mapped[str | None] = mapped_column(String(32))
    reply: Mapped[str | None] = mapped_column(Text)
    # True while the reply could not ride with the webhook's answer (email, or routed again by
    # housekeeping) and has not yet gone out as a message of its own; NULL: nothing owed.
    reply_owed: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class JournalEntry(Base):
    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"))
    step_key: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(SealedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# The tables that live in modules of their own, imported here so the metadata holds them all.
from onward.engine.storage import (  # noqa: E402, F401
    console_models,
    journal_models,
    outcome_models,
    record_models,
)

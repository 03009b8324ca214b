"""The tables of the human in the loop: staff, sign-in attempts, the audit log, who holds a
conversation, requests for a human, coaches' messages and the on-call alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onward.engine.storage.declarative import Base, UTCDateTime

ROLE_COACH, ROLE_ADMIN = "coach", "admin"
ROLES = (ROLE_COACH, ROLE_ADMIN)


class Staff(Base):
    """A coach or an admin who signs in to the console."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped by sign-out: every session cookie carrying an older number stops working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SigninAttempt(Base):
    """Each try at the sign-in form: failures in a recent window lock an account or an address."""

    __tablename__ = "signin_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class AuditEntry(Base):
    """Append-only: a staff member saw or did something about a person. FORGET keeps the row
    and erases the words (`detail`) and the person it named."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Coaching(Base):
    """A person's coach (once one took them), whether a coach holds the conversation now, and
    whether the person shared their journal (SHARE)."""

    __tablename__ = "coaching"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    held_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HelpRequest(Base):
    """Someone asked for a human (COACH), or a queue item a coach resolved (with a note)."""

    __tablename__ = "help_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # coach|crisis|unplaced|failing
    ref_id: Mapped[int | None] = mapped_column(Integer)  # the inbound message or run it is about
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(Text)


class CoachMessage(Base):
    """A coach's reply: sent at once, or held for the opening of the person's send window."""

    __tablename__ = "coach_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(16), default="queued"
    )  # queued|sending|sent|failed|refused|unknown
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL")
    )
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Escalation(Base):
    """One alert to one on-call recipient that a person needs a human (coaches/escalation.py)."""

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_due", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    person_address: Mapped[str] = mapped_column(String(320))  # how the on-call reaches them
    person_medium: Mapped[str] = mapped_column(String(8))
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(String(16))  # crisis|coach
    medium: Mapped[str] = mapped_column(String(8))  # the recipient's
    recipient: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_id: Mapped[str | None] = mapped_column(String(128))
    last_error: Mapped[str | None] = mapped_column(String(500))

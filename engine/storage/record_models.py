"""The tables an operator answers to: the consent ledger, the suppression list of erased
addresses, and the provider events already applied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onward.engine.storage.declarative import Base, UTCDateTime


class ProviderEvent(Base):
    """Provider events already applied (SendGrid's sg_event_id): a retried batch changes nothing."""

    __tablename__ = "provider_events"
    __table_args__ = (UniqueConstraint("channel", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsentEvent(Base):
    """The consent ledger: one row per change of a person's status on a medium, never updated
    (a trigger refuses UPDATE); erased only with the person (FORGET, retention)."""

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_person_medium", "person_id", "medium", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    medium: Mapped[str] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(320))
    event: Mapped[str] = mapped_column(String(24))  # opt_in|opt_out|revocation|re_subscription|...
    status: Mapped[str] = mapped_column(String(16))  # the status it left the medium in
    previous_status: Mapped[str | None] = mapped_column(String(16))
    how: Mapped[str] = mapped_column(String(24))  # keyword|phrase|provider|unsubscribe_link|...
    detail: Mapped[str] = mapped_column(String(300), default="")
    # The message that carried it (no foreign key: ledger rows are never updated).
    inbound_id: Mapped[int | None] = mapped_column(Integer)
    disclosure_version: Mapped[str | None] = mapped_column(String(32))
    # When the person gave it, if before it was recorded (an import's consent date).
    given_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Suppression(Base):
    """A keyed hash of a number or address erased by FORGET or retention: no import or
    operator can start texting it again; only a message from it lifts it."""

    __tablename__ = "suppressions"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    medium: Mapped[str] = mapped_column(String(8))

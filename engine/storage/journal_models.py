"""The copies of their journal people ask for with JOURNAL: an email to send, or a link that
opens once. Their words are never stored here: a copy is made from the journal when it is sent
or opened. A link is kept as a digest of its token, so this table cannot open anything."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from onward.engine.storage.declarative import Base, UTCDateTime

COPY_EMAIL, COPY_LINK = "email", "link"
# An email: queued (waiting for due_at), sending, sent, failed, refused (no address to use),
# unknown (its sender stopped mid-call: engine/dispatch/stalled_sends.py).
# A link: issued, then used (opened once).
COPY_QUEUED, COPY_SENDING, COPY_SENT, COPY_FAILED, COPY_REFUSED, COPY_UNKNOWN = (
    "queued", "sending", "sent", "failed", "refused", "unknown"
)  # fmt: skip
LINK_ISSUED, LINK_USED = "issued", "used"


class JournalCopy(Base):
    __tablename__ = "journal_copies"
    __table_args__ = (
        Index("ix_journal_copies_status_due_at", "status", "due_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # email|link
    status: Mapped[str] = mapped_column(String(16))
    # A link's token, hashed (SHA-256): a second use finds used_at set, whichever replica.
    token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An email's next attempt, its attempts so far, and the delivery that carries it.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL")
    )
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

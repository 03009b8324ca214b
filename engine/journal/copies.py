"""What JOURNAL asks for: the journal by email, queued for the daemon to send (outside the
inbound transaction, through the delivery door), or a link by SMS (engine/journal/links.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from onward.engine.storage.journal_models import COPY_EMAIL, COPY_QUEUED, JournalCopy

# A busy mail server is tried again after these waits; then the copy is given up (the person
# can always text JOURNAL again).
RETRY_AFTER = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)


def queue_email(session: Session, person_id: int, now: datetime) -> None:
    """Ask for the journal by email; one waiting request is enough however often asked."""
    waiting = session.scalar(
        select(JournalCopy.id).where(
            JournalCopy.person_id == person_id,
            JournalCopy.kind == COPY_EMAIL,
            JournalCopy.status == COPY_QUEUED,
        )
    )
    if waiting is None:
        session.add(
            JournalCopy(
                person_id=person_id,
                kind=COPY_EMAIL,
                status=COPY_QUEUED,
                due_at=now,
                attempts=0,
                created_at=now,
            )
        )


def retry_after(attempts: int) -> timedelta | None:
    """How long after its `attempts`-th failed send a copy is tried again, or None: give up."""
    return RETRY_AFTER[attempts - 1] if 0 < attempts <= len(RETRY_AFTER) else None

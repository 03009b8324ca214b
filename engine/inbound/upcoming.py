"""What comes next for a person, in words: shared by every handler that ends its reply with it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from onward.engine import replies
from onward.engine.schedule import next_waiting
from onward.engine.storage.models import Person, Run


def when(lang: str, person: Person, due: datetime, now: datetime) -> str:
    """A due time in the person's own zone and language: 'tomorrow at 18:00'."""
    return replies.when_text(lang, due, now, ZoneInfo(person.timezone))


def next_line(lang: str, session: Session, run: Run | None, person: Person, now: datetime) -> str:
    """'Next: a short reflection, Thursday at 18:00 your time.', or that nothing is scheduled."""
    if run is None:
        return replies.next_due(lang, None, None)
    step = next_waiting(session, run.id)
    if step is None:
        return replies.next_due(lang, None, None)
    return replies.next_line(lang, step.kind, when(lang, person, step.due_at, now))

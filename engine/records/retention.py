"""Retention: nothing is kept forever. People with no activity for ONWARD_RETENTION_DAYS are
erased exactly as FORGET erases them (their number and address stay on the suppression list).

Activity is anything that touched the person: their row changing (a status, a setting), a
message from them, a message to them, a run started, a journal entry. Housekeeping erases a
bounded batch each pass, so a first pass over a large, old database never holds a long lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from onward.engine.logs import get_logger
from onward.engine.metrics import RETENTION_ERASED
from onward.engine.people import forget
from onward.engine.storage.models import Delivery, InboundMessage, JournalEntry, Person, Run

log = get_logger("onward.retention")
BATCH = 200


def idle_people(session: Session, cutoff: datetime, limit: int = BATCH) -> list[Person]:
    """People nothing has touched since `cutoff`, oldest first."""
    recent = [
        exists().where(InboundMessage.person_id == Person.id, InboundMessage.received_at >= cutoff),
        exists().where(Delivery.person_id == Person.id, Delivery.created_at >= cutoff),
        exists().where(Run.person_id == Person.id, Run.started_at >= cutoff),
        exists().where(JournalEntry.person_id == Person.id, JournalEntry.created_at >= cutoff),
    ]
    query = (
        select(Person)
        .where(Person.updated_at < cutoff, Person.created_at < cutoff, *[~r for r in recent])
        .order_by(Person.updated_at, Person.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def erase_idle(session: Session, now: datetime, days: int, limit: int = BATCH) -> int:
    """Erase up to `limit` people idle for `days` (0: retention is off); returns how many.
    Counted in onward_retention_erased_total and logged with the count only, never who."""
    if days <= 0:
        return 0
    people = idle_people(session, now - timedelta(days=days), limit)
    for person in people:
        forget(session, person)
    if people:
        RETENTION_ERASED.inc(len(people))
        log.info("retention erased people idle too long", count=len(people), days=days)
    return len(people)

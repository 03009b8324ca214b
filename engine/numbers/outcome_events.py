"""Outcome events: what came of a person's search, each with its time (the figures of stats).

One door for the four milestones: APPLIED (with a count), INTERVIEW (with a company and when),
OFFER and HIRED. People text them; a coach sets them for someone from the console
(`record_by_coach`). Nothing here holds a person's words but an interview's company name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from onward.engine.errors import NotFound, UsageError
from onward.engine.storage.models import Person, Run
from onward.engine.storage.outcome_models import OutcomeEvent

APPLIED: Final = "applied"
INTERVIEW: Final = "interview"
OFFER: Final = "offer"
HIRED: Final = "hired"
OUTCOME_KINDS: Final = (APPLIED, INTERVIEW, OFFER, HIRED)
SOURCES: Final = ("person", "coach", "migrated")


def record(
    session: Session,
    person_id: int,
    kind: str,
    at: datetime,
    *,
    run_id: int | None = None,
    count: int = 1,
    company: str = "",
    scheduled_for: datetime | None = None,
    source: str = "person",
) -> OutcomeEvent:
    """Store one outcome; `run_id` ties it to the plan the person was on when it happened."""
    if kind not in OUTCOME_KINDS:
        raise UsageError(f"unknown outcome {kind!r}: use one of {', '.join(OUTCOME_KINDS)}")
    if source not in SOURCES:
        raise UsageError(f"unknown source {source!r}")
    if count < 1:
        raise UsageError("an outcome counts at least 1")
    event = OutcomeEvent(
        person_id=person_id,
        run_id=run_id,
        kind=kind,
        count=count,
        company=company[:120],
        scheduled_for=scheduled_for,
        source=source,
        occurred_at=at,
    )
    session.add(event)
    return event


def record_by_coach(
    session: Session,
    person_id: int,
    kind: str,
    at: datetime,
    now: datetime,
    *,
    count: int = 1,
    company: str = "",
    scheduled_for: datetime | None = None,
) -> OutcomeEvent:
    """A coach sets an outcome for someone (the console): never in the future."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person with id {person_id}")
    if at > now:
        raise UsageError("an outcome cannot be dated in the future")
    run = session.scalars(
        select(Run)
        .where(Run.person_id == person_id, Run.started_at <= at)
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(1)
    ).first()
    return record(
        session,
        person_id,
        kind,
        at,
        run_id=run.id if run else None,
        count=count,
        company=company,
        scheduled_for=scheduled_for,
        source="coach",
    )


def events_of(session: Session, person_id: int) -> list[OutcomeEvent]:
    return list(
        session.scalars(
            select(OutcomeEvent)
            .where(OutcomeEvent.person_id == person_id)
            .order_by(OutcomeEvent.occurred_at, OutcomeEvent.id)
        )
    )

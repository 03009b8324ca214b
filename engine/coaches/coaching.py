"""A coach and a person: who holds the conversation, the person's requests for a human, whether
they shared their journal, and the queue items a coach marked as handled.

A coach who takes a conversation holds it: the person's running plan pauses (reason "coach")
and their messages go to the coach; handing back resumes the plan, re-timed as RESUME does.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from onward.engine import runs
from onward.engine.errors import UsageError
from onward.engine.storage.console_models import Coaching, HelpRequest, Staff
from onward.engine.storage.models import RUN_ACTIVE, RUN_PAUSED, Person
from onward.plans import SendWindow

COACH_PAUSE = "coach"
COACH_REQUEST = "coach"
MAX_NOTE = 500


def coaching_of(session: Session, person_id: int) -> Coaching | None:
    return session.get(Coaching, person_id)


def _row(session: Session, person_id: int, now: datetime) -> Coaching:
    row = session.get(Coaching, person_id)
    if row is None:
        row = Coaching(person_id=person_id, updated_at=now)
        session.add(row)
    return row


def holder(session: Session, person_id: int) -> Staff | None:
    """The coach holding this person's conversation now, if any."""
    row = session.get(Coaching, person_id)
    if row is None or row.held_since is None or row.coach_id is None:
        return None
    return session.get(Staff, row.coach_id)


def is_held(session: Session, person_id: int) -> bool:
    row = session.get(Coaching, person_id)
    return row is not None and row.held_since is not None


def coach_name(session: Session, person_id: int) -> str:
    """The person's coach, once one has taken them ("" before): `{{ coach }}` in templates."""
    row = session.get(Coaching, person_id)
    if row is None or row.coach_id is None:
        return ""
    member = session.get(Staff, row.coach_id)
    return member.name if member is not None else ""


# Built once, as render.journal_answers' is: a dispatch batch asks it every time.
_COACH_NAMES = (
    select(Coaching.person_id, Staff.name)
    .join(Staff, Staff.id == Coaching.coach_id)
    .where(Coaching.person_id.in_(bindparam("ids", expanding=True)))
)


def coach_names(session: Session, person_ids: Collection[int]) -> dict[int, str]:
    """The coaches of many people at once (a dispatch batch), by person id; none: no entry."""
    if not person_ids:
        return {}
    rows = session.execute(_COACH_NAMES, {"ids": list(person_ids)})
    return {int(row[0]): str(row[1]) for row in rows}


def take(session: Session, person: Person, member: Staff, now: datetime) -> None:
    row = _row(session, person.id, now)
    if row.held_since is not None and row.coach_id not in (None, member.id):
        current = session.get(Staff, row.coach_id) if row.coach_id else None
        raise UsageError(f"{current.name if current else 'another coach'} holds this conversation")
    row.coach_id, row.held_since, row.updated_at = member.id, row.held_since or now, now
    for run in runs.open_runs(session, person.id):
        # A crisis hold stays one (it ends only with RESUME); the person's own timed PAUSE
        # becomes the coach's, or housekeeping would resume it while the coach holds them.
        if run.status == RUN_ACTIVE or run.pause_reason != "crisis":
            runs.pause(session, run, now, None, COACH_PAUSE)


def hand_back(session: Session, person: Person, now: datetime, default_window: SendWindow) -> None:
    row = session.get(Coaching, person.id)
    if row is None or row.held_since is None:
        raise UsageError("nobody holds this conversation")
    row.held_since, row.updated_at = None, now
    for run in runs.open_runs(session, person.id):
        if run.status == RUN_PAUSED and run.pause_reason == COACH_PAUSE:
            runs.resume(session, run, now, default_window)
    for request in open_requests(session, person.id, COACH_REQUEST):
        request.resolved_at, request.resolved_by = now, row.coach_id


def set_shared(session: Session, person: Person, shared: bool, now: datetime) -> None:
    row = _row(session, person.id, now)
    row.shared_at, row.updated_at = (now if shared else None), now


def journal_shared(session: Session, person_id: int) -> bool:
    row = session.get(Coaching, person_id)
    return row is not None and row.shared_at is not None


def open_requests(session: Session, person_id: int, kind: str) -> list[HelpRequest]:
    return list(
        session.scalars(
            select(HelpRequest).where(
                HelpRequest.person_id == person_id,
                HelpRequest.kind == kind,
                HelpRequest.resolved_at.is_(None),
            )
        )
    )


def request_coach(session: Session, person: Person, inbound_id: int | None, now: datetime) -> bool:
    """COACH: the person joins the queue (once: asking twice keeps their first place)."""
    if open_requests(session, person.id, COACH_REQUEST):
        return False
    session.add(
        HelpRequest(person_id=person.id, kind=COACH_REQUEST, ref_id=inbound_id, created_at=now)
    )
    return True


def resolve(
    session: Session,
    person_id: int,
    kind: str,
    ref_id: int | None,
    member: Staff,
    note: str,
    now: datetime,
) -> None:
    """A coach handled a queue item; a crisis needs a short note saying how."""
    note = note.strip()
    if kind == "crisis" and not note:
        raise UsageError("say in a few words how the crisis was handled")
    if len(note) > MAX_NOTE:
        raise UsageError(f"keep the note under {MAX_NOTE} characters")
    requests = open_requests(session, person_id, kind) if kind == COACH_REQUEST else []
    for request in requests:
        request.resolved_at, request.resolved_by, request.note = now, member.id, note or None
    if not requests:
        session.add(
            HelpRequest(
                person_id=person_id,
                kind=kind,
                ref_id=ref_id,
                created_at=now,
                resolved_at=now,
                resolved_by=member.id,
                note=note or None,
            )
        )

"""The audit log: every staff view of a person's page or journal, every reply, every take and
hand-back, with who, when and what. Rows are only ever added; FORGET erases the words in them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onward.engine.storage.console_models import AuditEntry, Staff

VIEW_PERSON, VIEW_JOURNAL, REPLY = "view_person", "view_journal", "reply"
TAKE, HAND_BACK, RESOLVE = "take", "hand_back", "resolve"


def record(
    session: Session,
    staff_id: int,
    action: str,
    person_id: int | None,
    now: datetime,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEntry(staff_id=staff_id, person_id=person_id, action=action, detail=detail, at=now)
    )


def erase_person(session: Session, person_id: int) -> None:
    """FORGET: the staff's actions stay on record, without the person or their words."""
    session.execute(
        update(AuditEntry)
        .where(AuditEntry.person_id == person_id)
        .values(person_id=None, detail=None)
    )


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    staff: str
    action: str
    person: int | None
    detail: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "at": self.at,
            "staff": self.staff,
            "action": self.action,
            "person": self.person,
            "detail": self.detail,
        }


def entries(session: Session, limit: int = 500, person_id: int | None = None) -> list[AuditRow]:
    """The latest entries first; with `person_id`, only those about that person (a subject
    access export shows who on the staff saw or did what about them)."""
    query = (
        select(AuditEntry, Staff.email)
        .join(Staff, Staff.id == AuditEntry.staff_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    if person_id is not None:
        query = query.where(AuditEntry.person_id == person_id)
    return [
        AuditRow(row.id, row.at, email, row.action, row.person_id, row.detail)
        for row, email in session.execute(query)
    ]

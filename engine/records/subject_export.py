"""Everything onward holds about one person, for a subject access request: as data (JSON) and
as a page a person can read (HTML).

Outbound texts are not stored (they are rendered at send time); the export renders each sent
step again from the plan version its run used, and says so. Immediate replies are stored with
the message they answered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onward.engine import audit
from onward.engine.consent_ledger import ledger_rows
from onward.engine.plan_store import parsed
from onward.engine.render import (
    StepFacts,
    journal_answers,
    person_language,
    render_facts,
    step_source,
)
from onward.engine.storage.journal_models import JournalCopy
from onward.engine.storage.models import (
    Delivery,
    InboundMessage,
    JournalEntry,
    Person,
    PlanVersion,
    Rejection,
    Run,
    Step,
)

Rows = list[dict[str, Any]]


def collect(session: Session, person: Person, now: datetime) -> dict[str, Any]:
    """The whole record, section by section, oldest first within each."""
    runs = _runs(session, person)
    data: dict[str, Any] = {
        "exported_at": now,
        "profile": _profile(person),
        "consent": ledger_rows(session, person.id),
        "rejections": _rejections(session, person),
        "runs": [row for row, _ in runs],
        "messages_in": _messages_in(session, person),
        "messages_out": _messages_out(session, person, runs, now),
        "journal": _journal(session, person),
        "journal_copies": _journal_copies(session, person),
    }
    # Who on the staff saw their page or journal, replied, took or handed back the conversation.
    data["staff_actions"] = [
        row.as_json() for row in audit.entries(session, limit=10_000, person_id=person.id)
    ]
    return data


def _profile(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "phone": person.phone,
        "email": person.email,
        "timezone": person.timezone,
        "timezone_source": person.timezone_source,
        "country": person.country,
        "language": person_language(person),
        "language_chosen": person.language,
        "sms": person.sms_status,
        "email_status": person.email_status,
        "preferred_medium": person.preferred_medium,
        "send_window": person.send_window,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
        "forget_requested_at": person.forget_requested_at,
    }


def _rejections(session: Session, person: Person) -> Rows:
    found = session.scalars(
        select(Rejection).where(Rejection.person_id == person.id).order_by(Rejection.id)
    )
    return [
        {"id": r.id, "company": r.company, "role": r.role, "reported_at": r.reported_at}
        for r in found
    ]


def _runs(session: Session, person: Person) -> list[tuple[dict[str, Any], Run]]:
    found = session.scalars(select(Run).where(Run.person_id == person.id).order_by(Run.id))
    return [
        (
            {
                "id": run.id,
                "plan": run.plan_version.name,
                "version": run.plan_version.version,
                "rejection": run.rejection_id,
                "status": run.status,
                "started_at": run.started_at,
                "ended_at": run.ended_at,
                "pause_reason": run.pause_reason,
                "applied": run.applied_count,
            },
            run,
        )
        for run in found
    ]


def _messages_in(session: Session, person: Person) -> Rows:
    addresses = [a for a in (person.phone, person.email) if a]
    found = session.scalars(
        select(InboundMessage)
        .where(or_(InboundMessage.person_id == person.id, InboundMessage.sender.in_(addresses)))
        .order_by(InboundMessage.received_at, InboundMessage.id)
    )
    return [
        {
            "id": m.id,
            "received_at": m.received_at,
            "channel": m.channel,
            "medium": m.medium,
            "from": m.sender,
            "subject": m.subject or None,
            "text": m.body,
            "understood_as": m.command,
            "reply": m.reply,
        }
        for m in found
    ]


def _messages_out(
    session: Session, person: Person, runs: list[tuple[dict[str, Any], Run]], now: datetime
) -> Rows:
    by_run = {run.id: run for _, run in runs}
    answers = journal_answers(session, by_run)
    steps = {
        step.id: step for step in session.scalars(select(Step).where(Step.run_id.in_(list(by_run))))
    }
    found = session.scalars(
        select(Delivery).where(Delivery.person_id == person.id).order_by(Delivery.id)
    )
    copies = set(
        session.scalars(select(JournalCopy.delivery_id).where(JournalCopy.person_id == person.id))
    )
    rows = []
    for d in found:
        step = steps.get(d.step_id) if d.step_id is not None else None
        text, note = None, "an immediate reply: its text is under messages_in, as reply"
        if d.id in copies:
            note = "your journal, emailed as you asked (JOURNAL): its words are under journal"
        if step is not None:
            run = by_run[step.run_id]
            text = _rendered(run, step, person, now, answers.get(run.id, {}))
            note = f"rendered again from plan {run.plan_version.name} v{run.plan_version.version}"
        rows.append(
            {
                "id": d.id,
                "sent_at": d.created_at,
                "channel": d.channel,
                "medium": d.medium,
                "to": d.address,
                "status": d.status,
                "error": d.error_code,
                "step": step.step_key if step is not None else None,
                "text": text,
                "text_note": note,
            }
        )
    return rows


def _rendered(
    run: Run, step: Step, person: Person, now: datetime, answers: dict[str, str]
) -> str | None:
    version: PlanVersion = run.plan_version
    plan = parsed(version)
    rejection = run.rejection
    facts = StepFacts(
        step.step_key,
        step.reminder_of is not None,
        step.due_at,
        rejection.company if rejection else "",
        rejection.role if rejection else "",
        run.applied_count,
    )
    try:
        source, _ = step_source(
            plan, step.step_key, facts.is_reminder, None, person_language(person)
        )
        return render_facts(source, facts, plan, person, step.sent_at or now, answers)
    except (KeyError, ValueError):
        return None  # a plan changed under an old step: the row still shows what was sent


def _journal(session: Session, person: Person) -> Rows:
    found = session.scalars(
        select(JournalEntry)
        .where(JournalEntry.person_id == person.id)
        .order_by(JournalEntry.created_at, JournalEntry.id)
    )
    return [
        {"created_at": e.created_at, "run": e.run_id, "step": e.step_key, "text": e.text}
        for e in found
    ]


def _journal_copies(session: Session, person: Person) -> Rows:
    """The copies of their journal they asked for: when, how, and whether a link was opened
    (a link itself is not kept, only a digest of it)."""
    found = session.scalars(
        select(JournalCopy).where(JournalCopy.person_id == person.id).order_by(JournalCopy.id)
    )
    return [
        {
            "asked_at": c.created_at,
            "how": c.kind,
            "status": c.status,
            "expires_at": c.expires_at,
            "opened_at": c.used_at,
        }
        for c in found
    ]

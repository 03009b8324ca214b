"""What a coach sees of one person: the conversation as a timeline, the plan and what comes
next, who holds the conversation, and the journal only when the person has shared it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from onward.engine import runs
from onward.engine.coaches import coaching
from onward.engine.replies import when_text
from onward.engine.schedule import next_waiting
from onward.engine.storage.console_models import CoachMessage, HelpRequest, Staff
from onward.engine.storage.models import (
    RUN_PAUSED,
    Delivery,
    InboundMessage,
    JournalEntry,
    Person,
    Run,
    Step,
)
from onward.engine.web.console.queue import QueueItem, queue

TIMELINE_LIMIT = 300


@dataclass(frozen=True)
class Entry:
    at: datetime
    direction: str  # in, out, event
    text: str
    note: str = ""


@dataclass
class PersonView:
    id: int
    who: str
    phone: str | None
    email: str | None
    timezone: str
    local_now: str
    sms: str
    email_status: str
    plan: str | None = None
    run_status: str | None = None
    pause_reason: str | None = None
    company: str = ""
    applied: int = 0
    next_step: str | None = None
    steps: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, kind, due, status
    timeline: list[Entry] = field(default_factory=list)
    holder: str | None = None
    holder_id: int | None = None
    coach: str = ""
    shared: bool = False
    journal: list[Entry] = field(default_factory=list)
    crisis_run: int | None = None
    open_items: list[QueueItem] = field(default_factory=list)  # this person's queue items


def person_view(session: Session, person: Person, now: datetime) -> PersonView:
    tz = ZoneInfo(person.timezone)
    view = PersonView(
        id=person.id,
        who=person.phone or person.email or f"person {person.id}",
        phone=person.phone,
        email=person.email,
        timezone=person.timezone,
        local_now=now.astimezone(tz).strftime("%a %H:%M"),
        sms=person.sms_status if person.phone else "none",
        email_status=person.email_status if person.email else "none",
    )
    run = runs.current_run(session, person.id)
    if run is not None:
        version = run.plan_version
        view.plan = f"{version.name} v{version.version}"
        view.run_status, view.pause_reason = run.status, run.pause_reason
        view.company = run.rejection.company if run.rejection else ""
        view.applied = run.applied_count
        upcoming = next_waiting(session, run.id)
        if upcoming is not None:
            when = when_text("en", upcoming.due_at, now, tz)  # the staff's console: English
            view.next_step = f"{upcoming.step_key} ({upcoming.kind}), {when}"
        steps = session.scalars(
            select(Step).where(Step.run_id == run.id).order_by(Step.due_at, Step.id)
        )
        view.steps = [
            (s.step_key, s.kind, s.due_at.astimezone(tz).strftime("%a %d %b %H:%M"), s.status)
            for s in steps
        ]
        if run.status == RUN_PAUSED and run.pause_reason == "crisis":
            view.crisis_run = run.id
    holder = coaching.holder(session, person.id)
    view.holder = holder.name if holder else None
    view.holder_id = holder.id if holder else None
    view.coach = coaching.coach_name(session, person.id)
    view.shared = coaching.journal_shared(session, person.id)
    view.timeline = _timeline(session, person, view.shared)
    view.open_items = [
        item
        for item in queue(session, now)
        if item.person_id == person.id and item.kind != "crisis"
    ]
    if view.shared:
        view.journal = [
            Entry(j.created_at, "in", j.text, j.step_key or "note")
            for j in session.scalars(
                select(JournalEntry)
                .where(JournalEntry.person_id == person.id)
                .order_by(JournalEntry.created_at, JournalEntry.id)
            )
        ]
    return view


# What the router kept in the journal (the intent names it records): the person's own words.
JOURNAL_WORDS = frozenset({"free", "answer", "note", "crisis"})


def _timeline(session: Session, person: Person, shared: bool) -> list[Entry]:
    entries: list[Entry] = []
    for m in session.scalars(
        select(InboundMessage)
        .where(InboundMessage.person_id == person.id)
        .order_by(InboundMessage.received_at.desc())
        .limit(TIMELINE_LIMIT)
    ):
        note = "kept for the coach" if m.command == "held" else (m.command or "not handled yet")
        words = m.body
        if m.command in JOURNAL_WORDS and not shared:
            # Free text is journal material: the person's own, until they text SHARE.
            words, note = "(their own words: private until they text SHARE)", "journal"
        entries.append(Entry(m.received_at, "in", words, note))
        if m.reply:
            entries.append(Entry(m.received_at, "out", m.reply, "onward's answer"))
    steps = session.execute(
        select(Delivery, Step.step_key, Step.kind)
        .join(Step, Step.id == Delivery.step_id)
        .where(Delivery.person_id == person.id)
        .order_by(Delivery.created_at.desc())
        .limit(TIMELINE_LIMIT)
    )
    for delivery, key, kind in steps:
        entries.append(
            Entry(delivery.created_at, "out", f"nudge {key} ({kind}) by {delivery.medium}",
                  delivery.status)
        )  # fmt: skip
    coach_rows = session.execute(
        select(CoachMessage, Staff.name, Delivery.status)
        .join(Staff, Staff.id == CoachMessage.staff_id)
        .outerjoin(Delivery, Delivery.id == CoachMessage.delivery_id)
        .where(CoachMessage.person_id == person.id)
        .order_by(CoachMessage.created_at.desc())
        .limit(TIMELINE_LIMIT)
    )
    for message, name, delivery_status in coach_rows:
        state = delivery_status or message.status
        if message.status == "queued":
            state = f"waits for {message.due_at.astimezone(ZoneInfo(person.timezone)):%a %H:%M}"
        entries.append(Entry(message.created_at, "out", message.body, f"from {name}: {state}"))
    for run in session.scalars(select(Run).where(Run.person_id == person.id)):
        company = f" ({run.rejection.company})" if run.rejection and run.rejection.company else ""
        entries.append(
            Entry(run.started_at, "event", f"plan {run.plan_version.name} started{company}")
        )
        if run.ended_at is not None:
            entries.append(Entry(run.ended_at, "event", f"plan {run.status}"))
        elif run.paused_at is not None:
            entries.append(Entry(run.paused_at, "event", f"plan paused ({run.pause_reason})"))
    requests = session.execute(
        select(HelpRequest, Staff.name)
        .outerjoin(Staff, Staff.id == HelpRequest.resolved_by)
        .where(HelpRequest.person_id == person.id)
    )
    for request, name in requests:
        if request.kind == coaching.COACH_REQUEST:
            entries.append(Entry(request.created_at, "event", "asked for a coach"))
        if request.resolved_at is not None:
            note = f": {request.note}" if request.note else ""
            handled = f"{request.kind} handled by {name or 'a coach'}{note}"
            entries.append(Entry(request.resolved_at, "event", handled))
    entries.sort(key=lambda e: e.at)
    return entries[-TIMELINE_LIMIT:]

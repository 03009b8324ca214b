"""A person's journal as they will read it: every entry, oldest first, with when they wrote it
and the question it answered, rendered again from the plan version that asked it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from onward.engine.coaches.coaching import journal_shared
from onward.engine.journal.document import JournalDocument, Reader, render_journal
from onward.engine.language import of_person
from onward.engine.plan_store import parsed
from onward.engine.render import StepFacts, journal_answers, render_facts, step_source
from onward.engine.storage.models import JournalEntry, Person, Run, Step
from onward.plans import TemplateRenderError, assign_arm


@dataclass(frozen=True)
class JournalLine:
    at: datetime  # UTC
    prompt: str | None  # the question it answered; None for a note
    text: str


def has_entries(session: Session, person_id: int) -> bool:
    return bool(session.scalar(select(exists().where(JournalEntry.person_id == person_id))))


def journal_of(session: Session, person: Person, org: str) -> list[JournalLine]:
    """Every entry of the person's journal, oldest first (their words, unsealed: never log them)."""
    rows = session.execute(
        select(JournalEntry, Step)
        .outerjoin(Step, Step.id == JournalEntry.step_id)
        .where(JournalEntry.person_id == person.id)
        .order_by(JournalEntry.created_at, JournalEntry.id)
    ).all()
    run_ids = {entry.run_id for entry, _step in rows if entry.run_id is not None}
    runs = {run.id: run for run in session.scalars(select(Run).where(Run.id.in_(run_ids)))}
    answers = journal_answers(session, run_ids)
    return [
        JournalLine(
            entry.created_at,
            _prompt(entry, step, runs.get(entry.run_id or 0), person, answers, org),
            entry.text,
        )
        for entry, step in rows
    ]


def _prompt(
    entry: JournalEntry,
    step: Step | None,
    run: Run | None,
    person: Person,
    answers: Mapping[int, Mapping[str, str]],
    org: str,
) -> str | None:
    """The question as the person was asked it (the same template, facts and arm)."""
    if not entry.step_key or run is None:
        return None
    plan = parsed(run.plan_version)
    is_reminder = step.reminder_of is not None if step is not None else False
    key = entry.step_key
    try:
        source = step_source(plan, key, is_reminder, assign_arm(plan, person.id))[0]
        facts = StepFacts(
            step_key=key,
            is_reminder=is_reminder,
            due_at=step.due_at if step is not None else entry.created_at,
            company=run.rejection.company if run.rejection else "",
            role=run.rejection.role if run.rejection else "",
            applied=run.applied_count,
        )
        asked_at = step.sent_at if step is not None and step.sent_at else entry.created_at
        return render_facts(source, facts, plan, person, asked_at, answers.get(run.id, {}), org)
    except (KeyError, TemplateRenderError):  # a step no longer in the plan: the words alone
        return None


def journal_for(session: Session, person: Person, org: str, for_page: bool) -> JournalDocument:
    """The person's journal as an email (`for_page` False) or as the page a link opens."""
    reader = Reader(
        lang=of_person(person.language, person.country),
        zone=person.timezone,
        org=org,
        shared=journal_shared(session, person.id),
    )
    lines = [(line.at, line.prompt, line.text) for line in journal_of(session, person, org)]
    return render_journal(lines, reader, for_page)

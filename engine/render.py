"""Render a step's text for one person: the template context built from their run and journal."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from onward.engine.models import JournalEntry, Person, Run, Step
from onward.engine.replies import when_text
from onward.plans import Plan, render, template_context


def journal_answers(session: Session, run_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Each run's latest answer to each prompt, for many runs in one query."""
    answers: dict[int, dict[str, str]] = {}
    ids = list(run_ids)
    if not ids:
        return answers
    for run_id, key, text in session.execute(
        select(JournalEntry.run_id, JournalEntry.step_key, JournalEntry.text)
        .where(JournalEntry.run_id.in_(ids))
        .order_by(JournalEntry.created_at, JournalEntry.id)
    ):
        if run_id is not None and key:
            answers.setdefault(run_id, {})[key] = text  # the latest answer wins
    return answers


def step_context(
    step: Step, plan: Plan, person: Person, run: Run, now: datetime, answers: Mapping[str, str]
) -> dict[str, object]:
    return template_context(
        plan=plan.name,
        company=run.rejection.company,
        role=run.rejection.role,
        person={
            "timezone": person.timezone,
            "medium": person.preferred_medium,
            "phone": person.phone,
            "email": person.email,
        },
        answers=answers,
        applied=run.applied_count,
        goal=plan.apply_goal,
        local_due=when_text(step.due_at, now, ZoneInfo(person.timezone)),
    )


def render_step(
    session: Session,
    step: Step,
    plan: Plan,
    person: Person,
    run: Run,
    now: datetime,
    answers: Mapping[str, str] | None = None,
) -> str:
    """The text of a step (or of its reminder) for this person, rendered in the sandbox."""
    plan_step = plan.step(step.step_key.removesuffix(".reminder"))
    source = plan_step.text
    if step.reminder_of is not None and plan_step.reminder is not None:
        source = plan_step.reminder.text
    if answers is None:
        answers = journal_answers(session, [run.id]).get(run.id, {})
    return render(source, step_context(step, plan, person, run, now, answers))


def render_subject(
    session: Session,
    step: Step,
    plan: Plan,
    person: Person,
    run: Run,
    now: datetime,
    answers: Mapping[str, str] | None = None,
) -> str:
    plan_step = plan.step(step.step_key.removesuffix(".reminder"))
    if not plan_step.subject:
        return ""
    if answers is None:
        answers = journal_answers(session, [run.id]).get(run.id, {})
    return render(plan_step.subject, step_context(step, plan, person, run, now, answers))

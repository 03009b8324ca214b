"""Render a step's text for one person: the template context built from their run and journal."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from onward.engine.models import JournalEntry, Person, Run, Step
from onward.engine.replies import when_text
from onward.plans import Plan, render, template_context


def step_context(
    session: Session, step: Step, plan: Plan, person: Person, run: Run, now: datetime
) -> dict[str, object]:
    answers: dict[str, str] = {}
    for key, text in session.execute(
        select(JournalEntry.step_key, JournalEntry.text)
        .where(JournalEntry.run_id == run.id)
        .order_by(JournalEntry.created_at, JournalEntry.id)
    ):
        if key:
            answers[key] = text  # the latest answer to each prompt wins
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
    session: Session, step: Step, plan: Plan, person: Person, run: Run, now: datetime
) -> str:
    """The text of a step (or of its reminder) for this person, rendered in the sandbox."""
    plan_step = plan.step(step.step_key.removesuffix(".reminder"))
    source = plan_step.text
    if step.reminder_of is not None and plan_step.reminder is not None:
        source = plan_step.reminder.text
    return render(source, step_context(session, step, plan, person, run, now))


def render_subject(
    session: Session, step: Step, plan: Plan, person: Person, run: Run, now: datetime
) -> str:
    plan_step = plan.step(step.step_key.removesuffix(".reminder"))
    if not plan_step.subject:
        return ""
    return render(plan_step.subject, step_context(session, step, plan, person, run, now))

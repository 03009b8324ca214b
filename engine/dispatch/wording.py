"""What a claimed step says as it goes: a plan's step rendered from its template (the run, the
journal's answers, the coach's name), or a one-off step written from what is true now."""

from __future__ import annotations

from datetime import datetime

from onward.engine.dispatch.values import Batch, Claimed
from onward.engine.one_offs import is_one_off
from onward.engine.one_offs import render as render_one_off
from onward.engine.render import StepFacts, person_language, render_facts, step_source
from onward.plans import Plan


def wording(
    item: Claimed,
    batch: Batch,
    plan: Plan,
    arm: str | None,
    now: datetime,
    org_name: str,
    with_subject: bool,
) -> tuple[str, str]:
    """The step's text, and its subject when it goes by email (else "")."""
    step, person = item.step, item.person
    if is_one_off(step.step_key):
        text, subject = render_one_off(batch.one_offs[step.id], step.id, person, now)
        return text, subject if with_subject else ""
    answers = batch.answers.get(step.run_id, {})
    facts = StepFacts(
        step.step_key,
        step.reminder_of is not None,
        step.due_at,
        item.company,
        item.role,
        item.applied_count,
    )
    # In the person's language at the moment of sending: a LANG since the plan began counts.
    lang = person_language(person)
    source, subject_source = step_source(plan, step.step_key, facts.is_reminder, arm, lang)
    coach = batch.coaches.get(person.id, "")
    text = render_facts(source, facts, plan, person, now, answers, org_name, lambda: coach, lang)
    subject = (
        render_facts(
            subject_source, facts, plan, person, now, answers, org_name, lambda: coach, lang
        )
        if with_subject and subject_source
        else ""
    )
    return text, subject

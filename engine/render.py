"""Render a step's text for one person, in their language: the template context built from
their run and journal, and the opt-out footer onward adds to it when one is owed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from jinja2 import Environment, TemplateSyntaxError, meta
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from onward.engine import language
from onward.engine.replies import opt_out_footer, when_text
from onward.engine.storage.models import JournalEntry, Person, Recipient
from onward.engine.storage.plain_writes import write_now
from onward.plans import Plan, arm_text, render, template_context

_ANSWERS = (
    select(JournalEntry.run_id, JournalEntry.step_key, JournalEntry.text)
    .where(JournalEntry.run_id.in_(bindparam("ids", expanding=True)))
    .order_by(JournalEntry.created_at, JournalEntry.id)
)


def journal_answers(session: Session, run_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Each run's latest answer to each prompt, for many runs in one query."""
    answers: dict[int, dict[str, str]] = {}
    ids = list(run_ids)
    if not ids:
        return answers
    for run_id, key, text in session.execute(_ANSWERS, {"ids": ids}):
        if run_id is not None and key:
            answers.setdefault(run_id, {})[key] = text  # the latest answer wins
    return answers


@dataclass(frozen=True)
class StepFacts:
    """What a step's text may say about its run, as plain values (no ORM objects needed)."""

    step_key: str
    is_reminder: bool
    due_at: datetime
    company: str
    role: str
    applied: int


# Only for reading which variables a template uses; rendering happens in the plans sandbox.
_PARSER = Environment()


@lru_cache(maxsize=512)
def _uses_local_due(source: str) -> bool:
    return _uses(source, "local_due")


@lru_cache(maxsize=512)
def _uses(source: str, name: str) -> bool:
    try:
        return name in meta.find_undeclared_variables(_PARSER.parse(source))
    except TemplateSyntaxError:
        return True  # let the sandbox report it, as it always has


def _no_coach() -> str:
    return ""


def person_language(person: Recipient) -> str:
    """The language of everything sent to `person` (LANG, else their country's)."""
    return language.of_person(person.language, person.country)


def render_facts(
    source: str,
    facts: StepFacts,
    plan: Plan,
    person: Recipient,
    now: datetime,
    answers: Mapping[str, str],
    org: str = "onward",
    coach: Callable[[], str] = _no_coach,
    lang: str | None = None,
) -> str:
    """`lang` is the person's language when the caller has it already (person_language)."""
    # `local_due` costs two time-zone conversions; most texts never mention it, and a text that
    # does not use a variable renders the same whatever its value.
    text_lang = plan.text_language(lang or person_language(person))  # the text's, in its words
    local_due = (
        when_text(text_lang, facts.due_at, now, ZoneInfo(person.timezone))
        if _uses_local_due(source)
        else ""
    )
    context = template_context(
        plan=plan.name,
        company=facts.company,
        role=facts.role,
        person={
            "timezone": person.timezone,
            "medium": person.preferred_medium,
            "phone": person.phone,
            "email": person.email,
        },
        answers=answers,
        applied=facts.applied,
        goal=plan.apply_goal,
        local_due=local_due,
        org=org,
        # The coach's name costs a look-up: asked for only by a text that uses it.
        coach=coach() if _uses(source, "coach") else "",
    )
    return render(source, context)


def step_source(
    plan: Plan, step_key: str, is_reminder: bool, arm: str | None = None, lang: str | None = None
) -> tuple[str, str]:
    """The text source of a step (or of its reminder) and its subject source ("" if none);
    `arm` picks the step's variant in an experiment (reminders keep their one text), `lang`
    its translation (the plan's own language when it has none in `lang`)."""
    plan_step = plan.step(step_key.removesuffix(".reminder"))
    source, subject = arm_text(plan_step, arm, lang)
    if is_reminder and plan_step.reminder is not None:
        source = plan_step.reminder.text_for(lang or "")
    return source, subject or ""


# Carriers ask that people be reminded how to opt out, but not in every text: a plan's first
# message says it, then at most one message a week (per medium: "Reply STOP" means nothing in
# an inbox). A new plan clears the memory (run_start.start_run), so its first message says it again.
FOOTER_EVERY = timedelta(days=7)


def footer_owed(
    person: Recipient, medium: str, now: datetime, retry_of: datetime | None = None
) -> bool:
    """Does this message to `person` on `medium` carry the footer? `retry_of` is when an
    earlier attempt at this same message was prepared: a retry says what the first attempt did."""
    last = person.email_footer_at if medium == "email" else person.sms_footer_at
    if last is None or now - last >= FOOTER_EVERY:
        return True
    return retry_of is not None and last >= retry_of


def with_footer(
    text: str,
    medium: str,
    person: Recipient,
    now: datetime,
    *,
    unsubscribe_url: str | None = None,
    retry_of: datetime | None = None,
    session: Session | None = None,
    batch: dict[int, Recipient] | None = None,
) -> str:
    """`text` with the opt-out footer when one is owed, remembered on the person; else as is.
    Given the `session`, it is remembered with a plain UPDATE at once (storage/plain_writes.py).
    Given a `batch`, on the person (a batch's plain copy: storage.models.PersonRow), noted
    there by id for the batch to write in one statement (dispatch/batch_writes.write_footers).
    Given neither, by the person's next flush."""
    if not footer_owed(person, medium, now, retry_of):
        return text
    lang = person_language(person)  # onward's own words: the person's language, always
    column = "email_footer_at" if medium == "email" else "sms_footer_at"
    if session is not None:
        assert isinstance(person, Person), "written at once: a loaded person"
        write_now(session, person, **{column: now})
    else:
        setattr(person, column, now)
        if batch is not None:
            batch[person.id] = person
    if medium == "email":
        return f"{text.rstrip()}\n\n{opt_out_footer(lang, medium, unsubscribe_url)}"
    return f"{text.rstrip()}\n{opt_out_footer(lang, medium)}"

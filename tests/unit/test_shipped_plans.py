"""The plans onward ships: valid, kind, short even with onward's opt-out footer, well spaced."""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, time, timedelta

import pytest

from onward.engine.replies import SMS_FOOTER, opt_out_footer
from onward.plans import (
    DEFAULT_KEYWORDS,
    FOOTER_ROOM,
    PROMPT_KINDS,
    STEP_KINDS,
    Plan,
    load_shipped_plan,
    render,
    sample_context,
    shipped_plan_names,
    shipped_plan_source,
    sms_segments,
    validate_plan,
)
from onward.plans.schema import Step

NAMES = shipped_plan_names()
BLAME = re.compile(r"\b(fault|failed|failure|mistakes?|should have|your own)\b", re.IGNORECASE)
AWKWARD = re.compile(r" [.,;:!?)]|\S  +\S|\(\s*\)")
# Onward adds the way to stop; a text that says it again reads as robotic by day 8.
OWN_FOOTER = re.compile(r"\bSTOP\b|\bPAUSE for a break\b")
# "You're behind": a count of what is left ("3 to go", "2 more", "of 5") makes people read less.
BEHIND = re.compile(r"\bto go\b|\bmore to\b|\b\d+ (of|out of) \d+\b|\bleft\b", re.IGNORECASE)


def contexts(plan: Plan) -> list[dict[str, object]]:
    goal = plan.apply_goal
    variants: list[dict[str, object]] = []
    for company, role in [("Northwind Traders", "Senior Data Analyst"), ("", ""), ("Acme", "")]:
        for applied in sorted({0, 1, 2, goal or 0, (goal or 0) + 1}):
            variants.append(
                sample_context(
                    plan=plan.name, company=company, role=role, applied=applied, goal=goal
                )
            )
    return variants


def texts(step: Step) -> list[tuple[str, str]]:
    found = [("text", step.text)]
    if step.reminder is not None:
        found.append(("reminder", step.reminder.text))
    return found


def test_onward_ships_standard_and_another() -> None:
    assert "standard" in NAMES
    assert len(NAMES) >= 2


@pytest.mark.parametrize("name", NAMES)
def test_loads_without_errors_or_warnings(name: str) -> None:
    report = validate_plan(shipped_plan_source(name), f"{name}.yaml")
    assert [str(issue) for issue in report.issues] == []
    assert report.plan is not None
    assert report.plan.name == name


@pytest.mark.parametrize("name", NAMES)
def test_the_english_is_plain_ascii(name: str) -> None:
    # Plain ASCII keeps every SMS in GSM-7: 160 characters per part rather than 70. (The
    # translations keep to GSM-7 with their own letters: tests/unit/test_shipped_translations.)
    plan = load_shipped_plan(name)
    for step in plan.steps:
        english = [step.text, step.subject or "", step.reminder.text if step.reminder else ""]
        assert all(text.isascii() for text in english), step.id


@pytest.mark.parametrize("name", NAMES)
def test_every_text_is_short_and_kind_with_the_footer_onward_adds(name: str) -> None:
    plan = load_shipped_plan(name)
    for step in plan.steps:
        for label, source in texts(step):
            for context in contexts(plan):
                text = render(source, context)
                sent = f"{text}\n{opt_out_footer('en', 'sms')}"
                where = f"{name}.{step.id}.{label} with {context['company']!r}: {text!r}"
                length = sms_segments(sent)
                assert length.encoding == "GSM-7", where
                assert length.segments <= 2, where
                assert not OWN_FOOTER.search(text), where
                assert not BLAME.search(text), where
                assert not BEHIND.search(text), where
                assert not AWKWARD.search(text), where
                assert "None" not in text, where


@pytest.mark.parametrize("name", NAMES)
def test_praise_for_grit_comes_only_with_the_goal_reached(name: str) -> None:
    plan = load_shipped_plan(name)
    goal = plan.apply_goal or 0
    for step in plan.steps:
        for _label, source in texts(step):
            for applied in range(goal):
                context = sample_context(plan=plan.name, applied=applied, goal=goal)
                assert "grit" not in render(source, context), (step.id, applied)


def test_the_footer_fits_the_room_plans_leave_for_it() -> None:
    assert len("\n" + SMS_FOOTER) <= FOOTER_ROOM
    assert sms_segments(SMS_FOOTER).encoding == "GSM-7"


@pytest.mark.parametrize("name", NAMES)
def test_subjects_render_short(name: str) -> None:
    plan = load_shipped_plan(name)
    for step in plan.steps:
        assert step.subject, f"{step.id} has no email subject"
        for context in contexts(plan):
            subject = render(step.subject, context)
            assert 0 < len(subject) <= 60 and "\n" not in subject, subject
            assert not AWKWARD.search(subject), subject


@pytest.mark.parametrize("name", NAMES)
def test_every_prompt_can_be_replied_to(name: str) -> None:
    plan = load_shipped_plan(name)
    for step in plan.steps:
        if step.kind in PROMPT_KINDS:
            assert "Reply" in step.text, step.id
        if step.kind == "apply":
            assert "APPLIED" in step.text, step.id


def _local_due(start: datetime, step: Step) -> datetime:
    day, remaining = start.date(), step.due.days
    if step.business_days:
        while remaining:
            day += timedelta(days=1)
            remaining -= day.weekday() < 5
    else:
        day += timedelta(days=remaining)
    at = step.due.at if step.due.at is not None else start.time()
    return datetime.combine(day, at) + step.due.delta


def _nudges(plan: Plan, start: datetime) -> list[datetime]:
    moments = []
    for step in plan.steps:
        due = _local_due(start, step)
        moments.append(due)
        if step.reminder is not None:
            after = step.reminder.after
            moments.append(due + timedelta(days=after.days) + after.delta)
    return sorted(moments)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("weekday", range(7))
def test_nudges_are_spaced_out(name: str, weekday: int) -> None:
    plan = load_shipped_plan(name)
    start = datetime.combine(date(2025, 3, 3) + timedelta(days=weekday), time(12, 0))
    moments = _nudges(plan, start)
    gaps = [later - earlier for earlier, later in itertools.pairwise(moments)]
    assert min(gaps) >= timedelta(hours=5)
    same_day = [m.date() for m in moments]
    # Only the documented Sunday case of standard.yaml shares a day (research and a reminder).
    expected_repeats = 1 if (name, weekday) == ("standard", 6) else 0
    assert len(same_day) - len(set(same_day)) == expected_repeats
    window = plan.window
    assert window is not None
    assert all(window.contains(m.time()) for m in moments[1:])


@pytest.mark.parametrize("name", NAMES)
def test_steps_are_listed_in_due_order(name: str) -> None:
    offsets = [(step.due.days, step.due.at or time(0)) for step in load_shipped_plan(name).steps]
    assert offsets == sorted(offsets)


def test_standard_plan_shape() -> None:
    plan = load_shipped_plan("standard")
    assert {step.kind for step in plan.steps} == set(STEP_KINDS)
    assert plan.apply_goal == 5
    assert str(plan.window) == "09:00-20:00"
    assert set(DEFAULT_KEYWORDS) <= set(plan.keywords)
    first = plan.steps[0]
    assert (first.kind, first.due.offset, first.due.at) == ("message", timedelta(0), None)
    grieve = [step for step in plan.steps if step.kind == "grieve"]
    assert grieve and all(step.due.days <= 2 and step.reminder is None for step in grieve)
    for step_id in ("reflect", "feedback", "apply"):
        assert plan.step(step_id).reminder is not None
    assert plan.step("research").business_days
    feedback = render(plan.step("feedback").text, sample_context())
    assert "successful candidate" in feedback and "stronger" in feedback


def test_gentle_plan_is_slower_softer_and_asks_less() -> None:
    standard, gentle = load_shipped_plan("standard"), load_shipped_plan("gentle")
    assert gentle.apply_goal == 3
    assert "SETBACK" in gentle.keywords
    assert not set(gentle.keywords) & set(standard.keywords)

    def first_ask(plan: Plan) -> int:
        return min(step.due.days for step in plan.steps if step.kind in PROMPT_KINDS)

    assert first_ask(gentle) >= 3 > first_ask(standard)

    def asks(plan: Plan) -> int:
        prompts = [step for step in plan.steps if step.kind in PROMPT_KINDS]
        return len(prompts) + sum(step.reminder is not None for step in prompts)

    assert asks(gentle) < asks(standard)

"""A step's text rendered from plain values, as the dispatcher does for a whole batch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from onward.engine.models import Person
from onward.engine.render import StepFacts, render_facts
from onward.plans import TemplateRenderError, load_plan, shipped_plan_source

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 07:00 in San Francisco
PLAN = load_plan(shipped_plan_source("standard"), "standard.yaml")


def person() -> Person:
    return Person(
        phone="+14155550100", email=None, timezone="America/Los_Angeles", preferred_medium="sms"
    )


def facts(due: datetime = NOW, company: str = "Acme") -> StepFacts:
    return StepFacts("ack", False, due, company, "Analyst", 2)


def test_local_due_is_worked_out_when_the_text_uses_it() -> None:
    source = "{{ company }} at {{ local_due }}, {{ applied }} of {{ goal }}"
    text = render_facts(source, facts(NOW + timedelta(days=1, hours=3)), PLAN, person(), NOW, {})
    assert text == "Acme at tomorrow at 10:00, 2 of 5"


def test_a_text_without_local_due_renders_as_before() -> None:
    text = render_facts(
        "{{ person.phone }}: {{ answers.reflect }}.", facts(), PLAN, person(), NOW, {}
    )
    assert text == "+14155550100: ."


def test_a_broken_template_is_still_a_render_error() -> None:
    with pytest.raises(TemplateRenderError):
        render_facts("{{ local_due ", facts(), PLAN, person(), NOW, {})

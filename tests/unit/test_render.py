"""A step's text rendered from plain values, as the dispatcher does for a whole batch, and the
opt-out footer onward adds to it: a plan's first message, then at most once a week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from onward.engine.render import FOOTER_EVERY, StepFacts, footer_owed, render_facts, with_footer
from onward.engine.replies import SMS_FOOTER
from onward.engine.storage.models import Person
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


UNSUBSCRIBE = "https://onward.example.org/unsubscribe/abc"


def test_the_first_message_carries_the_footer_in_sms_words() -> None:
    someone = person()
    assert with_footer("Hello.", "sms", someone, NOW) == f"Hello.\n{SMS_FOOTER}"
    assert SMS_FOOTER == "Reply STOP to end."
    assert someone.sms_footer_at == NOW and someone.email_footer_at is None


def test_then_at_most_once_every_seven_days() -> None:
    someone = person()
    with_footer("Day 0.", "sms", someone, NOW)
    for days in (1, 2, 4, 6):
        assert with_footer("Later.", "sms", someone, NOW + timedelta(days=days)) == "Later."
    week = NOW + FOOTER_EVERY
    assert with_footer("Day 7.", "sms", someone, week).endswith(SMS_FOOTER)
    assert with_footer("Day 8.", "sms", someone, week + timedelta(days=1)) == "Day 8."
    assert timedelta(days=7) == FOOTER_EVERY


def test_each_medium_says_it_in_its_own_words_and_counts_its_own_week() -> None:
    someone = person()
    with_footer("By text.", "sms", someone, NOW)
    email = with_footer(
        "By email.", "email", someone, NOW + timedelta(days=1), unsubscribe_url=UNSUBSCRIBE
    )
    assert email == (
        f"By email.\n\nDon't want these emails? Reply STOP or unsubscribe: {UNSUBSCRIBE}"
    )
    assert "Reply STOP to end" not in email
    assert someone.email_footer_at == NOW + timedelta(days=1)
    assert with_footer("Again.", "email", someone, NOW + timedelta(days=2)) == "Again."


def test_a_retry_says_what_its_first_attempt_said() -> None:
    someone = person()
    with_footer("First.", "sms", someone, NOW)  # prepared at NOW, then the provider failed
    later = NOW + timedelta(minutes=5)
    assert footer_owed(someone, "sms", later, retry_of=NOW)
    assert with_footer("First.", "sms", someone, later, retry_of=NOW).endswith(SMS_FOOTER)
    # A retry of a message first prepared without the footer stays without it.
    other = person()
    other.sms_footer_at = NOW - timedelta(days=3)
    assert with_footer("Mid-week.", "sms", other, NOW) == "Mid-week."
    assert with_footer("Mid-week.", "sms", other, later, retry_of=NOW) == "Mid-week."


def test_a_new_plan_clears_the_memory_so_its_first_message_says_it() -> None:
    someone = person()
    with_footer("Old plan.", "sms", someone, NOW)
    someone.sms_footer_at = someone.email_footer_at = None  # what run_start.start_run does
    assert with_footer("New plan.", "sms", someone, NOW + timedelta(days=1)).endswith(SMS_FOOTER)


def test_a_batch_notes_the_people_it_owes_a_footer_to_write_them_together() -> None:
    someone, other = person(), person()
    someone.id, other.id = 7, 8
    other.sms_footer_at = NOW - timedelta(days=1)
    owed: dict[int, Person] = {}
    assert with_footer("Hello.", "sms", someone, NOW, batch=owed).endswith(SMS_FOOTER)
    assert with_footer("Again.", "sms", other, NOW, batch=owed) == "Again."
    assert owed == {7: someone} and someone.sms_footer_at == NOW

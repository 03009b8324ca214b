"""The shipped plans in Spanish and French: every text there, short in its own SMS alphabet with
its own footer, naming the same commands, and reading as that language, not as English."""

from __future__ import annotations

import re

import pytest

from onward.engine import replies
from onward.plans import (
    LANGUAGES,
    Plan,
    Reminder,
    Step,
    load_shipped_plan,
    render,
    sample_context,
    shipped_plan_names,
    sms_segments,
)

NAMES = shipped_plan_names()
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]
# English words a translation should not have kept ("Reply DONE" is "Responde DONE").
ENGLISH = re.compile(r"\b(Reply|Text|the|you|your|and|when)\b")
REPLY = {"es": "Responde", "fr": "Répondez"}


def contexts(plan: Plan) -> list[dict[str, object]]:
    goal = plan.apply_goal or 0
    return [
        sample_context(plan=plan.name, company=company, role=role, applied=applied, goal=goal)
        for company, role in [("Northwind Traders", "Senior Data Analyst"), ("", ""), ("Acme", "")]
        for applied in sorted({0, 1, 2, goal, goal + 1})
    ]


@pytest.mark.parametrize("name", NAMES)
def test_every_shipped_plan_speaks_every_language(name: str) -> None:
    assert load_shipped_plan(name).languages == list(LANGUAGES)


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("name", NAMES)
def test_every_translation_is_two_gsm7_sms_with_its_footer(name: str, lang: str) -> None:
    plan = load_shipped_plan(name)
    footer = replies.opt_out_footer(lang, "sms")
    for step in plan.steps:
        holders: list[Step | Reminder] = [step]
        if step.reminder is not None:
            holders.append(step.reminder)
        for holder in holders:
            source = holder.text_for(lang)
            assert source != holder.text, (step.id, lang)
            for context in contexts(plan):
                text = render(source, context)
                length = sms_segments(f"{text}\n{footer}")
                where = f"{name}.{step.id} in {lang}: {text!r}"
                assert (length.encoding, length.segments <= 2) == ("GSM-7", True), where
                assert not ENGLISH.search(text), where
                assert "None" not in text and "  " not in text, where


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("name", NAMES)
def test_prompts_say_how_to_reply_in_the_language(name: str, lang: str) -> None:
    plan = load_shipped_plan(name)
    for step in plan.steps:
        if step.is_prompt:
            assert REPLY[lang] in step.text_for(lang), (step.id, lang)
        subject = step.subject_for(lang)
        assert subject and subject != step.subject, (step.id, lang)
        for context in contexts(plan):
            assert 0 < len(render(subject, context)) <= 60


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("name", NAMES)
def test_the_first_reply_fits_two_sms_with_what_comes_next(name: str, lang: str) -> None:
    plan = load_shipped_plan(name)
    # The longest way each language says the second step's time (Saturday's "sábado" is the
    # one weekday outside GSM-7: README, Languages).
    tomorrow = plan.steps[1].due.days == 1
    when = {
        "es": "mañana a las 18:00" if tomorrow else "el miércoles a las 18:00",
        "fr": "demain à 18h00" if tomorrow else "mercredi à 18h00",
    }[lang]
    ack = render(plan.steps[0].text_for(lang), contexts(plan)[0])
    first = f"{ack}\n\n{replies.next_line(lang, plan.steps[1].kind, when)}\n"
    first += replies.opt_out_footer(lang, "sms")
    length = sms_segments(first)
    assert (length.encoding, length.segments) == ("GSM-7", 2), first

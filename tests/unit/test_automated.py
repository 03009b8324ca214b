"""Asked whether it is a bot, onward says so plainly, and how to reach a person: "is this a
bot?", "are you a real person?", "¿eres un bot?", "tu es un robot ?"."""

from __future__ import annotations

import pytest

from onward.engine import replies
from onward.engine.inbound.classify import State, classify_text
from onward.engine.inbound.intents import Automated
from onward.plans import sms_segments

PROMPT = State(plan_running=True, prompt_open=True, company="Acme")


@pytest.mark.parametrize(
    "text",
    [
        "is this a bot?",
        "Are you a bot",
        "are you a real person?",
        "are you human??",
        "am I talking to a bot?",
        "is this automated?",
        "¿Eres un bot?",
        "eres una persona real?",
        "tu es un robot ?",
        "c'est un bot ?",
        "hi, are you a real person?",
    ],
)
def test_asked_whether_it_is_a_bot(text: str) -> None:
    assert classify_text(text, PROMPT) == Automated()


@pytest.mark.parametrize(
    "text", ["the screening was a bot interview", "are you a real person or a bot, I need help"]
)
def test_a_longer_sentence_is_not_that_question(text: str) -> None:
    assert not isinstance(classify_text(text, PROMPT), Automated)


@pytest.mark.parametrize("lang", ["en", "es", "fr"])
def test_the_answer_is_plain_and_one_sms(lang: str) -> None:
    text = replies.automated(lang, "Acme Careers Club UK")
    assert "COACH" in text and "Acme Careers Club UK" in text
    assert sms_segments(text).segments <= 2

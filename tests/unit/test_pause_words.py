"""A pause asked for in a sentence is PAUSE: "can we pause for a week", "I need a break from
these messages", "I'm going on holiday, pause for 2 weeks". Talk of pausing that asks nothing
of onward ("I paused my search", "don't pause") stays as written."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from onward.engine.inbound.classify import State, classify_text
from onward.engine.inbound.intents import Answer, Intent, Invalid, Pause


def _with_words(expected: Intent, text: str) -> Intent:
    """A pause asked in a sentence carries its words (to keep); the command PAUSE none."""
    command = text.split()[0].upper() in ("PAUSE", "PAUSA")
    return expected if command or not isinstance(expected, Pause) else replace(expected, text=text)


PROMPT = State(plan_running=True, prompt_open=True, company="Acme")
DEFAULT = Pause(timedelta(days=3))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can we pause for a week", Pause(timedelta(weeks=1))),
        ("Could you pause the messages for 2 weeks?", Pause(timedelta(weeks=2))),
        ("I'm going on holiday, pause for 2 weeks", Pause(timedelta(weeks=2))),
        ("I'm going on holiday, please pause for 10 days", Pause(timedelta(days=10))),
        ("can you pause these texts, I'm exhausted", DEFAULT),
        ("I need a break from these messages", DEFAULT),
        ("I'd like a break from the reminders for a week", Pause(timedelta(weeks=1))),
        ("let's pause", DEFAULT),
        ("can we pause for a year", Invalid("PAUSE", "")),
    ],
)
def test_a_pause_asked_for_in_a_sentence_is_a_pause(text: str, expected: Intent) -> None:
    intent = classify_text(text, PROMPT)
    if isinstance(expected, Invalid):
        assert isinstance(intent, Invalid) and intent.command == "PAUSE"
    else:
        assert intent == _with_words(expected, text)


@pytest.mark.parametrize(
    "text",
    [
        "I paused my search for a week after Acme",
        "don't pause, I need the push",
        "there was a long pause before they answered",
        "I need a break from job hunting",
        "can we talk about the pause in hiring",
    ],
)
def test_talk_of_pausing_that_asks_nothing_is_kept(text: str) -> None:
    assert classify_text(text, PROMPT) == Answer(text, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PAUSE 2 semanas", Pause(timedelta(weeks=2))),
        ("pause 3 jours", Pause(timedelta(days=3))),
        ("pause une semaine", Pause(timedelta(weeks=1))),
        ("PAUSA", DEFAULT),
        ("pausa por una semana", Pause(timedelta(weeks=1))),
        ("¿podemos hacer una pausa de dos semanas?", Pause(timedelta(weeks=2))),
        ("necesito un descanso de estos mensajes", DEFAULT),
        ("je voudrais faire une pause", DEFAULT),
        ("pouvez-vous mettre en pause pendant 10 jours ?", Pause(timedelta(days=10))),
        ("j'ai besoin d'une pause dans ces messages", DEFAULT),
    ],
)
def test_a_pause_in_spanish_or_french(text: str, expected: Intent) -> None:
    assert classify_text(text, PROMPT) == _with_words(expected, text)


@pytest.mark.parametrize(
    "text",
    [
        "hice una pausa en la búsqueda",
        "la pause déjeuner était trop courte",
        "necesito un descanso",
    ],
)
def test_their_talk_of_pausing_is_kept(text: str) -> None:
    assert classify_text(text, PROMPT) == Answer(text, False)

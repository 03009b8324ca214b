"""A command with courtesy round it is the command: "help please", "ok done", "pause 1w
thanks", "please journal", "REJECTED Acme, thanks", "por favor ayuda". Politeness alone is
no command, and a longer sentence is not shortened into one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onward.engine.inbound.classify import State, classify_text
from onward.engine.inbound.commands import parse_command
from onward.engine.inbound.intents import (
    Answer,
    AskCoach,
    Done,
    Free,
    Help,
    Intent,
    Journal,
    Next,
    OptIn,
    Pause,
    Rejected,
    Resume,
    SetTimezone,
    Share,
)

PROMPT = State(plan_running=True, prompt_open=True, company="Acme")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help please", Help()),
        ("please help", Help()),
        ("Help pls!", Help()),
        ("ayuda por favor", Help()),
        ("aide svp", Help()),
        ("resume please", Resume()),
        ("ok resume", Resume()),
        ("reanudar por favor", Resume()),
        ("Reprendre svp", Resume()),
        ("RESUME, thank you", Resume()),
        ("pause please", Pause(timedelta(days=3))),
        ("pause thanks", Pause(timedelta(days=3))),
        ("please pause 1w", Pause(timedelta(weeks=1))),
        ("pause 1w thanks", Pause(timedelta(weeks=1))),
        ("ok done", Done()),
        ("done, thanks!", Done()),
        ("next please", Next()),
        ("journal please", Journal()),
        ("coach please", AskCoach()),
        ("hi, talk please", AskCoach()),
        ("share please", Share()),
        ("start please", OptIn("START")),
        ("TZ Europe/Paris please", SetTimezone("Europe/Paris")),
        ("REJECTED Acme, thanks", Rejected("Acme", "", "REJECTED")),
        ("who is this?", Help()),
        ("Who's this??", Help()),
        ("hi, who are you?", Help()),
        ("what is this", Help()),
        ("¿Quién eres?", Help()),
        ("qui est-ce ?", Help()),
        ("C'est qui ?", Help()),
        ("please REJECTED Acme - Analyst", Rejected("Acme", "Analyst", "REJECTED")),
    ],
)
def test_a_command_with_courtesy_round_it_is_the_command(text: str, expected: Intent) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["please", "thanks", "ok", "ok thanks", "thank you", "hi"])
def test_courtesy_alone_is_no_command(text: str) -> None:
    assert isinstance(parse_command(text), Free)
    assert classify_text(text, PROMPT) == Answer(text, False)


@pytest.mark.parametrize(
    "text",
    [
        "please help me understand why they said no",
        "ok next week I will apply again",
        "thanks, done with the interview prep for today",
        "resume please review it",
        "who is this recruiter anyway",
        "what is this feeling",
    ],
)
def test_a_sentence_is_not_shortened_into_a_command(text: str) -> None:
    assert classify_text(text, PROMPT) == Answer(text, False)

"""Asking for a human in a sentence is asked as COACH asks it: "I want to talk to someone",
"can a coach call me", "quiero hablar con alguien", "je veux parler à quelqu'un". The words
come along, to be kept in the journal of someone with a plan."""

from __future__ import annotations

import pytest

from onward.engine.inbound.classify import State, classify_text
from onward.engine.inbound.intents import Answer, AskCoach, Note, OptOut

NONE = State()
PLAN = State(plan_running=True, company="Acme")
PROMPT = State(plan_running=True, prompt_open=True, company="Acme")

ASKS = [
    "I want to talk to someone",
    "can I talk to a real person?",
    "I need to speak to a human",
    "is there a person I can talk to?",
    "can a coach call me",
    "I'd like someone to call me please",
    "I'd like to speak with a coach about Acme",
    "Could I chat with an advisor?",
    "am I talking to a real person here? I'd rather talk to one",
    "I need a human",
    "connect me with a coach",
    "can I talk to my coach?",
    "quiero hablar con alguien",
    "necesito hablar con una persona",
    "¿Puedo hablar con un asesor?",
    "quiero que me llame alguien",
    "je veux parler à quelqu'un",
    "Je voudrais parler avec un conseiller",
    "est-ce qu'un conseiller peut me rappeler ?",
]
NOT_ASKS = [
    "I talked to a coach at the career fair",
    "I don't need to talk to someone, I'm fine",
    "I'm waiting for someone to call me back from Acme",
    "they want a person with five years of experience",
    "I should talk to my manager",
    "I'd like to talk to my mentor about it first",
    "no necesito hablar con nadie",
    "je ne veux parler à personne",
    "je ne veux pas parler à quelqu'un",
    "hablé con una asesora ayer",
]


@pytest.mark.parametrize("text", ASKS)
@pytest.mark.parametrize("state", [NONE, PLAN, PROMPT], ids=["none", "plan", "prompt"])
def test_asking_for_a_human_in_words_asks_for_a_coach(text: str, state: State) -> None:
    assert classify_text(text, state) == AskCoach(text)


@pytest.mark.parametrize("text", NOT_ASKS)
def test_sentences_near_them_are_kept_as_written(text: str) -> None:
    assert classify_text(text, PROMPT) == Answer(text, False)
    assert classify_text(text, PLAN) == Note(text, False)


def test_the_command_carries_no_words() -> None:
    assert classify_text("COACH", PLAN) == AskCoach()
    assert classify_text("talk", PLAN) == AskCoach()


def test_an_opt_out_comes_first() -> None:
    assert classify_text("stop texting me, I want to talk to a real person", PLAN) == OptOut(
        "STOP TEXTING"
    )

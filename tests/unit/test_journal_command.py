"""JOURNAL and MY JOURNAL are commands only as the whole message; a sentence is journal words."""

from __future__ import annotations

import pytest

from onward.engine.inbound.classify import State, classify_text
from onward.engine.inbound.intents import Answer, Journal, Note
from onward.plans import validate_plan


@pytest.mark.parametrize("text", ["JOURNAL", "journal", " Journal! ", "my journal", "My Journal."])
def test_asking_for_the_journal(text: str) -> None:
    assert classify_text(text) == Journal()
    assert classify_text(text, State(plan_running=True, prompt_open=True)) == Journal()


def test_a_sentence_about_a_journal_is_kept_as_words() -> None:
    said = "journal entry: today was better"
    assert classify_text(said, State(plan_running=True)) == Note(said)
    assert classify_text(said, State(plan_running=True, prompt_open=True)) == Answer(said)


def test_no_plan_can_take_journal_as_its_keyword() -> None:
    plan = (
        "name: diary\ndescription: d\nkeywords: [JOURNAL]\nsteps:\n"
        "  - id: ack\n    kind: message\n    due: 0m\n    text: Hello.\n"
    )
    [error] = validate_plan(plan, "diary.yaml").errors
    assert "text command" in str(error)

"""COACH, TALK, SHARE and UNSHARE as the classifier reads them."""

from __future__ import annotations

import pytest

from onward.engine.inbound.commands import parse_command
from onward.engine.inbound.intents import AskCoach, Free, Share, Unshare


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("COACH", AskCoach()),
        ("coach", AskCoach()),
        (" Talk! ", AskCoach()),
        ("SHARE", Share()),
        ("share.", Share()),
        ("UNSHARE", Unshare()),
        ("Unshare", Unshare()),
    ],
)
def test_the_whole_message_is_the_command(text: str, command: object) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize(
    "text",
    ["coach said I did well", "talk to you tomorrow", "share my news: I got an interview"],
)
def test_a_sentence_starting_with_the_word_is_journal_text(text: str) -> None:
    assert parse_command(text) == Free(text)


def test_a_plan_keyword_can_never_shadow_coach_or_share() -> None:
    assert parse_command("COACH Acme", ["COACH"]) == Free("COACH Acme")
    assert parse_command("share acme", ["SHARE"]) == Free("share acme")

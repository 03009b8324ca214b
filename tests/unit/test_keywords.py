"""Reserved words live in one place (plans/keywords.py): every word a plan may take as a
keyword starts that plan, and every word the parser reads as a command is refused as one."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from onward.engine.inbound.commands import parse_command
from onward.engine.inbound.intents import Rejected
from onward.plans import Plan
from onward.plans.keywords import RESERVED_WORDS

STEP = {"id": "ack", "kind": "message", "due": "0m", "text": "Sorry. Reply STOP to end."}


def _plan_with(keyword: str) -> Plan:
    return Plan.model_validate(
        {"name": "p", "description": "d", "keywords": [keyword], "steps": [STEP]}
    )


def test_timezone_is_refused_as_a_plan_keyword_with_a_clear_message() -> None:
    # It used to validate and then never trigger: the parser took it for the TZ command.
    with pytest.raises(ValidationError, match="'TIMEZONE' is a text command"):
        _plan_with("timezone")


# ("I", of "I GOT HIRED", is reserved too; a keyword has two letters at least anyway. So is
# "QUIÉN", of "¿QUIÉN ERES?": a keyword is plain letters and digits, which refuses it first.)
@pytest.mark.parametrize("word", sorted(w for w in RESERVED_WORDS if len(w) > 1 and w.isascii()))
def test_every_reserved_word_is_refused_as_a_plan_keyword(word: str) -> None:
    with pytest.raises(ValidationError, match="is a text command"):
        _plan_with(word)


@pytest.mark.parametrize(
    "word", ["SETBACK", "GHOSTED", "TIMEZONES", "NOPE", "TZX", "STOPPED", "DECLINED", "PASSED"]
)
def test_a_keyword_that_validates_starts_its_plan(word: str) -> None:
    plan = _plan_with(word)
    assert parse_command(f"{word.lower()} Acme - Analyst", plan.keywords) == Rejected(
        "Acme", "Analyst", word
    )

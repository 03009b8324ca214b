"""LANG <code>: the language a person reads, as they name it; and how a language is inferred."""

from __future__ import annotations

import pytest

from onward.engine import language
from onward.engine.inbound.classify import State, classify_text
from onward.engine.inbound.commands import parse_command
from onward.engine.inbound.intents import Command, Free, SetLanguage
from onward.plans import RESERVED_WORDS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LANG es", SetLanguage("es")),
        ("lang ES", SetLanguage("es")),
        ("LANG français", SetLanguage("fr")),
        ("LANG francais", SetLanguage("fr")),
        ("Lang: Spanish", SetLanguage("es")),
        ("LANG en español", SetLanguage("es")),
        ("LANG es please", SetLanguage("es")),
        ("LANGUAGE english", SetLanguage("en")),
        ("IDIOMA español", SetLanguage("es")),
        ("langue fr", SetLanguage("fr")),
        ("LANG es-MX", SetLanguage("es")),
        ("LANG", SetLanguage(None)),
        ("lang?", SetLanguage(None)),
        ("LANG klingon", SetLanguage(None, asked="klingon")),
        ("LANG de", SetLanguage(None, asked="de")),
        (
            "Language was the hardest part of the interview",
            Free("Language was the hardest part of the interview"),
        ),
    ],
)
def test_lang(text: str, expected: Command) -> None:
    assert parse_command(text) == expected


def test_lang_is_a_command_in_any_state_and_no_plan_can_take_its_words() -> None:
    state = State(opted_out=False, plan_running=True, prompt_open=True, company="Acme")
    assert classify_text("LANG fr", state) == SetLanguage("fr")
    assert {"LANG", "LANGUAGE", "IDIOMA", "LANGUE"} <= RESERVED_WORDS


@pytest.mark.parametrize(
    ("chosen", "country", "expected"),
    [
        (None, "ES", "es"),
        (None, "MX", "es"),
        (None, "FR", "fr"),
        (None, "SN", "fr"),
        (None, "US", "en"),
        (None, "CA", "en"),  # several languages: English until they say LANG
        (None, None, "en"),
        ("fr", "ES", "fr"),  # LANG wins over the country
        ("xx", "ES", "es"),  # a value onward does not speak is no choice
    ],
)
def test_a_persons_language(chosen: str | None, country: str | None, expected: str) -> None:
    assert language.of_person(chosen, country) == expected

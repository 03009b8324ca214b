"""Duty of care: crisis phrases, crisis lines per country, the reply and the settings parsers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onward.engine.crisis import (
    DEFAULT_CRISIS_LINES,
    DEFAULT_CRISIS_PHRASES,
    FALLBACK_CRISIS_LINE,
    CrisisLine,
    crisis_line_for,
    crisis_reply,
    detect_crisis,
    normalise,
    parse_crisis_lines_setting,
    parse_crisis_phrases_setting,
)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("I want to kill myself", "kill myself"),
        ("I WANT TO KILL MYSELF", "kill myself"),
        ("honestly I just want to die.", "want to die"),
        ("I can't go on like this", "cant go on"),
        ("I cant go on", "cant go on"),
        ("I can’t go on", "cant go on"),  # curly apostrophe
        ("I cannot go on anymore", "cannot go on"),
        ("thinking about suicide", "suicide"),
        ("feeling suicidal tonight", "suicidal"),
        ("Suicidal.", "suicidal"),
        ("everyone would be better off without me", "better off without me"),
        ("I'd be better off dead", "better off dead"),
        ("I keep thinking I should end it all", "end it all"),
        ("I might end my life", "end my life"),
        ("I want to hurt myself", "hurt myself"),
        ("self-harm again", "self harm"),
        ("self harm", "self harm"),
        ("there's no reason to live", "no reason to live"),
        ("I don't want to live anymore", "dont want to live"),
        ("I've been cutting myself", "cutting myself"),
        ("want   to\n\ndie", "want to die"),
        ("want...to...die", "want to die"),
        ("kill myself 😞", "kill myself"),
        ("ＫＩＬＬ ＭＹＳＥＬＦ", "kill myself"),  # fullwidth
        ("I wish I was dead", "wish i was dead"),
        ("thinking of taking my own life", "taking my own life"),
        # False positives accepted on purpose: a kind message and a pause cost little.
        ("got suicide squad tickets", "suicide"),
        ("I'm not suicidal, just sad", "suicidal"),
        ("I hurt myself at football", "hurt myself"),
    ],
)
def test_detects(text, phrase):
    assert detect_crisis(text) == phrase


@pytest.mark.parametrize(
    "text",
    [
        "",
        "I'm not going to end up there",
        "the end",
        "that's the end of it",
        "endit",
        "it all ended well",
        "I could die of embarrassment",  # not on the list: "die" alone is far too common
        "the interview killed me",
        "killing it at the gym",
        "I want to diet",
        "my self harmony playlist",
        "selfharmonics",
        "can go on",
        "Rejected by Acme - Data Analyst",
        "I applied to three more jobs today and feel better",
        "STOP",
    ],
)
def test_does_not_detect(text):
    assert detect_crisis(text) is None


def test_custom_phrases_are_normalised_too():
    assert detect_crisis("Je veux mourir", ["veux mourir"]) == "veux mourir"
    assert detect_crisis("I can't cope", ["Can't cope!"]) == "Can't cope!"
    assert detect_crisis("I want to kill myself", ["veux mourir"]) is None
    assert detect_crisis("anything", ["", "!!"]) is None


def test_normalise():
    assert normalise("  I CAN'T   go-on!! 😞 ") == "i cant go on"
    assert normalise("Ｓｅｌｆ_harm") == "self harm"


@pytest.mark.parametrize(
    ("country", "name", "contact"),
    [
        ("US", "988 Suicide & Crisis Lifeline", "call or text 988"),
        ("us", "988 Suicide & Crisis Lifeline", "call or text 988"),
        (" CA ", "9-8-8 Suicide Crisis Helpline", "call or text 988"),
        ("GB", "Samaritans", "call 116 123"),
        ("IE", "Samaritans", "call 116 123"),
        ("AU", "Lifeline", "call 13 11 14"),
        ("NZ", "Need to Talk", "call or text 1737"),
        ("FR", "the national suicide prevention line", "call 3114"),
        ("DE", "TelefonSeelsorge", "call 0800 111 0 111"),
        ("IN", "Tele-MANAS", "call 14416"),
    ],
)
def test_default_lines(country, name, contact):
    assert crisis_line_for(country) == CrisisLine(name, contact)


@pytest.mark.parametrize("country", [None, "", "ZZ", "BR", "unknown"])
def test_fallback_line(country):
    line = crisis_line_for(country)
    assert line == FALLBACK_CRISIS_LINE
    assert "findahelpline.com" in line.contact


def test_overrides_win_and_can_replace_the_fallback():
    mine = CrisisLine("Our own line", "call 0800 000 000")
    assert crisis_line_for("GB", {"GB": mine}) == mine
    assert crisis_line_for("US", {"GB": mine}) == DEFAULT_CRISIS_LINES["US"]
    assert crisis_line_for("BR", {"*": mine}) == mine
    assert crisis_line_for("BR", {}) == FALLBACK_CRISIS_LINE


@pytest.mark.parametrize("line", [*DEFAULT_CRISIS_LINES.values(), FALLBACK_CRISIS_LINE])
def test_reply_is_short_plain_and_kind(line):
    reply = crisis_reply(line)
    assert len(reply) <= 300
    assert reply.isascii()
    assert line.name in reply
    assert line.contact in reply
    assert "You matter" in reply
    assert "paused" in reply
    assert "RESUME" in reply
    assert "emergency" in reply


def test_parse_lines_setting():
    value = "US=988 Suicide & Crisis Lifeline|call or text 988; gb = Samaritans | call 116 123 ;"
    assert parse_crisis_lines_setting(value) == {
        "US": CrisisLine("988 Suicide & Crisis Lifeline", "call or text 988"),
        "GB": CrisisLine("Samaritans", "call 116 123"),
    }
    assert parse_crisis_lines_setting("*=Local line|call 123") == {
        "*": CrisisLine("Local line", "call 123")
    }
    assert parse_crisis_lines_setting("") == {}
    assert parse_crisis_lines_setting(" ; ") == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("US", "entry 1 ('US'): expected CC=name|contact"),
        ("US=Lifeline", "entry 1 ('US=Lifeline'): expected CC=name|contact"),
        ("GB=Samaritans|call 116 123;USA=x|y", "entry 2 ('USA=x|y'): 'USA' is not a two-letter"),
        ("1Z=x|y", "'1Z' is not a two-letter"),
        ("US=|call 988", "both the name and the contact are needed"),
        ("US=Lifeline|", "both the name and the contact are needed"),
        (f"US={'x' * 81}|call 988", "limited to 80 characters"),
        ("US=a|b;us=c|d", "US is listed twice"),
    ],
)
def test_parse_lines_setting_rejects_junk(value, message):
    with pytest.raises(ValueError, match="crisis lines entry") as caught:
        parse_crisis_lines_setting(value)
    assert message in str(caught.value)


def test_parse_phrases_setting_adds_to_the_defaults():
    phrases = parse_crisis_phrases_setting("veux mourir; Can't cope, suicide,  ,")
    assert phrases[: len(DEFAULT_CRISIS_PHRASES)] == DEFAULT_CRISIS_PHRASES
    assert phrases[len(DEFAULT_CRISIS_PHRASES) :] == ("veux mourir", "Can't cope")
    assert detect_crisis("je veux mourir", phrases) == "veux mourir"
    assert parse_crisis_phrases_setting("") == DEFAULT_CRISIS_PHRASES


def test_default_phrases_are_already_normal():
    assert all(normalise(phrase) == phrase for phrase in DEFAULT_CRISIS_PHRASES)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(DEFAULT_CRISIS_PHRASES),
    st.text(alphabet="abc .,!?\n😞", max_size=20),
    st.text(alphabet="abc .,!?\n😞", max_size=20),
)
def test_a_phrase_between_word_boundaries_is_always_found(phrase, before, after):
    text = f"{before} {phrase.upper()}, {after}"
    assert detect_crisis(text) is not None

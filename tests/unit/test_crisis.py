"""Duty of care: crisis in the words people text, lines per region, the reply, the settings."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onward.engine.crisis import (
    DEFAULT_CRISIS_LINES,
    DEFAULT_CRISIS_PHRASES,
    FALLBACK_CRISIS_LINE,
    SHARES_LINE_WITH,
    CrisisLine,
    Said,
    crisis_line_for,
    crisis_reply,
    detect_crisis,
    normalise,
    parse_crisis_lines_setting,
    parse_crisis_phrases_setting,
    says,
    words,
)
from onward.engine.crisis.phrases import FIGURES_OF_SPEECH
from onward.engine.phones import region_for_phone
from onward.engine.runtime import router_config
from onward.engine.settings import load_settings

# What people in crisis write, each way of saying it in the issue: flagged, whatever the spelling.
SAID_IN_CRISIS = [
    # the shorthand and the plain words the first list missed (stop 29)
    "i want to kms",
    "im gonna kms tonight",
    "I want to end it",
    "I don't see the point anymore",
    "I want to go to sleep and never wake up",
    "i just want to sleep forever",
    "I'm done with life",
    "life is not worth it",
    "I took a bunch of pills",
    "I took all my pills",
    "this is my last message",
    "I wrote a goodbye note",
    "I can't see a way out",
    "there's no way out",
    "I'm not going to be around much longer",
    "I won't be here tomorrow",
    "I just want the pain to stop",
    "I wish I was never born",
    "I'm so tired of living",
    "tired of being alive",
    "no one cares if I live or die",
    "I relapsed and cut",
    "I self harmed last night",
    "I want to not exist",
    "I want to stop existing",
    # not wanting to be here
    "I don't want to be here anymore",
    "i dont want to be here any more",
    "honestly I do not want to be here anymore.",
    "I wish I wasn't here",
    "sometimes i wish i didnt exist",
    "I dont want to exist",
    "I wish I'd never been born",
    "i wish i had never been born",
    # wanting to disappear or die
    "I want to disappear",
    "i just wanna disappear",
    "I wish I could just disappear",
    "honestly I just want to die.",
    "I WANT TO DIE",
    "i wanna die",
    "i want to just die",
    "I want to die lol",
    "wnat to die",
    "want   to\n\ndie",
    "want...to...die",
    "I wish I was dead",
    "i wish i were dead",
    "Id be better off dead",
    "I don't want to live anymore",
    "I dont wanna live",
    "i do not want to be alive",
    "I hope I don't wake up tomorrow",
    "I want to stop feeling like this",
    "i want it all to end",
    # no point
    "there's no point anymore",
    "theres no point in living",
    "no point going on",
    "what's the point of living",
    "life isn't worth living",
    "there's no reason to live",
    "I have nothing to live for",
    "I've lost the will to live",
    "life is pointless",
    # can't go on
    "I can't go on like this",
    "I cant go on",
    "I can’t go on",  # curly apostrophe
    "I cannot go on anymore",
    "i can not go on",
    "cantgo on",
    "I can't do this anymore",
    "I cant take it anymore",
    "can't take this anymore honestly",
    "I can't cope anymore",
    "I'm giving up on life",
    # better off without me
    "everyone would be better off without me",
    "they'd be better off if I was gone",
    "the world would be better without me",
    "I'm a burden to everyone",
    "im a burden",
    "nobody would miss me",
    "no one would even miss me",
    # ending it
    "I keep thinking I should end it all",
    "i'm gonna end it all",
    "I'm going to end it tonight",
    "thinking about ending it",
    "I might end my life",
    "thinking of taking my own life",
    "I want to kill myself",
    "I WANT TO KILL MYSELF",
    "kill my self",
    "killmyself",
    "ＫＩＬＬ ＭＹＳＥＬＦ",  # fullwidth
    "kill myself 😞",
    "thinking about suicide",
    "feeling suicidal tonight",
    "Suicidal.",
    "suicdal",  # a typo
    "sucidal thoughts again",
    "s u i c i d e",
    "I might unalive myself",
    # hurting oneself
    "I want to hurt myself",
    "I've been hurting myself again",
    "I want to harm myself",
    "self-harm again",
    "selfharm",
    "I've been cutting myself",
    "i cut myself last night",
]

# Everyday figures of speech, and what people going through a rejection write: not flagged.
NOT_CRISIS = [
    "",
    "the interview killed me",
    "that interview absolutely killed me",
    "I'm dying to hear back",
    "dying to know what they said",
    "I could die of embarrassment",
    "I want to die of embarrassment after that answer",
    "I was killing myself laughing at the rejection email",
    "killing it at the gym",
    "this commute is killing me",
    "I'm dead tired",
    "I want to diet",
    "my self harmony playlist",
    "selfharmonics",
    "can go on",
    "I can go on",
    "endit",
    "the end",
    "that's the end of it",
    "it all ended well",
    "I'm not going to end up there",
    "I'm thinking about sending it tomorrow",
    "I will myself to keep applying",
    "Acme is cutting again, more layoffs",
    "Rejected by Acme - Data Analyst",
    "I applied to three more jobs today and feel better",
    "STOP",
    "stop texting me",
    "I want to opt out",
    "I'm exhausted but I'll keep going",
    "I can keep going",
    "I don't want to work there anymore",
    "I don't want to be a data analyst anymore",
    "there's no point in applying to Acme again",
    "no pointers from the recruiter",
    "I'm ready to die on this hill about remote work",
    "they ended the process early",
    "the role was pointless anyway",
    "I'm a bit burnt out",
    "I'll miss my old team",
    "I hurt my back moving boxes",
    "my cat cut her paw",
    "I just want to hear back",
    "I want to disappoint nobody",
    "I want to discover new roles",
    "I'm going to send it tonight",
    "I will end it with a thank-you note",
    "feeling low but okay",
    "not the best day",
    "got rejected from Meta today :(",
    "😭😭😭",
    "killing time before the next interview",
    "killer interview question",
    "they killed the role",
    "dead end job",
    "the deadline is dead",
    "I'm over it",
    "overdue invoice",
    "I had an overdose of coffee before the call",
    "life is good",
    "what's the point of cover letters",
    "I'm a bit of a perfectionist",
    "hurt feelings, but fine",
    "I ran 5 kms this morning",
    "I never wake up before 8",
    "been cutting back on coffee",
    "I give up on FAANG, applying to startups now",
    "I hate my commute",
    "I wrote a note to the recruiter",
    "I'm done with this company",
]


@pytest.mark.parametrize("text", SAID_IN_CRISIS)
def test_crisis_is_heard_in_the_words_people_use(text: str) -> None:
    assert detect_crisis(text) is not None, text


@pytest.mark.parametrize("text", NOT_CRISIS)
def test_figures_of_speech_and_everyday_words_are_not_crisis(text: str) -> None:
    assert detect_crisis(text) is None, (text, detect_crisis(text))


def test_both_lists_are_long_enough() -> None:
    assert len(SAID_IN_CRISIS) >= 60
    assert len(NOT_CRISIS) >= 60


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("I want to kill myself", "kill myself"),
        ("I can't go on like this", "cant go on"),
        ("I cannot go on", "cant go on"),
        ("thinking about suicide", "suicide"),
        ("I'd be better off dead", "better off dead"),
        ("self-harm again", "self harm"),
        ("I don't want to live anymore", "dont want to live"),
    ],
)
def test_the_phrase_found_is_reported_as_listed(text: str, phrase: str) -> None:
    assert detect_crisis(text) == phrase


@pytest.mark.parametrize(
    "text",
    # False positives accepted on purpose: a kind message and a pause cost little.
    ["got suicide squad tickets", "I'm not suicidal, just sad", "I hurt myself at football"],
)
def test_the_list_leans_wide_on_purpose(text: str) -> None:
    assert detect_crisis(text) is not None


def test_custom_phrases_are_normalised_too() -> None:
    assert detect_crisis("Je veux mourir", ["veux mourir"]) == "veux mourir"
    assert detect_crisis("I can't cope", ["Can't cope!"]) == "Can't cope!"
    assert detect_crisis("I want to kill myself", ["veux mourir"]) is None
    assert detect_crisis("anything", ["", "!!"]) is None


def test_normalise_and_words() -> None:
    assert normalise("  I CAN'T   go-on!! 😞 ") == "i cant go on"
    assert normalise("Ｓｅｌｆ_harm") == "self harm"
    assert words("I do not wanna, I cannot") == ("i", "dont", "want", "to", "i", "cant")
    assert words("I am gonna") == ("im", "going", "to")


def test_every_figure_of_speech_undoes_a_match_only_where_it_stands() -> None:
    assert detect_crisis("I want to die of embarrassment") is None
    assert detect_crisis("I want to die of embarrassment. No, I really want to die") is not None
    assert all(words(idiom) == tuple(normalise(idiom).split()) for idiom in FIGURES_OF_SPEECH)


def test_default_phrases_are_already_clean_and_distinct() -> None:
    assert all(normalise(phrase) == phrase for phrase in DEFAULT_CRISIS_PHRASES)
    assert len({words(phrase) for phrase in DEFAULT_CRISIS_PHRASES}) == len(DEFAULT_CRISIS_PHRASES)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(DEFAULT_CRISIS_PHRASES),
    st.text(alphabet="abc .,!?\n😞", max_size=20),
    st.text(alphabet="abc .,!?\n😞", max_size=20),
)
def test_a_phrase_between_word_boundaries_is_always_found(
    phrase: str, before: str, after: str
) -> None:
    assert detect_crisis(f"{before} {phrase.upper()}, {after}") is not None


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(DEFAULT_CRISIS_PHRASES), st.data())
def test_a_phrase_without_its_apostrophes_or_spaces_is_found(
    phrase: str, data: st.DataObject
) -> None:
    spaced = phrase.replace(" ", data.draw(st.sampled_from(["  ", " . ", "\n", "-"])))
    assert detect_crisis(spaced) is not None
    if " " in phrase:
        assert detect_crisis(f"ok {phrase.replace(' ', '')} ok") is not None


_PHRASE_WORDS = sorted(
    {word for text in (*DEFAULT_CRISIS_PHRASES, *FIGURES_OF_SPEECH) for word in words(text)}
)


def _one_typo(word: str, data: st.DataObject) -> str:
    at = data.draw(st.integers(0, len(word)))
    letter = data.draw(st.sampled_from("aeiourstk"))
    return data.draw(
        st.sampled_from([word, word[:at] + word[at + 1 :], word[:at] + letter + word[at:]])
    )


def _said_somehow(phrase: str, data: st.DataObject) -> list[str]:
    """A phrase's words as someone might text them: as they are, with a typo, run together
    whole or in part, or spread out letter by letter."""
    said = [_one_typo(word, data) for word in words(phrase)]
    how = data.draw(st.sampled_from(["as is", "whole", "part", "letters"]))
    if how == "whole":
        return ["".join(said)]
    if how == "part" and len(said) > 1:
        at = data.draw(st.integers(0, len(said) - 2))
        return [*said[:at], said[at] + said[at + 1], *said[at + 2 :]]
    if how == "letters":
        return list("".join(said))
    return said


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_the_quick_look_first_never_hides_a_phrase_the_full_match_finds(
    data: st.DataObject,
) -> None:
    """detect_crisis skips the phrases a text cannot say (no word of it may stand for one of
    theirs, none begins them run together) before the full match: the answer is always the
    first phrase that the full match, tried on every phrase, finds."""
    around = st.lists(st.sampled_from(_PHRASE_WORDS), max_size=4)
    phrase = data.draw(st.sampled_from([*DEFAULT_CRISIS_PHRASES, *FIGURES_OF_SPEECH]))
    said = [*data.draw(around), *_said_somehow(phrase, data), *data.draw(around)]
    text = " ".join(said)
    every = Said(text)
    first = next((p for p in DEFAULT_CRISIS_PHRASES if every.words and says(every, words(p))), None)
    assert detect_crisis(text) == first


# -- the setting adds to the defaults -------------------------------------------------------------


def test_the_setting_adds_to_the_defaults_where_the_daemon_reads_it() -> None:
    settings = load_settings({"ONWARD_CRISIS_PHRASES": "will sterben; Can't cope"})
    phrases = router_config(settings).crisis_phrases
    assert phrases[: len(DEFAULT_CRISIS_PHRASES)] == DEFAULT_CRISIS_PHRASES
    assert detect_crisis("ich will sterben", phrases) == "will sterben"
    assert detect_crisis("I want to kill myself", phrases) == "kill myself"
    assert router_config(load_settings({})).crisis_phrases == DEFAULT_CRISIS_PHRASES


def test_parse_phrases_setting_adds_and_never_repeats() -> None:
    phrases = parse_crisis_phrases_setting("veux mourir; Can't cope, suicide, I cannot go on, ,")
    assert phrases[: len(DEFAULT_CRISIS_PHRASES)] == DEFAULT_CRISIS_PHRASES
    assert phrases[len(DEFAULT_CRISIS_PHRASES) :] == ("veux mourir", "Can't cope", "I cannot go on")
    assert parse_crisis_phrases_setting("") == DEFAULT_CRISIS_PHRASES
    assert parse_crisis_phrases_setting("cant go on, can not go on") == DEFAULT_CRISIS_PHRASES


# -- crisis lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "name", "contact"),
    [
        ("US", "988 Suicide & Crisis Lifeline", "call or text 988"),
        ("us", "988 Suicide & Crisis Lifeline", "call or text 988"),
        (" CA ", "9-8-8 Suicide Crisis Helpline", "call or text 988"),
        ("GB", "Samaritans", "call 116 123"),
        ("IE", "Samaritans", "call 116 123"),
        ("GG", "Samaritans", "call 116 123"),
        ("JE", "Samaritans", "call 116 123"),
        ("IM", "Samaritans", "call 116 123"),
        ("PR", "988 Suicide & Crisis Lifeline", "call or text 988"),
        ("RE", "the national suicide prevention line", "call 3114"),
        ("AU", "Lifeline", "call 13 11 14"),
        ("NZ", "Need to Talk", "call or text 1737"),
        ("FR", "the national suicide prevention line", "call 3114"),
        ("DE", "TelefonSeelsorge", "call 0800 111 0 111"),
        ("IN", "Tele-MANAS", "call 14416"),
        ("ES", "the 024 suicide prevention line", "call 024"),
    ],
)
def test_default_lines(country: str, name: str, contact: str) -> None:
    assert crisis_line_for(country) == CrisisLine(name, contact)


@pytest.mark.parametrize(
    ("number", "line"),
    [
        ("+44 1481 222 222", "Samaritans"),  # Guernsey
        ("+44 1534 444 444", "Samaritans"),  # Jersey
        ("+44 1624 666 666", "Samaritans"),  # Isle of Man
        ("+1 787 555 0100", "988 Suicide & Crisis Lifeline"),  # Puerto Rico
    ],
)
def test_a_number_from_a_crown_dependency_or_territory_gets_its_line(
    number: str, line: str
) -> None:
    e164 = phonenumbers.format_number(
        phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.E164
    )
    assert crisis_line_for(region_for_phone(e164)).name == line


def test_every_region_a_phone_can_have_gets_a_line_it_can_use() -> None:
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        line = crisis_line_for(region)
        assert line.name and line.contact, region
        assert len(crisis_reply("en", line)) <= 320, region
    # Every region that shares a country's services names a country with a line.
    assert all(parent in DEFAULT_CRISIS_LINES for parent in SHARES_LINE_WITH.values())
    assert set(SHARES_LINE_WITH) <= set(phonenumbers.SUPPORTED_REGIONS)


@pytest.mark.parametrize("country", [None, "", "ZZ", "KZ", "unknown"])
def test_fallback_line(country: str | None) -> None:
    line = crisis_line_for(country)
    assert line == FALLBACK_CRISIS_LINE
    assert "findahelpline.com" in line.contact


def test_overrides_win_and_can_replace_the_fallback() -> None:
    mine = CrisisLine("Our own line", "call 0800 000 000")
    assert crisis_line_for("GB", {"GB": mine}) == mine
    assert crisis_line_for("JE", {"GB": mine}) == mine  # shares the UK's services
    assert crisis_line_for("JE", {"JE": mine, "GB": FALLBACK_CRISIS_LINE}) == mine
    assert crisis_line_for("US", {"GB": mine}) == DEFAULT_CRISIS_LINES["US"]
    assert crisis_line_for("KZ", {"*": mine}) == mine
    assert crisis_line_for("KZ", {}) == FALLBACK_CRISIS_LINE


@pytest.mark.parametrize("line", [*DEFAULT_CRISIS_LINES.values(), FALLBACK_CRISIS_LINE])
def test_reply_is_short_plain_and_kind(line: CrisisLine) -> None:
    reply = crisis_reply("en", line)
    assert len(reply) <= 320
    assert reply.isascii()
    assert line.name in reply
    assert line.contact in reply
    assert "You matter" in reply
    assert "paused" in reply
    assert "RESUME" in reply
    assert "emergency" in reply


def test_parse_lines_setting() -> None:
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
def test_parse_lines_setting_rejects_junk(value: str, message: str) -> None:
    with pytest.raises(ValueError, match="crisis lines entry") as caught:
        parse_crisis_lines_setting(value)
    assert message in str(caught.value)

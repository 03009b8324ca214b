"""The words the prep nudge brings back, how they are cut, and what onward says around them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from string import Formatter
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_file

from onward.engine import excerpts, prep_texts
from onward.engine.excerpts import Written, choose, cut
from onward.engine.language import speaker
from onward.engine.replies_when import when_text
from onward.plans.sms import sms_segments, sms_segments_with_footer

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # Monday 7 Dec, 18:00 in Los Angeles
DEC_3 = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)


def written(kind: str | None, days_ago: float, text: str) -> Written:
    return Written(kind, NOW - timedelta(days=days_ago), text)


def test_answers_that_look_back_and_ahead_are_quoted_one_kind_each_first() -> None:
    entries = [
        written(None, 0.5, "Feeling nervous about everything."),
        written("reflect", 9, "I rambled about my old job."),
        written("reflect", 4, "I never asked them a question."),
        written("feedback_ask", 3, "They said my examples lacked numbers."),
        written("research", 2, "She had led a team of five."),
        written("apply", 1, "tomorrow 10am"),
        written("grieve", 1, "ok"),
    ]
    assert [e.text for e in choose(entries)] == [
        "I never asked them a question.",  # the latest reflection
        "They said my examples lacked numbers.",
    ]
    assert [e.text for e in choose(entries, limit=4)][2:] == [
        "She had led a team of five.",
        "I rambled about my old job.",
    ]
    assert choose([e for e in entries if e.kind not in excerpts.QUOTED_KINDS]) == []


def test_one_kind_alone_gives_its_two_latest() -> None:
    entries = [written("reflect", days, f"Entry {days}.") for days in (5, 1, 3)]
    assert [e.text for e in choose(entries)] == ["Entry 1.", "Entry 3."]


def test_words_of_crisis_are_never_quoted_back() -> None:
    entries = [written("reflect", 1, "Honestly I want to end my life."), written("reflect", 2, "")]
    assert choose(entries) == []


def test_cut_keeps_whole_sentences() -> None:
    text = "I talked too fast. They wanted numbers! Next time I will breathe.\nAnd smile"
    assert excerpts.sentences(text) == [
        "I talked too fast.",
        "They wanted numbers!",
        "Next time I will breathe.",
        "And smile",
    ]
    assert (
        cut(text, 200)
        == "I talked too fast. They wanted numbers! Next time I will breathe. And smile"
    )
    assert cut(text, 45) == "I talked too fast. They wanted numbers!"
    assert cut(text, 20) == "I talked too fast."
    # Only a first sentence too long alone is cut at a word.
    assert (
        cut("I talked far too fast about my old job and my team", 30)
        == "I talked far too fast about..."
    )
    assert cut(text, 10) is None


def test_the_nudge_quotes_their_words_with_dates_within_two_sms() -> None:
    long_reflection = (
        "The panel asked about conflict and I froze. I gave a vague answer about a project. "
        "Next time I want a real story ready, with what I did and what came of it. "
        "Also I should slow down."
    )
    chosen = [
        Written("reflect", DEC_3, long_reflection),
        Written("feedback_ask", DEC_3 + timedelta(days=2), "They said: more numbers. Fine!"),
    ]
    text = prep_texts.prep_nudge("en", "Globex", "tomorrow at 15:00", chosen, LA, tip=0)
    assert text.startswith("Your interview with Globex is tomorrow at 15:00.\n")
    assert text.endswith("\nYou've got this.")
    quoted = re.findall(r'You wrote on (\d+ \w+): "([^"]*)"', text)
    assert [day for day, _ in quoted] == ["3 Dec", "5 Dec"]
    for (_, words), entry in zip(quoted, chosen, strict=True):
        assert entry.text.startswith(words) and words.endswith((".", "!"))
    assert sms_segments_with_footer(text).segments <= 2


def test_nothing_to_quote_brings_a_tip_in_turn() -> None:
    first = prep_texts.prep_nudge("en", "", "tomorrow at 09:00", [], LA, tip=0)
    second = prep_texts.prep_nudge("en", "", "tomorrow at 09:00", [], LA, tip=1)
    assert first.startswith("Your interview is tomorrow at 09:00. A tip: ")
    assert first != second and prep_texts.tips("en")[1] in second
    assert all(sms_segments_with_footer(tip).segments == 1 for tip in prep_texts.tips("en"))


def test_words_too_long_for_two_sms_fall_back_to_one_excerpt_or_a_tip() -> None:
    endless = "word " * 200
    text = prep_texts.prep_nudge(
        "en", "Acme", "today at 11:00", [Written("reflect", DEC_3, endless)], LA, 0
    )
    assert sms_segments_with_footer(text).segments <= 2
    assert "You wrote on 3 Dec" in text and '..."' in text


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_a_nudge_in_spanish_or_french_stays_within_two_sms(lang: str) -> None:
    chosen = [
        Written("reflect", DEC_3, "Hablé demasiado rápido. Me faltaron ejemplos concretos. " * 3),
        Written("research", DEC_3, "Elle avait dirigé une équipe. Elle parlait anglais."),
    ]
    when = when_text(lang, NOW + timedelta(hours=21), NOW, LA)
    text = prep_texts.prep_nudge(lang, "Globex", when, chosen, LA, tip=0)
    assert sms_segments_with_footer(text).segments <= 2
    assert ("Escribiste el 3 dic" if lang == "es" else "Vous avez écrit le 3 déc.") in text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["today at 20:00", "tomorrow at 15:00", "Thursday at 09:00", "Wed 16 Dec at 10:00"]),
        (
            "es",
            [
                "hoy a las 20:00",
                "mañana a las 15:00",
                "el jueves a las 9:00",
                "el 16 de diciembre a las 10:00",
            ],
        ),
        (
            "fr",
            ["aujourd'hui à 20h00", "demain à 15h00", "jeudi à 9h00", "le 16 décembre à 10h00"],
        ),
    ],
)
def test_times_read_in_the_person_s_language(lang: str, expected: list[str]) -> None:
    local = [
        datetime(2026, 12, day, hour, tzinfo=LA)
        for day, hour in ((7, 20), (8, 15), (10, 9), (16, 10))
    ]
    assert [when_text(lang, at, NOW, LA) for at in local] == expected


def test_replies_about_an_interview_and_a_slot() -> None:
    assert prep_texts.interview_noted("en", "Globex", "tomorrow at 15:00", "today at 18:00") == (
        "Good luck with Globex, tomorrow at 15:00! I'll send you a few words to prepare "
        "today at 18:00."
    )
    assert prep_texts.interview_noted("en", "", "today at 15:00", None) == (
        "Good luck with your interview, today at 15:00! You've got this."
    )
    assert "When is it? e.g. 'Thu 10am'" in prep_texts.interview_when("en", "Globex")
    assert (
        prep_texts.slot_nudge("en", "10:00") == "It's 10:00: your application slot. One is enough."
    )
    assert "22:00" in prep_texts.slot_moved("en", "22:00", "tomorrow at 09:00")


def _messages() -> list[str]:
    path = Path(prep_texts.__file__)
    return [str(message) for _, message, _, _ in extract_from_file("python", path)]


def test_every_sentence_is_translated_with_the_same_fields() -> None:
    messages = _messages()
    assert len(messages) >= 20
    fields = Formatter()
    for lang in ("es", "fr"):
        for message in messages:
            translated = speaker(lang).gettext(message)
            assert translated != message, (lang, message)
            names = {f for _, f, _, _ in fields.parse(message) if f}
            assert {f for _, f, _, _ in fields.parse(translated) if f} == names, (lang, message)


@pytest.mark.parametrize("lang", ["en", "es", "fr"])
def test_each_text_fits_two_sms_with_a_long_company(lang: str) -> None:
    company, when = (
        "Northwind Traders",
        when_text(lang, NOW + timedelta(days=3), NOW, LA),
    )
    for text in [
        prep_texts.interview_noted(lang, company, when, when),
        prep_texts.interview_when(lang, company),
        prep_texts.slot_booked(lang, when),
        prep_texts.slot_moved(lang, "22:00", when),
        prep_texts.slot_nudge(lang, "10:00"),
        *[prep_texts.prep_nudge(lang, company, when, [], LA, tip) for tip in range(4)],
    ]:
        assert sms_segments(text).segments <= 2, text

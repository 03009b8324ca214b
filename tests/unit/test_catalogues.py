"""The message catalogues: every English sentence marked in the code has a Spanish and a French
translation, with the same {placeholders}; and what onward says is short in every language."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

import onward.engine
from onward.engine import language, replies
from onward.engine.crisis import DEFAULT_CRISIS_LINES, FALLBACK_CRISIS_LINE, crisis_reply
from onward.engine.language import LOCALE_DIR, speaker
from onward.plans import FOOTER_ROOMS, sms_segments

ENGINE = Path(onward.engine.__file__).parent
TRANSLATED = [code for code in language.SUPPORTED if code != language.DEFAULT]
Msgid = str | tuple[str, str]


@cache
def extracted() -> dict[Msgid, str]:
    """Every msgid marked in engine/ (gettext, ngettext, N_, _), with where it was found."""
    found: dict[Msgid, str] = {}
    for filename, line, message, _comments, _context in extract_from_dir(
        str(ENGINE), method_map=[("**.py", "python")], keywords=DEFAULT_KEYWORDS
    ):
        if message:
            key: Msgid = message if isinstance(message, str) else (message[0], message[1])
            found.setdefault(key, f"{filename}:{line}")
    return found


@cache
def catalogue(lang: str) -> Catalog:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "onward.po").open("rb") as source:
        return read_po(source, locale=lang)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_code_marks_the_sentences_onward_sends() -> None:
    found = extracted()
    assert "Reply STOP to end." in found
    assert "Done: from now on I'll write to you in English." in found
    assert ("today at {time}", "today at {time}") in found
    assert "call 116 123" in found  # the crisis lines' own words
    assert "I couldn't read that duration. Try PAUSE 3d or PAUSE 1w." in found


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_msgid_is_translated_with_the_same_placeholders(lang: str) -> None:
    problems = []
    for msgid, where in sorted(extracted().items(), key=lambda item: str(item[0])):
        message = catalogue(lang).get(msgid if isinstance(msgid, str) else msgid[0])
        given = None if message is None else message.string
        strings = [given] if isinstance(given, str) else list(given or [])
        if message is None or not strings or not all(strings) or message.fuzzy:
            problems.append(f"{where}: no {lang} translation of {msgid!r}")
            continue
        sources = [msgid] if isinstance(msgid, str) else list(msgid)
        for text in strings:
            if placeholders(text) != placeholders(sources[-1]):
                problems.append(
                    f"{where}: the {lang} {text!r} has {sorted(placeholders(text))}, "
                    f"the msgid {sorted(placeholders(sources[-1]))}"
                )
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_catalogue_holds_nothing_the_code_no_longer_says(lang: str) -> None:
    marked = {m if isinstance(m, str) else m[0] for m in extracted()}
    stale = [
        m.id
        for m in catalogue(lang)
        if m.id and (m.id if isinstance(m.id, str) else m.id[0]) not in marked
    ]
    assert stale == [], "run `make messages` to drop them"


# -- what each language says fits an SMS ---------------------------------------------------------

WHEN = datetime(2026, 12, 5, 16, 0, tzinfo=UTC)  # a Saturday: "sábado" is not GSM-7


def samples(lang: str, days_ahead: int = 3) -> dict[str, str]:
    """Every reply with its longest parts: a long company, and a time three days ahead ("el
    sábado a las 17:00") or more than a week ("el 5 de diciembre a las 17:00")."""
    now = WHEN - timedelta(days=days_ahead)
    when = replies.when_text(lang, WHEN, now, ZoneInfo("Europe/Madrid"))
    nxt = replies.next_line(lang, "research", when)
    return {
        "rejected": replies.rejected(lang, "Northwind Traders", [], "reflect", when),
        "rejected, no company": replies.rejected(lang, "", [], "feedback_ask", when),
        "opted out": replies.opted_out(lang),
        "opted in": replies.opted_in(lang, nxt),
        "already in": replies.already_in(lang, replies.next_due(lang, None, None)),
        "paused": replies.paused(lang, when),
        "paused next": replies.paused_next(lang, when),
        "resumed": replies.resumed(lang, "apply", when),
        "done": replies.done(lang),
        "skipped": replies.skipped(lang),
        "applied": replies.applied(lang, 3, 5),
        "applied, goal met": replies.applied(lang, 5, 5),
        "applied, no goal": replies.applied(lang, 1, None),
        "hired": replies.hired(lang, True),
        "interview": replies.interview_noted(lang, "Northwind Traders", when),
        "interview unclear": replies.interview_when_unclear(lang, "Northwind Traders"),
        "offer": replies.offer_noted(lang),
        "coach": replies.coach_asked(lang),
        "coach again": replies.coach_already_asked(lang),
        "timezone": replies.timezone_set(lang, "America/Los_Angeles", nxt),
        "timezone unknown": replies.timezone_unknown(lang, "Mars/Olympus"),
        "timezone question": replies.timezone_question(lang),
        "email added": replies.email_added(lang, "someone.long@example.org", "hi@onward.org"),
        "email taken": replies.email_taken(lang),
        "forget asked": replies.forget_asked(lang),
        "forgotten": replies.forgotten(lang),
        "note with stop line": f"{replies.note_kept(lang)} {replies.stop_line(lang)}",
        "picture": replies.picture(lang),
        "hint": replies.hint(lang),
        "automated": replies.automated(lang, "Acme Careers Club UK"),
        "no plan": replies.no_plan(lang),
        "language set": replies.language_set(lang),
        "language choices": replies.language_choices(lang),
        "language unknown": replies.language_unknown(lang),
        "shared": replies.journal_shared(lang),
        "unshared": replies.journal_unshared(lang),
        "invalid pause": speaker(lang).gettext(
            "The longest pause is 8 weeks. Try PAUSE 8w, and send RESUME whenever you like."
        ),
    }


@pytest.mark.parametrize("days_ahead", [3, 9])
@pytest.mark.parametrize("lang", language.SUPPORTED)
def test_every_reply_fits_two_sms_in_every_language(lang: str, days_ahead: int) -> None:
    too_long = {
        name: (sms_segments(text).encoding, sms_segments(text).segments, text)
        for name, text in samples(lang, days_ahead).items()
        if sms_segments(text).segments > 2
    }
    assert too_long == {}


@pytest.mark.parametrize("lang", language.SUPPORTED)
def test_help_is_one_sms_in_every_language_with_a_long_operator_name(lang: str) -> None:
    length = sms_segments(replies.help_text(lang, "Acme Careers Club UK"))  # 20 characters
    assert (length.encoding, length.segments) == ("GSM-7", 1)


@pytest.mark.parametrize("lang", language.SUPPORTED)
@pytest.mark.parametrize("country", sorted({*DEFAULT_CRISIS_LINES, "*"}))
def test_the_crisis_answer_is_two_sms_at_most_for_every_line(lang: str, country: str) -> None:
    line = DEFAULT_CRISIS_LINES.get(country, FALLBACK_CRISIS_LINE)
    length = sms_segments(crisis_reply(lang, line))
    assert length.encoding == "GSM-7" and length.segments <= 2, crisis_reply(lang, line)


@pytest.mark.parametrize("lang", language.SUPPORTED)
def test_the_footer_fits_the_room_plans_leave_for_it(lang: str) -> None:
    footer = replies.opt_out_footer(lang, "sms")
    assert len("\n" + footer) <= FOOTER_ROOMS[lang]
    assert sms_segments(footer).encoding == "GSM-7"
    assert "STOP" in footer


def test_times_read_the_way_each_language_says_them() -> None:
    tz = ZoneInfo("Europe/Madrid")
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday, 10:00 in Madrid
    cases = {
        "en": ["today at 18:00", "tomorrow at 13:00", "Friday at 10:00", "Thu 3 Dec at 01:30"],
        "es": [
            "hoy a las 18:00",
            "mañana a las 13:00",
            "el viernes a las 10:00",
            "el 3 de diciembre a la 1:30",
        ],
        "fr": [
            "aujourd'hui à 18h00",
            "demain à 13h00",
            "vendredi à 10h00",
            "le 3 décembre à 1h30",
        ],
    }
    moments = [
        now + timedelta(hours=8),
        now + timedelta(days=1, hours=3),
        now + timedelta(days=3),
        datetime(2026, 12, 3, 0, 30, tzinfo=UTC),
    ]
    for lang, expected in cases.items():
        assert [replies.when_text(lang, m, now, tz) for m in moments] == expected, lang

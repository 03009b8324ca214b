"""Everything onward says outside a plan is short (two SMS at most), plain GSM-7, and kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from onward.engine import replies
from onward.engine.crisis import crisis_line_for
from onward.plans import sms_segments

WHEN = "Thu 3 Dec at 10:00"
SAMPLES = {
    "rejected (no opening)": replies.rejected("en", "Northwind Traders", [], "reflect", WHEN),
    "opted out": replies.opted_out("en"),
    "opted in": replies.opted_in("en", replies.next_line("en", "reflect", WHEN)),
    "already in": replies.already_in("en", replies.next_due("en", None, None)),
    "skipped": replies.skipped("en"),
    "note": replies.note_kept("en"),
    "note with the stop line": f"{replies.note_kept('en')} {replies.stop_line('en')}",
    "picture": replies.picture("en"),
    "email confirmed": f"{replies.email_confirmed('en', 'someone.long@example.org')} "
    f"{replies.note_kept('en')}",
    "help": replies.help_text("en", "Acme Careers Club"),
    "paused": replies.paused("en", WHEN),
    "resumed": replies.resumed("en", "feedback_ask", WHEN),
    "nothing to pause": replies.nothing_to_pause("en"),
    "nothing paused": replies.nothing_paused("en"),
    "done": replies.done("en"),
    "nothing open": replies.nothing_open("en"),
    "applied": replies.applied("en", 3, 5),
    "applied, goal met": replies.applied("en", 5, 5),
    "next": replies.next_due("en", "apply", WHEN),
    "paused next": replies.paused_next("en", WHEN),
    "hired": replies.hired("en", True),
    "timezone": replies.timezone_set(
        "en", "America/Los_Angeles", replies.next_line("en", "reflect", WHEN)
    ),
    "timezone unknown": replies.timezone_unknown("en", "Mars/Olympus"),
    "email added": replies.email_added("en", "someone.long@example.org", "onward@onward.example"),
    "email taken": replies.email_taken("en"),
    "sms": replies.sms_chosen("en"),
    "forget asked": replies.forget_asked("en"),
    "forgotten": replies.forgotten("en"),
    "journal": replies.journal_kept("en"),
    "hint": replies.hint("en"),
    "no plan": replies.no_plan("en"),
    "crisis": replies.crisis_line("en", crisis_line_for("US")),
    "sms footer": replies.opt_out_footer("en", "sms"),
    "email footer": replies.opt_out_footer(
        "en", "email", "https://onward.example.org/unsubscribe/x"
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_reply_fits_two_gsm7_segments(name: str) -> None:
    length = sms_segments(SAMPLES[name])
    assert length.encoding == "GSM-7", name
    assert length.segments <= 2, (name, length)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_no_reply_blames_the_person(name: str) -> None:
    text = SAMPLES[name].lower()
    for word in ("your fault", "you failed", "should have", "wrong with you"):
        assert word not in text


def test_times_read_the_way_people_say_them() -> None:
    tz = ZoneInfo("America/New_York")
    now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 10:00 in New York
    assert replies.when_text("en", now + timedelta(hours=8), now, tz) == "today at 18:00"
    assert replies.when_text("en", now + timedelta(days=1), now, tz) == "tomorrow at 10:00"
    assert replies.when_text("en", now + timedelta(days=3), now, tz) == "Friday at 10:00"
    assert replies.when_text("en", now + timedelta(days=9), now, tz) == "Thu 3 Dec at 10:00"


def test_the_same_times_read_in_each_language_whichever_came_first() -> None:
    # The words of clock times and dates are remembered: by language and pattern, not once.
    tz = ZoneInfo("America/New_York")
    now = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    dues = [now + timedelta(days=3), now + timedelta(days=9, hours=-9)]
    said = {
        lang: [replies.when_text(lang, due, now, tz) for due in dues]
        for lang in ("en", "es", "fr", "en")
    }
    assert said == {
        "en": ["Friday at 10:00", "Thu 3 Dec at 01:00"],
        "es": ["el viernes a las 10:00", "el 3 de diciembre a la 1:00"],
        "fr": ["vendredi à 10h00", "le 3 décembre à 1h00"],
    }


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_no_reply_says_text_so_email_replies_read_right(name: str) -> None:
    assert "Text " not in SAMPLES[name] and " text FORGET" not in SAMPLES[name]


def test_help_is_one_sms_even_with_a_long_operator_name() -> None:
    length = sms_segments(replies.help_text("en", "Acme Careers Club UK"))  # 20 characters
    assert (length.encoding, length.segments) == ("GSM-7", 1)

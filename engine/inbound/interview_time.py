"""When people say something will happen: "tomorrow 3pm", "fri", "12 Dec", "Tuesday morning",
"mañana a las 15:00", "vendredi 10h", read on their local wall clock.

The reading is dateparser's (in the person's language and English, dates from the future first,
relative to their local now), with a few rules of onward's own where it reads worse:

* slashed dates ("3/12") are refused: half the world reads them one way and half the other;
* a day without a time is at 09:00; a part of the day is a time ("morning" 09:00, "afternoon"
  14:00, "evening" 18:00, in English, Spanish and French), and an hour said with an afternoon
  or evening ("tomorrow evening at 7") is after noon;
* a time alone is today's if still ahead, else tomorrow's; a weekday is today while its time
  is still ahead ("fri 3pm" on a Friday at noon), unless "next" says otherwise;
* French hours ("10h", "14h30") and Spanish ones ("a las 10") are written as 10:00 first.

Only an instant after now is an answer: words naming a past time, a bare number or a whole
week read as nothing (None). Pure: no I/O.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

from onward.engine.inbound.when_words import (
    DAY_WORDS,
    LEADING_FILLER,
    MODIFIERS,
    NEXT_WORDS,
    NOT_A_TIME,
    PARTS_OF_DAY,
    REWRITES,
)
from onward.engine.timing import localize

DEFAULT_TIME = time(9, 0)
# What dateparser may have read: a day, or a day and a time. A month or a week is too vague.
_PERIODS = frozenset({"day", "time", "part_of_day"})
_FRENCH_HOUR = re.compile(r"\b(\d{1,2})\s?h\s?(\d{2})?\b")
_SPANISH_HOUR = re.compile(r"\ba\s+las?\s+(\d{1,2})\b(?![:.]\d)")
_BARE_HOUR = re.compile(r"(?:\b(?:at|a\s+las?|à|vers)\s+)(\d{1,2})\b(?![:.]\d|\s*(?:am|pm))")
_CLOCK = re.compile(r"\b\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?(?!\S)")
_EDGE_PUNCTUATION = " .!?,;"


def read_when(words: str, now_local: datetime, lang: str = "en") -> datetime | None:
    """The local instant `words` name, if after `now_local` (aware, in the person's zone)."""
    text = " ".join(words.lower().split()).strip(_EDGE_PUNCTUATION)
    if not text or "/" in text or text in NOT_A_TIME or not re.search(r"[^\W\d_]|:", text):
        return None  # nothing, a slashed date, "now", or a bare number
    languages = [lang, "en"] if lang != "en" else ["en"]
    for old, new in REWRITES:
        text = re.sub(old, new, text)
    text, part = _part_of_day(text, languages)
    text = _hours_as_clocks(text, part)
    rest = _strip_filler(text)
    time_alone = False
    if not rest:
        if part is None:
            return None
        day, clock = now_local.date(), part  # "this evening", "ce soir"
    else:
        read = _dateparser(rest, now_local, languages)
        if read is None:
            return None
        found, has_time = read
        day, clock = found.date(), found.time() if has_time else (part or DEFAULT_TIME)
        time_alone = has_time and _only_a_clock(rest)
        if time_alone:
            day = now_local.date()  # "3pm": today's if still ahead, else tomorrow's
    tz = now_local.tzinfo
    assert isinstance(tz, ZoneInfo), "read_when needs the person's zone (a ZoneInfo)"
    when = localize(datetime.combine(day, clock), tz)
    if time_alone and when <= now_local:
        when = localize(datetime.combine(day + timedelta(days=1), clock), tz)
    elif _weekday_is_today(day, now_local.date(), text):
        today = localize(datetime.combine(day - timedelta(days=7), clock), tz)
        when = today if today > now_local else when
    return when if when > now_local else None


def _part_of_day(text: str, languages: list[str]) -> tuple[str, time | None]:
    for lang in languages:
        for phrase, clock in PARTS_OF_DAY[lang]:
            match = re.search(rf"(?<!\w){phrase}(?!\w)", text)
            if match is not None:
                return f"{text[: match.start()]} {text[match.end() :]}".strip(), clock
    return text, None


def _hours_as_clocks(text: str, part: time | None) -> str:
    """ "10h30" -> "10:30", "a las 10" -> "a las 10:00", "at 7" in the evening -> "at 19:00"."""
    after_noon = part is not None and part.hour >= 12

    def clock(hour: str, minute: str | None = None) -> str:
        value = int(hour)
        if after_noon and 1 <= value < 12:
            value += 12
        return f"{value}:{minute or '00'}"

    text = _FRENCH_HOUR.sub(lambda m: clock(m.group(1), m.group(2)), text)
    text = _SPANISH_HOUR.sub(lambda m: f"a las {clock(m.group(1))}", text)
    if part is not None:
        text = _BARE_HOUR.sub(lambda m: m.group(0).replace(m.group(1), clock(m.group(1))), text)
    return text


def _strip_filler(text: str) -> str:
    words = [w for w in text.split() if w not in MODIFIERS]
    while words and words[0] in LEADING_FILLER:
        words.pop(0)
    return " ".join(words)


def _dateparser(
    text: str, now_local: datetime, languages: list[str]
) -> tuple[datetime, bool] | None:
    parser = DateDataParser(
        languages=languages,
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": now_local.replace(tzinfo=None),
            "RETURN_TIME_AS_PERIOD": True,
        },
    )
    found = parser.get_date_data(text)
    if found.date_obj is None or found.period not in _PERIODS:
        return None
    # A time equal to the relative base's reads as period "day"; its parts still say "time".
    return found.date_obj, found.period != "day" or "time" in (found.parts or ())


def _only_a_clock(text: str) -> bool:
    return not _strip_filler(_CLOCK.sub(" ", text))


def _weekday_is_today(day: date, today: date, text: str) -> bool:
    """dateparser puts "fri" said on a Friday a week ahead; onward reads it as today while the
    time is still ahead (the caller checks), unless the words say "next"."""
    named = any(re.search(rf"(?<!\w){word}(?!\w)", text) for word in DAY_WORDS)
    said_next = any(re.search(rf"(?<!\w){word}(?!\w)", text) for word in NEXT_WORDS)
    return day == today + timedelta(days=7) and named and not said_next

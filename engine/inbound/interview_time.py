"""When an interview is: "tomorrow 3pm", "fri", "on Friday at 10:30", "12 Dec", "Dec 12 9am".

A pure reading of the words after INTERVIEW <company>, in the person's local time: a weekday is
the next one (today counts while the time is still ahead), a date already past this year is
next year's, and a day without a time is at 09:00. Slashed dates ("3/12") are refused: half the
world reads them one way and half the other.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

DEFAULT_TIME = time(9, 0)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\b", re.IGNORECASE)
_WEEKDAY = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\b")
_FILLER = frozenset({"on", "at", "the", "this", "of", "next", "in", "morning"})


def interview_time(words: str, now_local: datetime) -> datetime | None:
    """The local time `words` name, or None when they name none that can be read."""
    text = words.lower().strip()
    if not text:
        return None
    if "/" in text:
        return None
    day, rest = _day(text, now_local.date())
    clock, rest = _clock(rest)
    if any(token not in _FILLER for token in re.findall(r"[a-z]+|\d+", rest)):
        return None  # something left over that is neither a day nor a time
    if day is None and clock is None:
        return None
    if day is None:
        assert clock is not None
        today = datetime.combine(now_local.date(), clock, now_local.tzinfo)
        return today if today > now_local else today + timedelta(days=1)
    at = datetime.combine(day, clock or DEFAULT_TIME, now_local.tzinfo)
    if at < now_local and _WEEKDAY.search(text):
        at += timedelta(days=7)  # "fri 9am" said on a Friday at noon: next Friday
    return at


def _day(text: str, today: date) -> tuple[date | None, str]:
    for word, shift in (("today", 0), ("tonight", 0), ("tomorrow", 1), ("tmrw", 1)):
        if re.search(rf"\b{word}\b", text):
            return today + timedelta(days=shift), re.sub(rf"\b{word}\b", " ", text)
    weekday = _WEEKDAY.search(text)
    if weekday is not None:
        ahead = (_DAYS.index(weekday.group(1)) - today.weekday()) % 7
        return today + timedelta(days=ahead), text[: weekday.start()] + text[weekday.end() :]
    dated = re.search(
        r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3})[a-z]*\b|\b([a-z]{3})[a-z]*\s+(\d{1,2})(?:st|nd|rd|th)?\b",
        text,
    )
    if dated is not None:
        day_text, month_text = (
            (dated.group(1), dated.group(2))
            if dated.group(1)
            else (
                dated.group(4),
                dated.group(3),
            )
        )
        if month_text not in _MONTHS:
            return None, text
        try:
            found = date(today.year, _MONTHS.index(month_text) + 1, int(day_text))
        except ValueError:
            return None, text
        if found < today:
            found = found.replace(year=today.year + 1)
        return found, text[: dated.start()] + text[dated.end() :]
    return None, text


def _clock(text: str) -> tuple[time | None, str]:
    for match in _TIME.finditer(text):
        hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if match.group(2) is None and half is None:
            continue  # a bare number is not a time
        if half is not None:
            if not 1 <= hour <= 12:
                return None, text
            hour = hour % 12 + (12 if half.lower() == "pm" else 0)
        if hour > 23 or minute > 59:
            return None, text
        return time(hour, minute), text[: match.start()] + text[match.end() :]
    return None, text

"""When things happen and what comes next, said in the person's language: 'tomorrow at 18:00',
'mañana a las 18:00', 'demain à 18h00'; and the names of the steps of a plan."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from onward.engine.language import N_, speaker

STEP_LABELS = {
    "grieve": N_("a gentle check-in"),
    "reflect": N_("a short reflection"),
    "feedback_ask": N_("help asking for feedback"),
    "research": N_("a small research task"),
    "apply": N_("a nudge toward new applications"),
    "message": N_("a note from me"),
}


def when_text(lang: str, due: datetime, now: datetime, tz: ZoneInfo) -> str:
    """A due time as people read it: 'today at 18:00', 'tomorrow at 10:00', 'Friday at 10:00',
    'Thu 3 Dec at 9:00' (and so on in each language)."""
    t = speaker(lang)
    local, today = due.astimezone(tz), now.astimezone(tz).date()
    # The patterns are CLDR's (Babel): a catalogue gives "H'h'mm" for French, say.
    clock = _clock(lang, t.gettext("HH:mm"), local.hour, local.minute)
    days = (local.date() - today).days
    # Counted by the hour so that a language can say "a la 1:00" but "a las 18:00".
    hour = local.hour
    if days <= 0:
        return t.ngettext("today at {time}", "today at {time}", hour).format(time=clock)
    if days == 1:
        return t.ngettext("tomorrow at {time}", "tomorrow at {time}", hour).format(time=clock)
    if days < 7:
        weekday = _date(lang, "EEEE", local.date())
        pattern = t.ngettext("{weekday} at {time}", "{weekday} at {time}", hour)
        return pattern.format(weekday=weekday, time=clock)
    day = _date(lang, t.gettext("EEE d MMM"), local.date())
    return t.ngettext("{date} at {time}", "{date} at {time}", hour).format(date=day, time=clock)


# Babel reads the locale's data and the pattern at every call: a REJECTED's reply spent a
# fortieth of its time here. Clock times and dates repeat; their words are remembered.
@lru_cache(maxsize=4096)
def _clock(lang: str, pattern: str, hour: int, minute: int) -> str:
    return format_time(time(hour, minute), pattern, locale=lang)


@lru_cache(maxsize=1024)
def _date(lang: str, pattern: str, day: date) -> str:
    return format_date(day, pattern, locale=lang)


def local_due(lang: str, due: datetime) -> str:
    """A step's due time for a plan's `{{ local_due }}` in a preview: 'Tue 18:00'."""
    return f"{format_date(due, 'EEE', locale=lang)} {format_time(due, 'HH:mm', locale=lang)}"


def label(lang: str, kind: str) -> str:
    return speaker(lang).gettext(STEP_LABELS.get(kind, STEP_LABELS["message"]))


def next_line(lang: str, kind: str | None, when: str | None) -> str:
    _ = speaker(lang).gettext
    if kind is None or when is None:
        return _("That's the whole plan.")
    return _("Next: {label}, {when} your time.").format(label=label(lang, kind), when=when)


def next_due(lang: str, kind: str | None, when: str | None) -> str:
    if kind is None or when is None:
        return speaker(lang).gettext(
            "Nothing else is scheduled. Send REJECTED <company> if another one comes in."
        )
    return next_line(lang, kind, when)

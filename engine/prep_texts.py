"""What onward says about an interview and about a time a person chose to apply, in their
language: the replies, the prep nudge with their own words, the application-slot nudge.

Every sentence goes through `speaker(lang).gettext`; dates and weekdays come from Babel's
locale data. The prep nudge quotes at most two excerpts, cut at sentences, and is kept within
two SMS with the opt-out footer onward may add (plans.sms counts). Pure: values in, text out.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from babel.dates import format_date

from onward.engine.excerpts import Written, cut
from onward.engine.language import speaker
from onward.plans.sms import sms_segments_with_footer

MAX_SEGMENTS = 2
# Character limits tried for each excerpt, most generous first, until the nudge fits.
_SHARES = (280, 220, 180, 150, 120, 100, 80, 64, 50, 40, 30)
_WHOLE = 1_000_000


def tips(lang: str) -> list[str]:
    """Practical prep tips, one per nudge in turn, for someone with nothing yet to quote."""
    return [
        speaker(lang).gettext(
            "Write down three moments you were at your best, and say them out loud once."
        ),
        speaker(lang).gettext("Prepare two questions to ask them: it shows real interest."),
        speaker(lang).gettext(
            "Reread the job ad and match each must-have to something you have done."
        ),
        speaker(lang).gettext("Check the route or the video link ahead of time, and rest well."),
    ]


def interview_noted(lang: str, company: str, when: str, prep: str | None) -> str:
    """Good luck, when the interview is, and when the prep nudge comes (None: too soon for one)."""
    if prep is None:
        if company:
            return (
                speaker(lang)
                .gettext("Good luck with {company}, {when}! You've got this.")
                .format(company=company, when=when)
            )
        return (
            speaker(lang)
            .gettext("Good luck with your interview, {when}! You've got this.")
            .format(when=when)
        )
    if company:
        return (
            speaker(lang)
            .gettext(
                "Good luck with {company}, {when}! I'll send you a few words to prepare {prep}."
            )
            .format(company=company, when=when, prep=prep)
        )
    return (
        speaker(lang)
        .gettext(
            "Good luck with your interview, {when}! I'll send you a few words to prepare {prep}."
        )
        .format(when=when, prep=prep)
    )


def interview_when(lang: str, company: str) -> str:
    """The one question after an interview with no date onward could read, or one gone by."""
    if company:
        return (
            speaker(lang)
            .gettext("Good luck with {company}! When is it? e.g. 'Thu 10am'")
            .format(company=company)
        )
    return speaker(lang).gettext("Good luck with your interview! When is it? e.g. 'Thu 10am'")


def prep_subject(lang: str) -> str:
    return speaker(lang).gettext("Before your interview")


def prep_nudge(
    lang: str,
    company: str,
    when: str,
    chosen: Sequence[Written],
    tz: ZoneInfo,
    tip: int,
) -> str:
    """The evening-before nudge: the person's own words (`chosen`, best first) when any fit in
    two SMS, else a practical tip (the `tip`-th, in turn)."""
    if company:
        head = (
            speaker(lang)
            .gettext("Your interview with {company} is {when}.")
            .format(company=company, when=when)
        )
    else:
        head = speaker(lang).gettext("Your interview is {when}.").format(when=when)
    close = speaker(lang).gettext("You've got this.")
    # Two excerpts before one; their words whole before the closing words, and those before
    # words cut short (in UCS-2, which one accent brings, two SMS hold only 134 characters).
    tries = [(_WHOLE, [close]), (_WHOLE, [])]
    tries += [(share, ending) for ending in ([close], []) for share in _SHARES]
    for count in range(min(len(chosen), 2), 0, -1):
        for share, ending in tries:
            lines = _quotes(lang, chosen[:count], tz, share)
            text = "\n".join([head, *lines, *ending]) if lines else ""
            if text and _fits(text):
                return text
    advice = tips(lang)[tip % len(tips(lang))]
    text = " ".join([head, speaker(lang).gettext("A tip: {tip}").format(tip=advice), close])
    return text if _fits(text) else text.removesuffix(f" {close}")


def _quotes(lang: str, entries: Sequence[Written], tz: ZoneInfo, share: int) -> list[str] | None:
    lines = []
    for entry in entries:
        words = cut(entry.text, share)
        if words is None:
            return None
        day = format_date(entry.at.astimezone(tz).date(), "d MMM", locale=lang)
        lines.append(
            speaker(lang).gettext('You wrote on {date}: "{words}"').format(date=day, words=words)
        )
    return lines


def _fits(text: str) -> bool:
    return sms_segments_with_footer(text).segments <= MAX_SEGMENTS


def slot_booked(lang: str, when: str) -> str:
    return (
        speaker(lang)
        .gettext("Got it: {when} is your time to apply. I'll nudge you then.")
        .format(when=when)
    )


def slot_moved(lang: str, asked: str, when: str) -> str:
    """The time they chose is outside the hours onward sends: the nearest opening instead."""
    return (
        speaker(lang)
        .gettext("Got it. I don't send messages at {asked}, so I'll nudge you {when} instead.")
        .format(asked=asked, when=when)
    )


def slot_subject(lang: str) -> str:
    return speaker(lang).gettext("Your application slot")


def slot_nudge(lang: str, clock: str) -> str:
    return (
        speaker(lang)
        .gettext("It's {clock}: your application slot. One is enough.")
        .format(clock=clock)
    )

"""What onward answers as a person moves through their plan, in their language: PAUSE, RESUME,
DONE, APPLIED, NEXT while paused, HIRED, INTERVIEW and OFFER."""

from __future__ import annotations

from onward.engine.language import speaker
from onward.engine.replies_when import next_line


def paused(lang: str, until_text: str) -> str:
    return (
        speaker(lang)
        .gettext(
            "Paused. I'll be quiet until {until} your time. Reply RESUME any time to carry on."
        )
        .format(until=until_text)
    )


def resumed(lang: str, kind: str | None, when: str | None) -> str:
    _ = speaker(lang).gettext
    return _("Welcome back. {next}").format(next=next_line(lang, kind, when))


def nothing_to_pause(lang: str) -> str:
    return speaker(lang).gettext(
        "There's no plan running to pause. Send REJECTED <company> if you'd like to start one."
    )


def nothing_paused(lang: str) -> str:
    return speaker(lang).gettext("Nothing is paused right now. Reply NEXT to see what's coming.")


def done(lang: str) -> str:
    return speaker(lang).gettext(
        "Nice work, I've marked that done. Reply NEXT to see what's coming."
    )


def skipped(lang: str) -> str:
    """DONE after the reminder of a prompt: they are skipping it, not finishing it."""
    return speaker(lang).gettext(
        "No problem, I've skipped that one. Reply NEXT to see what's coming."
    )


def nothing_open(lang: str) -> str:
    return speaker(lang).gettext("There's no open task right now. Reply NEXT to see what's coming.")


def applied(lang: str, total: int, goal: int | None) -> str:
    t = speaker(lang)
    if goal is None:
        return t.ngettext(
            "Counted: {total} application so far. Every one is a step.",
            "Counted: {total} applications so far. Every one is a step.",
            total,
        ).format(total=total)
    if total >= goal:
        return t.gettext("That's {total}, your goal of {goal} reached. Well done, truly.").format(
            total=total, goal=goal
        )
    return t.gettext(
        "Counted: {total} of {goal}. Every application is a real step forward."
    ).format(total=total, goal=goal)


def paused_next(lang: str, until_text: str | None) -> str:
    _ = speaker(lang).gettext
    if until_text is None:
        return _("Your plan is on hold. Reply RESUME when you're ready.")
    return _(
        "Your plan is paused until {until} your time. Reply RESUME to carry on sooner."
    ).format(until=until_text)


def hired(lang: str, ended: bool) -> str:
    _ = speaker(lang).gettext
    if not ended:
        return _("Congratulations, that is wonderful news! All the best.")
    return _("Congratulations, that is wonderful news! I have ended your plan. All the best.")


def interview_noted(lang: str, company: str, when: str | None) -> str:
    _ = speaker(lang).gettext
    if when is None:
        if company:
            return _(
                "Noted: an interview with {company}. You've got this. "
                "Send NEXT to see what's coming."
            ).format(company=company)
        return _("Noted: an interview. You've got this. Send NEXT to see what's coming.")
    if company:
        return _(
            "Noted: your interview with {company}, {when}. You've got this, "
            "and I'll help you prepare."
        ).format(company=company, when=when)
    return _("Noted: your interview, {when}. You've got this, and I'll help you prepare.").format(
        when=when
    )


def interview_when_unclear(lang: str, company: str) -> str:
    _ = speaker(lang).gettext
    if company:
        return _(
            "Noted: an interview with {company}. I couldn't read the date; try e.g. "
            "INTERVIEW Acme fri 3pm or INTERVIEW Acme 12 Dec."
        ).format(company=company)
    return _(
        "Noted: an interview. I couldn't read the date; try e.g. "
        "INTERVIEW Acme fri 3pm or INTERVIEW Acme 12 Dec."
    )


def offer_noted(lang: str) -> str:
    return speaker(lang).gettext(
        "An offer, that's wonderful news! Take the time you need to decide. "
        "Send HIRED if you accept."
    )

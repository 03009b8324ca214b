"""What onward says about consent, in the person's language: the opt-out footer, STOP and START,
the welcome an imported person gets with the carriers' disclosures, the unsubscribe page, and
FORGET."""

from __future__ import annotations

import math

from onward.engine.language import speaker
from onward.plans.disclosures import Frequency, plain_program_name

# The opt-out footer onward adds to a plan's messages (render.with_footer decides when).
SMS_FOOTER = "Reply STOP to end."


def opt_out_footer(lang: str, medium: str, unsubscribe_url: str | None = None) -> str:
    """How to stop, in the medium's words: a STOP reply by SMS, the unsubscribe line by email."""
    _ = speaker(lang).gettext
    if medium != "email":
        return _("Reply STOP to end.")
    if unsubscribe_url:
        return _("Don't want these emails? Reply STOP or unsubscribe: {url}").format(
            url=unsubscribe_url
        )
    return _("Don't want these emails? Reply STOP.")


def opted_out(lang: str) -> str:
    return speaker(lang).gettext(
        "You're unsubscribed and won't get more messages here. Reply START to have them back."
    )


def opted_in(lang: str, line: str) -> str:
    """Back after STOP; `line` says what comes next (the plan STOP ended may carry on)."""
    _ = speaker(lang).gettext
    return _("Welcome back, your messages are on again. {line}").format(line=line)


def already_in(lang: str, line: str) -> str:
    return speaker(lang).gettext("Your messages are already on. {line}").format(line=line)


def forget_asked(lang: str) -> str:
    return speaker(lang).gettext(
        "This erases everything onward holds about you, your journal too. "
        "Reply FORGET YES within 15 minutes to confirm."
    )


def forgotten(lang: str) -> str:
    return speaker(lang).gettext(
        "Done. Everything about you has been erased. Take care of yourself."
    )


def forget_not_asked(lang: str) -> str:
    return speaker(lang).gettext(
        "To erase your data, send FORGET first, then FORGET YES to confirm."
    )


def welcome(lang: str, program: str, how_often: Frequency) -> tuple[str, str]:
    """The one message an imported person gets, and its email subject: every disclosure
    carriers require (in English, word for word `plans.disclosures.welcome_text`)."""
    t = speaker(lang)
    weeks = max(1, math.ceil(how_often.days / 7))
    frequency = t.ngettext(
        "Up to {messages} msgs over {weeks} wk after each rejection you report",
        "Up to {messages} msgs over {weeks} wks after each rejection you report",
        weeks,
    ).format(messages=how_often.messages, weeks=weeks)
    name = plain_program_name(program)
    text = t.gettext(
        "{program}: you're signed up for kind, short texts to help you bounce back after a job "
        "rejection. {frequency}, none otherwise. Msg & data rates may apply. Text REJECTED "
        "<company> when one comes. Reply HELP for help, STOP to end."
    ).format(program=name, frequency=frequency)
    return text, t.gettext("Welcome to {program}").format(program=name)


# The page behind the unsubscribe link of every email (engine/web/app.py).
def unsubscribe_invalid(lang: str) -> str:
    return speaker(lang).gettext("This unsubscribe link is not valid.")


def unsubscribe_question(lang: str) -> tuple[str, str]:
    """The page a GET shows (a link checker must not unsubscribe anyone): its question and
    the label of its one button."""
    _ = speaker(lang).gettext
    return _("Stop all emails from onward?"), _("Unsubscribe")


def unsubscribe_done(lang: str) -> str:
    return speaker(lang).gettext("You're unsubscribed. No more emails will come from onward.")

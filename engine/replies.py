"""Every sentence onward says outside a plan, short and kind, in the person's language.

This module is the door: it answers the commonest messages itself (HELP, the acknowledgement of
a rejection, what is kept in the journal, the hint) and re-exports the families of replies that
live beside it: times and what comes next (`replies_when`), consent (`replies_consent`), the
plan's progress (`replies_plan`) and the person's settings (`replies_profile`). Each takes the
person's language first (`language.of_person`); the English is the msgid of the catalogues in
engine/locale (`make messages`), translated there.
"""

from __future__ import annotations

from collections.abc import Callable

from onward.engine.crisis import CrisisLine, crisis_line_words
from onward.engine.language import SUPPORTED, speaker
from onward.engine.replies_consent import SMS_FOOTER as SMS_FOOTER
from onward.engine.replies_consent import already_in as already_in
from onward.engine.replies_consent import forget_asked as forget_asked
from onward.engine.replies_consent import forget_not_asked as forget_not_asked
from onward.engine.replies_consent import forgotten as forgotten
from onward.engine.replies_consent import opt_out_footer as opt_out_footer
from onward.engine.replies_consent import opted_in as opted_in
from onward.engine.replies_consent import opted_out as opted_out
from onward.engine.replies_plan import applied as applied
from onward.engine.replies_plan import done as done
from onward.engine.replies_plan import hired as hired
from onward.engine.replies_plan import interview_noted as interview_noted
from onward.engine.replies_plan import interview_when_unclear as interview_when_unclear
from onward.engine.replies_plan import nothing_open as nothing_open
from onward.engine.replies_plan import nothing_paused as nothing_paused
from onward.engine.replies_plan import nothing_to_pause as nothing_to_pause
from onward.engine.replies_plan import offer_noted as offer_noted
from onward.engine.replies_plan import paused as paused
from onward.engine.replies_plan import paused_next as paused_next
from onward.engine.replies_plan import resumed as resumed
from onward.engine.replies_plan import skipped as skipped
from onward.engine.replies_profile import coach_already_asked as coach_already_asked
from onward.engine.replies_profile import coach_asked as coach_asked
from onward.engine.replies_profile import coach_subject as coach_subject
from onward.engine.replies_profile import email_added as email_added
from onward.engine.replies_profile import email_taken as email_taken
from onward.engine.replies_profile import journal_shared as journal_shared
from onward.engine.replies_profile import journal_unshared as journal_unshared
from onward.engine.replies_profile import language_choices as language_choices
from onward.engine.replies_profile import language_set as language_set
from onward.engine.replies_profile import language_unknown as language_unknown
from onward.engine.replies_profile import sms_chosen as sms_chosen
from onward.engine.replies_profile import timezone_set as timezone_set
from onward.engine.replies_profile import timezone_unknown as timezone_unknown
from onward.engine.replies_when import STEP_LABELS as STEP_LABELS
from onward.engine.replies_when import label as label
from onward.engine.replies_when import next_due as next_due
from onward.engine.replies_when import next_line as next_line
from onward.engine.replies_when import when_text as when_text


def in_every_language(reply: Callable[[str], str]) -> frozenset[str]:
    """What `reply` says in each language: to recognise a reply stored earlier."""
    return frozenset(reply(lang) for lang in SUPPORTED)


def rejected(
    lang: str, company: str, opening: list[str], kind: str | None, when: str | None
) -> str:
    """The answer to REJECTED: the plan's steps due at once, or a kind word; then what's next."""
    if opening:
        return "\n\n".join([*opening, next_line(lang, kind, when)])
    _ = speaker(lang).gettext
    if company:
        sorry = _(
            "I'm sorry about {company}. It hurts, and that's normal. Nothing to do for now. {next}"
        )
    else:
        sorry = _(
            "I'm sorry about this one. It hurts, and that's normal. Nothing to do for now. {next}"
        )
    return sorry.format(company=company, next=next_line(lang, kind, when))


def help_text(lang: str, operator: str) -> str:
    """One SMS (160 GSM-7 characters with an operator name up to 20)."""
    return (
        speaker(lang)
        .gettext(
            "{operator}: kind nudges after a job rejection. REJECTED <company> starts a plan. "
            "NEXT, DONE, PAUSE, RESUME. STOP to end, FORGET to erase your data."
        )
        .format(operator=operator)
    )


def crisis_line(lang: str, line: CrisisLine) -> str:
    """Who to reach now, for someone in crisis whose plan is already stopped (after STOP)."""
    name, contact = crisis_line_words(lang, line)
    return (
        speaker(lang)
        .gettext(
            "I'm so sorry you're hurting. You matter. Please reach out now: {name}, {contact}. "
            "If you're in danger, call your local emergency number."
        )
        .format(name=name, contact=contact)
    )


def timezone_question(lang: str) -> str:
    return speaker(lang).gettext(
        "Which time zone are you in? Reply TZ and its name, like TZ America/Chicago."
    )


def email_confirmed(lang: str, address: str) -> str:
    _ = speaker(lang).gettext
    return _("Thanks, {address} is confirmed: your nudges will come by email.").format(
        address=address
    )


def journal_kept(lang: str) -> str:
    return speaker(lang).gettext("Thank you. I've kept that privately in your journal.")


def note_kept(lang: str) -> str:
    """Words that answer no prompt, from someone with a plan: kept all the same."""
    return speaker(lang).gettext(
        "Thank you for telling me. I've kept your words in your private journal."
    )


def stop_line(lang: str) -> str:
    """Added when words that start with a stop word were kept, not taken as STOP."""
    return speaker(lang).gettext("If you meant to stop these messages, reply STOP.")


def picture(lang: str) -> str:
    return speaker(lang).gettext(
        "Thank you for sending that. I can only keep words, not pictures: "
        "a few words about it would be kept in your journal."
    )


def automated(lang: str, operator: str) -> str:
    """The plain answer to "is this a bot?": yes, whose, and how to reach a person."""
    return (
        speaker(lang)
        .gettext(
            "I'm an automated helper from {operator}, not a person. Text COACH and a coach will "
            "reply here, usually within one working day."
        )
        .format(operator=operator)
    )


def hint(lang: str) -> str:
    return speaker(lang).gettext(
        "I'm here when you need me. Send REJECTED <company> after a rejection, "
        "NEXT to see what's coming, or HELP."
    )


def no_plan(lang: str) -> str:
    return speaker(lang).gettext(
        "I don't have a plan running for you. Send REJECTED and the company name to start one."
    )

"""Every sentence onward says outside a plan, and the opt-out footer it adds: short and kind."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from onward.engine.crisis import CrisisLine

STEP_LABELS = {
    "grieve": "a gentle check-in",
    "reflect": "a short reflection",
    "feedback_ask": "help asking for feedback",
    "research": "a small research task",
    "apply": "a nudge toward new applications",
    "message": "a note from me",
}
# The opt-out footer onward adds to a plan's messages (render.with_footer decides when).
SMS_FOOTER = "Reply STOP to end."


def when_text(due: datetime, now: datetime, tz: ZoneInfo) -> str:
    """A due time as people read it: 'today at 18:00', 'tomorrow at 10:00', 'Thu 3 Dec at 9:00'."""
    local, today = due.astimezone(tz), now.astimezone(tz).date()
    clock = local.strftime("%H:%M")
    days = (local.date() - today).days
    if days <= 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days < 7:
        return f"{local.strftime('%A')} at {clock}"
    return f"{local.strftime('%a')} {local.day} {local.strftime('%b')} at {clock}"


def label(kind: str) -> str:
    return STEP_LABELS.get(kind, STEP_LABELS["message"])


def next_line(kind: str | None, when: str | None) -> str:
    if kind is None or when is None:
        return "That's the whole plan."
    return f"Next: {label(kind)}, {when} your time."


def rejected(company: str, opening: list[str], kind: str | None, when: str | None) -> str:
    if opening:
        return "\n\n".join([*opening, next_line(kind, when)])
    about = f"about {company}" if company else "about this one"
    return (
        f"I'm sorry {about}. It hurts, and that's normal. Nothing to do for now. "
        f"{next_line(kind, when)}"
    )


def opt_out_footer(medium: str, unsubscribe_url: str | None = None) -> str:
    """How to stop, in the medium's words: a STOP reply by SMS, the unsubscribe line by email."""
    if medium != "email":
        return SMS_FOOTER
    if unsubscribe_url:
        return f"Don't want these emails? Reply STOP or unsubscribe: {unsubscribe_url}"
    return "Don't want these emails? Reply STOP."


def opted_out() -> str:
    return "You're unsubscribed and won't get more messages here. Reply START to have them back."


def opted_in(line: str) -> str:
    """Back after STOP; `line` says what comes next (the plan STOP ended may carry on)."""
    return f"Welcome back, your messages are on again. {line}"


def already_in(line: str) -> str:
    return f"Your messages are already on. {line}"


def help_text(operator: str) -> str:
    """One SMS (160 GSM-7 characters with an operator name up to 20)."""
    return (
        f"{operator}: kind nudges after a job rejection. REJECTED <company> starts a plan. "
        "NEXT, DONE, PAUSE, RESUME. STOP to end, FORGET to erase your data."
    )


def paused(until_text: str) -> str:
    return f"Paused. I'll be quiet until {until_text} your time. Reply RESUME any time to carry on."


def resumed(kind: str | None, when: str | None) -> str:
    return f"Welcome back. {next_line(kind, when)}"


def nothing_to_pause() -> str:
    return "There's no plan running to pause. Send REJECTED <company> if you'd like to start one."


def nothing_paused() -> str:
    return "Nothing is paused right now. Reply NEXT to see what's coming."


def done() -> str:
    return "Nice work, I've marked that done. Reply NEXT to see what's coming."


def skipped() -> str:
    """DONE after the reminder of a prompt: they are skipping it, not finishing it."""
    return "No problem, I've skipped that one. Reply NEXT to see what's coming."


def nothing_open() -> str:
    return "There's no open task right now. Reply NEXT to see what's coming."


def applied(total: int, goal: int | None) -> str:
    if goal is None:
        return (
            f"Counted: {total} application{'s' if total != 1 else ''} so far. Every one is a step."
        )
    if total >= goal:
        return f"That's {total}, your goal of {goal} reached. Well done, truly."
    return f"Counted: {total} of {goal}. Every application is a real step forward."


def next_due(kind: str | None, when: str | None) -> str:
    if kind is None or when is None:
        return "Nothing else is scheduled. Send REJECTED <company> if another one comes in."
    return next_line(kind, when)


def paused_next(until_text: str | None) -> str:
    if until_text is None:
        return "Your plan is on hold. Reply RESUME when you're ready."
    return f"Your plan is paused until {until_text} your time. Reply RESUME to carry on sooner."


def hired(ended: bool) -> str:
    if not ended:
        return "Congratulations, that is wonderful news! All the best."
    return "Congratulations, that is wonderful news! I have ended your plan. All the best."


def crisis_line(line: CrisisLine) -> str:
    """Who to reach now, for someone in crisis whose plan is already stopped (after STOP)."""
    return (
        f"I'm so sorry you're hurting. You matter. Please reach out now: {line.name}, "
        f"{line.contact}. If you're in danger, call your local emergency number."
    )


def timezone_set(zone: str, line: str) -> str:
    return f"Got it, your time zone is now {zone}. {line}"


def timezone_question() -> str:
    return "Which time zone are you in? Reply TZ and its name, like TZ America/Chicago."


def timezone_unknown(text: str) -> str:
    shown = text[:40]
    return (
        f"I don't know the time zone '{shown}'. Try a name like America/New_York or Europe/London."
    )


def email_added(address: str, write_to: str | None = None) -> str:
    where = f" to {write_to}" if write_to else ""
    return (
        f"Thanks, I've noted {address}. To confirm it's yours, send any message from it{where}; "
        "until then I'll keep texting."
    )


def email_taken() -> str:
    return "That address is already linked to someone else, so I can't add it here."


def sms_chosen() -> str:
    return "Done, I'll send your nudges by text message."


def forget_asked() -> str:
    return (
        "This erases everything onward holds about you, your journal too. "
        "Reply FORGET YES within 15 minutes to confirm."
    )


def forgotten() -> str:
    return "Done. Everything about you has been erased. Take care of yourself."


def forget_not_asked() -> str:
    return "To erase your data, send FORGET first, then FORGET YES to confirm."


def journal_kept() -> str:
    return "Thank you. I've kept that privately in your journal."


def note_kept() -> str:
    """Words that answer no prompt, from someone with a plan: kept all the same."""
    return "Thank you for telling me. I've kept your words in your private journal."


def stop_line() -> str:
    """Added when words that start with a stop word were kept, not taken as STOP."""
    return "If you meant to stop these messages, reply STOP."


def picture() -> str:
    return (
        "Thank you for sending that. I can only keep words, not pictures: "
        "a few words about it would be kept in your journal."
    )


def email_confirmed(address: str) -> str:
    return f"Thanks, {address} is confirmed: your nudges will come by email."


def hint() -> str:
    return (
        "I'm here when you need me. Send REJECTED <company> after a rejection, "
        "NEXT to see what's coming, or HELP."
    )


def no_plan() -> str:
    return "I don't have a plan running for you. Send REJECTED and the company name to start one."


def interview_noted(company: str, when: str | None) -> str:
    at = f" with {company}" if company else ""
    if when is None:
        return f"Noted: an interview{at}. You've got this. Send NEXT to see what's coming."
    return f"Noted: your interview{at}, {when}. You've got this, and I'll help you prepare."


def interview_when_unclear(company: str) -> str:
    at = f" with {company}" if company else ""
    return (
        f"Noted: an interview{at}. I couldn't read the date; try e.g. "
        "INTERVIEW Acme fri 3pm or INTERVIEW Acme 12 Dec."
    )


def offer_noted() -> str:
    return (
        "An offer, that's wonderful news! Take the time you need to decide. "
        "Send HIRED if you accept."
    )


def coach_asked() -> str:
    return (
        "Thank you for asking. A coach will read your messages and reply here, usually within "
        "one working day. If you're in danger now, call your local emergency number."
    )


def coach_already_asked() -> str:
    return "A coach has your request and will reply here soon, usually within one working day."


def journal_shared() -> str:
    return "Your coach can now read your journal. Send UNSHARE any time to keep it private."


def journal_unshared() -> str:
    return "Your journal is private again: only you can read it."

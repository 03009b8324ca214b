"""Consent and the person's data: STOP, START, HELP, FORGET, and the duty of care when someone
writes that they are in crisis (their plans are held and an operator alerted)."""

from __future__ import annotations

from datetime import timedelta

from onward.engine import consent_ledger, people, replies, runs
from onward.engine.coaches.escalation import escalate
from onward.engine.crisis import CrisisLine, crisis_line_for, crisis_reply
from onward.engine.inbound import intents as i
from onward.engine.inbound.context import RouterConfig, Turn, country_of
from onward.engine.inbound.progress import keep
from onward.engine.inbound.upcoming import next_line
from onward.engine.logs import get_logger
from onward.engine.metrics import CRISIS_ALERTS

log = get_logger("onward.router")
FORGET_CONFIRM_WINDOW = timedelta(minutes=15)


def help_reply(config: RouterConfig, lang: str) -> str:
    # The operator's own answer (ONWARD_HELP_TEXT) is theirs, in the words they chose.
    return config.help_text or replies.help_text(lang, config.org_name)


def opt_out(turn: Turn, intent: i.OptOut) -> str:
    assert turn.person is not None
    how = consent_ledger.by_text(intent.keyword, turn.msg.id)
    runs.opt_out(turn.session, turn.person, turn.msg.medium, turn.now, how)
    return replies.opted_out(turn.lang)


def opt_in(turn: Turn, intent: i.OptIn) -> str:
    """START, UNSTOP (and YES from someone opted out): on again, and the plan STOP ended carries
    on if that was within 30 days; the reply says what comes next."""
    person, session, now, lang = turn.person, turn.session, turn.now, turn.lang
    if person is None:
        return replies.hint(lang)
    if people.status_on(person, turn.msg.medium) != people.OPTED_OUT:
        run = runs.current_run(session, person.id)
        return replies.already_in(lang, next_line(lang, session, run, person, now))
    how = consent_ledger.by_text(intent.keyword, turn.msg.id)
    consent_ledger.record(person, turn.msg.medium, people.ACTIVE, now, how)
    run = runs.current_run(session, person.id) or runs.reopen_after_opt_out(
        session, person, now, turn.config.default_window
    )
    return replies.opted_in(lang, next_line(lang, session, run, person, now))


def crisis(turn: Turn, intent: i.Crisis) -> str:
    """Duty of care first: hold the plans, alert, answer with a line; keep their words too."""
    person, lang = turn.person, turn.lang
    if person is not None and people.status_on(person, turn.msg.medium) == people.OPTED_OUT:
        # After STOP: the line, nothing more.
        return replies.crisis_line(lang, hold_for_crisis(turn))
    if intent.opt_out and person is not None:  # "stop, i wanna die": honour STOP, give the line
        how = consent_ledger.by_text("STOP (with words of crisis)", turn.msg.id)
        runs.opt_out(turn.session, person, turn.msg.medium, turn.now, how)
        return f"{replies.opted_out(lang)} {replies.crisis_line(lang, hold_for_crisis(turn))}"
    keep(turn, intent.text)
    return crisis_reply(lang, hold_for_crisis(turn))


def help_(turn: Turn, intent: i.Help) -> str:
    return help_reply(turn.config, turn.lang)


def automated(turn: Turn, intent: i.Automated) -> str:
    return replies.automated(turn.lang, turn.config.org_name)


def forget(turn: Turn, intent: i.Forget) -> str:
    if turn.person is None:
        people.forget_address(turn.session, turn.msg.sender)
        return replies.forgotten(turn.lang)
    turn.person.forget_requested_at = turn.now
    return replies.forget_asked(turn.lang)


def forget_confirm(turn: Turn, intent: i.ForgetConfirm) -> str:
    if turn.person is None:
        people.forget_address(turn.session, turn.msg.sender)
        return replies.forgotten(turn.lang)
    asked = turn.person.forget_requested_at
    if asked is None or turn.now - asked > FORGET_CONFIRM_WINDOW:
        return replies.forget_not_asked(turn.lang)
    people.forget(turn.session, turn.person)
    return replies.forgotten(turn.lang)


def hold_for_crisis(turn: Turn) -> CrisisLine:
    """Duty of care: hold every nudge and alert an operator; the crisis line to answer with."""
    person = turn.person
    if person is not None:
        for run in runs.open_runs(turn.session, person.id):
            runs.pause(turn.session, run, turn.now, None, "crisis")
    CRISIS_ALERTS.inc()
    log.error(
        "crisis phrase in a reply: plan paused, an operator should check in",
        sender=turn.msg.sender,
        channel=turn.msg.channel,
        inbound_id=turn.msg.id,
        person_id=person.id if person else None,
    )
    escalate(
        turn.session,
        reason="crisis",
        person_id=person.id if person else None,
        address=turn.msg.sender,
        medium=turn.msg.medium,
        now=turn.now,
        on_call=turn.config.on_call,
        inbound_id=turn.msg.id,
    )
    # A stranger's country is their number's, so the line they get is one they can call.
    country = person.country if person else country_of(turn.msg)
    return crisis_line_for(country, turn.config.crisis_lines)

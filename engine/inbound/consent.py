"""Consent and the person's data: STOP, START, HELP, FORGET, and the duty of care when someone
writes that they are in crisis (their plans are held and an operator alerted)."""

from __future__ import annotations

from datetime import timedelta

from onward.engine import people, replies, runs
from onward.engine.crisis import CrisisLine, crisis_line_for
from onward.engine.inbound import classify as c
from onward.engine.inbound.context import Incoming, RouterConfig, Turn
from onward.engine.logs import get_logger
from onward.engine.metrics import CRISIS_ALERTS
from onward.engine.phones import InvalidPhoneNumber, region_for_phone

log = get_logger("onward.router")
FORGET_CONFIRM_WINDOW = timedelta(minutes=15)


def help_reply(config: RouterConfig) -> str:
    return config.help_text or replies.help_text(config.operator_name)


def opt_out(turn: Turn, cmd: c.OptOut) -> str:
    assert turn.person is not None
    runs.opt_out(turn.session, turn.person, turn.msg.medium, turn.now)
    if turn.msg.crisis:  # "stop, i wanna die": honour STOP, and still give the line
        return f"{replies.opted_out()} {replies.crisis_line(hold_for_crisis(turn))}"
    return replies.opted_out()


def opt_in(turn: Turn, cmd: c.OptIn) -> str:
    if turn.person is None:
        return replies.hint()
    people.set_status(turn.person, turn.msg.medium, people.ACTIVE, turn.now)
    return replies.opted_in()


def help_(turn: Turn, cmd: c.Help) -> str:
    return help_reply(turn.config)


def forget(turn: Turn, cmd: c.Forget) -> str:
    if turn.person is None:
        people.forget_address(turn.session, turn.msg.sender)
        return replies.forgotten()
    turn.person.forget_requested_at = turn.now
    return replies.forget_asked()


def forget_confirm(turn: Turn, cmd: c.ForgetConfirm) -> str:
    if turn.person is None:
        people.forget_address(turn.session, turn.msg.sender)
        return replies.forgotten()
    asked = turn.person.forget_requested_at
    if asked is None or turn.now - asked > FORGET_CONFIRM_WINDOW:
        return replies.forget_not_asked()
    people.forget(turn.session, turn.person)
    return replies.forgotten()


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
    country = person.country if person else _country_of(turn.msg)
    return crisis_line_for(country, turn.config.crisis_lines)


def _country_of(msg: Incoming) -> str | None:
    """A stranger's country, from their number, so the line they get is one they can call."""
    if msg.medium != "sms":
        return None
    try:
        return region_for_phone(msg.sender)
    except InvalidPhoneNumber:
        return None

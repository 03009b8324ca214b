"""The commands about a person rather than their plan: consent (STOP, START), time zone,
mediums (EMAIL, SMS), FORGET, and the duty of care when someone writes that they are in crisis."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from onward.engine import people, replies, runs
from onward.engine.crisis import CrisisLine, crisis_line_for
from onward.engine.inbound import classify as c
from onward.engine.inbound.context import Incoming, RouterConfig
from onward.engine.logs import get_logger
from onward.engine.metrics import CRISIS_ALERTS
from onward.engine.models import Person, Run
from onward.engine.phones import InvalidPhoneNumber, region_for_phone
from onward.engine.plan_store import parsed
from onward.engine.schedule import keep_wall_times, next_waiting, window_for

log = get_logger("onward.router")
FORGET_CONFIRM_WINDOW = timedelta(minutes=15)


class PersonCommands:
    """Mixed into the Router: each method answers one command and returns the reply text."""

    config: RouterConfig

    def _next_line(self, session: Session, run: Run | None, person: Person, now: datetime) -> str:
        if run is None:
            return replies.next_due(None, None)
        step = next_waiting(session, run.id)
        if step is None:
            return replies.next_due(None, None)
        return replies.next_line(step.kind, self._when(person, step.due_at, now))

    def _when(self, person: Person, due: datetime, now: datetime) -> str:
        return replies.when_text(due, now, ZoneInfo(person.timezone))

    # -- commands ------------------------------------------------------------------------------

    def opt_out(
        self, session: Session, person: Person | None, cmd: c.OptOut, msg: Incoming, now: datetime
    ) -> str:
        assert person is not None
        runs.opt_out(session, person, msg.medium, now)
        if msg.crisis:  # "stop, i wanna die": honour STOP, and still give the line
            line = self._crisis(session, person, msg=msg, now=now)
            return f"{replies.opted_out()} {replies.crisis_line(line)}"
        return replies.opted_out()

    def opt_in(
        self, session: Session, person: Person | None, cmd: c.OptIn, msg: Incoming, now: datetime
    ) -> str:
        if person is None:
            return replies.hint()
        people.set_status(person, msg.medium, people.ACTIVE, now)
        return replies.opted_in()

    def set_timezone(
        self,
        session: Session,
        person: Person | None,
        cmd: c.SetTimezone,
        msg: Incoming,
        now: datetime,
    ) -> str:
        zone = people.canonical_timezone(cmd.zone)
        if zone is None:
            return replies.timezone_unknown(cmd.zone)
        if person is None:
            return replies.no_plan()
        old_zone = person.timezone
        person.timezone, person.timezone_source, person.updated_at = zone, "user", now
        run = runs.current_run(session, person.id)
        if run is not None:
            window = window_for(person, parsed(run.plan_version), self.config.default_window)
            keep_wall_times(session, run, person, old_zone, window, now)
        return replies.timezone_set(zone, self._next_line(session, run, person, now))

    def set_email(
        self, session: Session, person: Person | None, cmd: c.SetEmail, msg: Incoming, now: datetime
    ) -> str:
        if person is None:
            return replies.no_plan()
        # Lower case, as the web edge keeps email senders: mail from it must find this person.
        address = cmd.address.lower()
        owner = people.find_person(session, "email", address)
        if owner is not None and owner.id != person.id:
            return replies.email_taken()
        if person.email != address:
            person.email, person.email_status = address, people.UNCONFIRMED
            people.claim_messages(session, person, address)
        person.preferred_medium, person.updated_at = "email", now
        return replies.email_added(address, self.config.email_address)

    def use_sms(
        self, session: Session, person: Person | None, cmd: c.UseSms, msg: Incoming, now: datetime
    ) -> str:
        if person is None or not person.phone:
            return replies.no_plan()
        person.preferred_medium, person.updated_at = "sms", now
        return replies.sms_chosen()

    def forget(
        self, session: Session, person: Person | None, cmd: c.Forget, msg: Incoming, now: datetime
    ) -> str:
        if person is None:
            people.forget_address(session, msg.sender)
            return replies.forgotten()
        person.forget_requested_at = now
        return replies.forget_asked()

    def forget_confirm(
        self,
        session: Session,
        person: Person | None,
        cmd: c.ForgetConfirm,
        msg: Incoming,
        now: datetime,
    ) -> str:
        if person is None:
            people.forget_address(session, msg.sender)
            return replies.forgotten()
        asked = person.forget_requested_at
        if asked is None or now - asked > FORGET_CONFIRM_WINDOW:
            return replies.forget_not_asked()
        people.forget(session, person)
        return replies.forgotten()

    def _crisis(
        self, session: Session, person: Person | None, msg: Incoming, now: datetime
    ) -> CrisisLine:
        """Duty of care: hold every nudge and alert an operator; the crisis line to answer with."""
        if person is not None:
            for run in runs.open_runs(session, person.id):
                runs.pause(session, run, now, None, "crisis")
        CRISIS_ALERTS.inc()
        log.error(
            "crisis phrase in a reply: plan paused, an operator should check in",
            sender=msg.sender,
            channel=msg.channel,
            inbound_id=msg.id,
            person_id=person.id if person else None,
        )
        country = person.country if person else _country_of(msg)
        return crisis_line_for(country, self.config.crisis_lines)


def _country_of(msg: Incoming) -> str | None:
    """A stranger's country, from their number, so the line they get is one they can call."""
    if msg.medium != "sms":
        return None
    try:
        return region_for_phone(msg.sender)
    except InvalidPhoneNumber:
        return None

"""Act on a person's text command: start or supersede a run, opt out, pause, journal, forget."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from onward.engine import people, replies, runs
from onward.engine.crisis import (
    crisis_reply,
    detect_crisis,
)
from onward.engine.inbound import classify as c
from onward.engine.inbound import coaching as coach_cmds
from onward.engine.inbound.consent import PersonCommands
from onward.engine.inbound.context import Incoming, Outcome, RouterConfig
from onward.engine.inbound.rejection import RejectedCommand
from onward.engine.logs import get_logger
from onward.engine.models import (
    RUN_PAUSED,
    JournalEntry,
    Person,
)
from onward.engine.plan_store import parsed, trigger_keywords
from onward.engine.schedule import next_waiting

log = get_logger("onward.router")


# Twilio's Advanced Opt-Out has already answered these keywords itself: one confirmation only.
PROVIDER_ANSWERED: dict[str, c.Command] = {
    "STOP": c.OptOut("STOP"),
    "START": c.OptIn("START"),
    "HELP": c.Help(),
}


class Router(PersonCommands, RejectedCommand):
    def __init__(self, config: RouterConfig) -> None:
        self.config = config

    def route(self, session: Session, message: Incoming, now: datetime) -> Outcome:
        answered = PROVIDER_ANSWERED.get(message.extra.get("OptOutType", "").upper())
        if answered is not None:
            outcome = self._route(session, message, answered, now)
            outcome.reply = None
            return outcome
        return self._route(session, message, self._parse(session, message), now)

    def _parse(self, session: Session, message: Incoming) -> c.Command:
        """An SMS is its body; an email's command may be its subject or its first line."""
        if message.medium == "email":
            first_line = next((ln for ln in message.body.splitlines() if ln.strip()), "")
            for candidate in (message.subject, first_line):
                command = _parse_text(session, candidate)
                if candidate.strip() and not isinstance(command, c.Free):
                    return command
        return _parse_text(session, message.body)

    def _route(
        self, session: Session, message: Incoming, command: c.Command, now: datetime
    ) -> Outcome:
        phrase = detect_crisis(f"{message.subject}\n{message.body}", self.config.crisis_phrases)
        message = replace(message, crisis=phrase is not None)  # heard once, subject included
        if phrase is not None and not isinstance(command, c.Free | c.OptOut):
            # "rejected again and i want to die" or "pause i want to die": duty of care first.
            command = c.Free(message.body.strip())
        # Locked: one person's messages are acted on one at a time, so two rejections arriving
        # together can never both supersede the same run and leave two streams.
        person = people.find_person(session, message.medium, message.sender, lock=True)
        if person is not None and people.status_on(person, message.medium) == people.OPTED_OUT:
            # Opted out: stored, never re-subscribed by anything but START (HELP still answers).
            if isinstance(command, c.OptIn):
                people.set_status(person, message.medium, people.ACTIVE, now)
                return Outcome(replies.opted_in(), command.name, person.id)
            if isinstance(command, c.Help):
                return Outcome(self._help(), command.name, person.id)
            if phrase is not None:
                # Someone who says they want to die is answered with a line even after STOP.
                line = self._crisis(session, person, msg=message, now=now)
                return Outcome(replies.crisis_line(line), command.name, person.id)
            return Outcome(None, command.name, person.id)
        if person is None and isinstance(command, c.Rejected | c.OptOut | c.AskCoach):
            person = people.create_person(
                session, message.medium, message.sender, now, verified=message.verified
            )
        if (
            person is not None
            and message.medium == "email"
            and message.verified
            and person.email_status == people.UNCONFIRMED
        ):
            people.set_status(person, "email", people.ACTIVE, now)  # they wrote from it
        if coach_cmds.held_for_coach(session, person, command, message):
            assert person is not None
            return Outcome(None, "held", person.id)  # a coach holds it: theirs to answer
        reply = self._act(session, person, command, message, now)
        erased = isinstance(command, c.Forget | c.ForgetConfirm) and reply == replies.forgotten()
        return Outcome(reply, command.name, None if erased or person is None else person.id, erased)

    def _act(
        self,
        session: Session,
        person: Person | None,
        command: c.Command,
        msg: Incoming,
        now: datetime,
    ) -> str | None:
        match command:
            case c.Rejected():
                return self.rejected(session, person, command, msg, now)
            case c.OptOut():
                return self.opt_out(session, person, command, msg, now)
            case c.OptIn():
                return self.opt_in(session, person, command, msg, now)
            case c.Help():
                return self._help()
            case c.Pause():
                return self.pause(session, person, command, msg, now)
            case c.Resume():
                return self.resume(session, person, command, msg, now)
            case c.Done():
                return self.done(session, person, command, msg, now)
            case c.Applied():
                return self.applied(session, person, command, msg, now)
            case c.Next():
                return self.next(session, person, command, msg, now)
            case c.Hired():
                return self.hired(session, person, command, msg, now)
            case c.SetTimezone():
                return self.set_timezone(session, person, command, msg, now)
            case c.SetEmail():
                return self.set_email(session, person, command, msg, now)
            case c.UseSms():
                return self.use_sms(session, person, command, msg, now)
            case c.Forget():
                return self.forget(session, person, command, msg, now)
            case c.ForgetConfirm():
                return self.forget_confirm(session, person, command, msg, now)
            case c.AskCoach():
                assert person is not None
                return coach_cmds.ask_coach(session, person, msg, now)
            case c.Share():
                return coach_cmds.share(session, person, now)
            case c.Unshare():
                return coach_cmds.unshare(session, person, now)
            case c.Invalid():
                return command.reason
            case c.Free():
                return self.free(session, person, command, msg, now)
        raise TypeError(f"no handler for {type(command).__name__}")

    def _help(self) -> str:
        return self.config.help_text or replies.help_text(self.config.operator_name)

    def pause(
        self, session: Session, person: Person | None, cmd: c.Pause, msg: Incoming, now: datetime
    ) -> str:
        run = runs.current_run(session, person.id) if person else None
        if person is None or run is None:
            return replies.nothing_to_pause()
        if run.status == RUN_PAUSED and run.pause_reason == "crisis":
            return replies.paused_next(None)  # a crisis hold ends only with RESUME
        until = now + cmd.duration
        runs.pause(session, run, now, until, "person")
        return replies.paused(self._when(person, until, now))

    def resume(
        self, session: Session, person: Person | None, cmd: c.Resume, msg: Incoming, now: datetime
    ) -> str:
        run = runs.current_run(session, person.id) if person else None
        if person is None or run is None or run.status != RUN_PAUSED:
            return replies.nothing_paused()
        runs.resume(session, run, now, self.config.default_window)
        step = next_waiting(session, run.id)
        when = self._when(person, step.due_at, now) if step is not None else None
        return replies.resumed(step.kind if step is not None else None, when)

    def done(
        self, session: Session, person: Person | None, cmd: c.Done, msg: Incoming, now: datetime
    ) -> str:
        if person is None:
            return replies.no_plan()
        prompt = runs.open_prompt(session, person.id)
        if prompt is None or (prompt.answered_at is not None and prompt.kind != "apply"):
            return replies.nothing_open()
        prompt.answered_at = prompt.answered_at or now
        return replies.done()

    def applied(
        self, session: Session, person: Person | None, cmd: c.Applied, msg: Incoming, now: datetime
    ) -> str:
        run = runs.current_run(session, person.id) if person else None
        if run is None:
            return replies.no_plan()
        run.applied_count += cmd.count
        prompt = runs.open_prompt(session, run.person_id)
        if prompt is not None and prompt.kind == "apply" and prompt.answered_at is None:
            prompt.answered_at = now
        return replies.applied(run.applied_count, parsed(run.plan_version).apply_goal)

    def next(
        self, session: Session, person: Person | None, cmd: c.Next, msg: Incoming, now: datetime
    ) -> str:
        run = runs.current_run(session, person.id) if person else None
        if person is None or run is None:
            return replies.next_due(None, None)
        if run.status == RUN_PAUSED:
            until = self._when(person, run.paused_until, now) if run.paused_until else None
            return replies.paused_next(until)
        return self._next_line(session, run, person, now)

    def hired(
        self, session: Session, person: Person | None, cmd: c.Hired, msg: Incoming, now: datetime
    ) -> str:
        ended = runs.open_runs(session, person.id) if person is not None else []
        for run in ended:
            runs.complete(session, run, now)
        return replies.hired(ended=bool(ended))

    def free(
        self, session: Session, person: Person | None, cmd: c.Free, msg: Incoming, now: datetime
    ) -> str | None:
        if person is None:
            if msg.crisis:
                return crisis_reply(self._crisis(session, None, msg, now))
            return replies.hint()
        prompt = runs.open_prompt(session, person.id)
        if prompt is not None and cmd.text:
            session.add(
                JournalEntry(
                    person_id=person.id,
                    run_id=prompt.run_id,
                    step_id=prompt.id,
                    step_key=prompt.step_key,
                    text=cmd.text,
                    created_at=now,
                )
            )
            prompt.answered_at = prompt.answered_at or now
        if msg.crisis:
            return crisis_reply(self._crisis(session, person, msg, now))
        if prompt is not None and cmd.text:
            return replies.journal_kept()
        return replies.hint()


def _parse_text(session: Session, text: str) -> c.Command:
    # Plan keywords are tried only after every built-in command, so they can only change a Free
    # result: most messages need no look-up of them.
    command = c.parse_command(text)
    if isinstance(command, c.Free):
        return c.parse_command(text, trigger_keywords(session))
    return command

"""Act on what a person wrote: find them, read the words as one intent, and hand it to the
handler that the table below names for it. Each handler returns the reply text (or None)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onward.channels import ProviderAnswer
from onward.engine import people, replies
from onward.engine.crisis import detect_crisis
from onward.engine.inbound import classify as c
from onward.engine.inbound import consent, profile, progress, rejection
from onward.engine.inbound.context import Incoming, Outcome, RouterConfig, Turn
from onward.engine.plan_store import trigger_keywords

Handler = Callable[[Turn, Any], str | None]


def _invalid(turn: Turn, cmd: c.Invalid) -> str:
    return cmd.reason


# One row per intent: adding a command is a row here and one in `classify`.
HANDLERS: Mapping[type[c.Command], Handler] = {
    c.Rejected: rejection.rejected,
    c.OptOut: consent.opt_out,
    c.OptIn: consent.opt_in,
    c.Help: consent.help_,
    c.Forget: consent.forget,
    c.ForgetConfirm: consent.forget_confirm,
    c.SetTimezone: profile.set_timezone,
    c.SetEmail: profile.set_email,
    c.UseSms: profile.use_sms,
    c.Pause: progress.pause,
    c.Resume: progress.resume,
    c.Done: progress.done,
    c.Applied: progress.applied,
    c.Next: progress.next_,
    c.Hired: progress.hired,
    c.Free: progress.free,
    c.Invalid: _invalid,
}

# The provider has already acted on these and answered them itself: one confirmation only.
PROVIDER_ANSWERED: Mapping[ProviderAnswer, c.Command] = {
    "opted_out": c.OptOut("STOP"),
    "opted_in": c.OptIn("START"),
    "help": c.Help(),
}


class Router:
    def __init__(self, config: RouterConfig) -> None:
        self.config = config

    def route(self, session: Session, message: Incoming, now: datetime) -> Outcome:
        answered = (
            PROVIDER_ANSWERED.get(message.provider_answered) if message.provider_answered else None
        )
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
        turn = Turn(session, self.config, message, now, person)
        if person is not None and people.status_on(person, message.medium) == people.OPTED_OUT:
            # Opted out: stored, never re-subscribed by anything but START (HELP still answers).
            if isinstance(command, c.OptIn):
                people.set_status(person, message.medium, people.ACTIVE, now)
                return Outcome(replies.opted_in(), command.name, person.id)
            if isinstance(command, c.Help):
                return Outcome(consent.help_reply(self.config), command.name, person.id)
            if phrase is not None:
                # Someone who says they want to die is answered with a line even after STOP.
                line = consent.hold_for_crisis(turn)
                return Outcome(replies.crisis_line(line), command.name, person.id)
            return Outcome(None, command.name, person.id)
        if person is None and isinstance(command, c.Rejected | c.OptOut):
            person = people.create_person(
                session, message.medium, message.sender, now, verified=message.verified
            )
            turn = replace(turn, person=person)
        if (
            person is not None
            and message.medium == "email"
            and message.verified
            and person.email_status == people.UNCONFIRMED
        ):
            people.set_status(person, "email", people.ACTIVE, now)  # they wrote from it
        reply = HANDLERS[type(command)](turn, command)
        erased = isinstance(command, c.Forget | c.ForgetConfirm) and reply == replies.forgotten()
        return Outcome(reply, command.name, None if erased or person is None else person.id, erased)


def _parse_text(session: Session, text: str) -> c.Command:
    # Plan keywords are tried only after every built-in command, so they can only change a Free
    # result: most messages need no look-up of them.
    command = c.parse_command(text)
    if isinstance(command, c.Free):
        return c.parse_command(text, trigger_keywords(session))
    return command

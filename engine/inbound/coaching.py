"""The commands about a human coach: COACH/TALK (join the coaches' queue), SHARE and UNSHARE
(let the person's coach read their journal, or take that back), and the hold: while a coach
holds the conversation, what the person writes goes to the coach instead of automatic answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from onward.engine import coaching, replies
from onward.engine.inbound import classify as c
from onward.engine.inbound.context import Incoming
from onward.engine.models import Person

# What a person can always do, held or not: stop, get help, opt back in, be forgotten.
ALWAYS_ANSWERED = (c.OptOut, c.OptIn, c.Help, c.Forget, c.ForgetConfirm)


def held_for_coach(
    session: Session, person: Person | None, command: c.Command, msg: Incoming
) -> bool:
    """True when a coach holds the conversation and this message is theirs to answer."""
    if person is None or msg.crisis or isinstance(command, ALWAYS_ANSWERED):
        return False
    return coaching.is_held(session, person.id)


def ask_coach(session: Session, person: Person, msg: Incoming, now: datetime) -> str:
    if coaching.request_coach(session, person, msg.id, now):
        return replies.coach_asked()
    return replies.coach_already_asked()


def share(session: Session, person: Person | None, now: datetime) -> str:
    if person is None:
        return replies.no_plan()
    coaching.set_shared(session, person, True, now)
    return replies.journal_shared()


def unshare(session: Session, person: Person | None, now: datetime) -> str:
    if person is None:
        return replies.no_plan()
    coaching.set_shared(session, person, False, now)
    return replies.journal_unshared()

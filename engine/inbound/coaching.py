"""The commands about a human coach: COACH/TALK (join the coaches' queue), SHARE and UNSHARE
(let the person's coach read their journal, or take that back), and the hold: while a coach
holds the conversation, what the person writes goes to the coach instead of automatic answers."""

from __future__ import annotations

from onward.engine import replies
from onward.engine.coaches import coaching
from onward.engine.inbound import intents as i
from onward.engine.inbound.context import Turn
from onward.engine.inbound.progress import keep

# What a person can always do, held or not: stop, get help, opt back in, be forgotten, have
# their own journal, and be answered in a crisis.
ALWAYS_ANSWERED = (
    i.OptOut,
    i.OptIn,
    i.Help,
    i.Automated,
    i.Forget,
    i.ForgetConfirm,
    i.Journal,
    i.Crisis,
)


def held_for_coach(turn: Turn, intent: i.Intent) -> bool:
    """True when a coach holds the conversation and this message is theirs to answer."""
    if turn.sender is None or isinstance(intent, ALWAYS_ANSWERED):
        return False
    if turn.held is not None:  # the router read it with the person
        return turn.held
    return coaching.is_held(turn.session, turn.sender.id)


def ask_coach(turn: Turn, intent: i.AskCoach) -> str:
    assert turn.person is not None
    keep(turn, intent.text)  # asked in a sentence: its words are theirs to keep, as any answer
    if coaching.request_coach(turn.session, turn.person, turn.msg.id, turn.now):
        return replies.coach_asked(turn.lang)
    return replies.coach_already_asked(turn.lang)


def share(turn: Turn, intent: i.Share) -> str:
    if turn.person is None:
        return replies.no_plan(turn.lang)
    coaching.set_shared(turn.session, turn.person, True, turn.now)
    return replies.journal_shared(turn.lang)


def unshare(turn: Turn, intent: i.Unshare) -> str:
    if turn.person is None:
        return replies.no_plan(turn.lang)
    coaching.set_shared(turn.session, turn.person, False, turn.now)
    return replies.journal_unshared(turn.lang)

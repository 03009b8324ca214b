"""Act on what a person wrote: find them, read their words as one intent (`classify`, pure),
and hand it to the handler the table below names for it. Each handler returns the reply text,
or None to stay silent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onward.channels import ProviderAnswer
from onward.engine import consent_ledger, people, replies
from onward.engine.inbound import (
    coaching,
    consent,
    journal_copy,
    milestones,
    profile,
    progress,
    rejection,
    when_replies,
)
from onward.engine.inbound import intents as i
from onward.engine.inbound.classify import Said, State, Vocabulary, classify
from onward.engine.inbound.context import (
    Incoming,
    Outcome,
    RouterConfig,
    Sender,
    Turn,
    language_of,
)
from onward.engine.inbound.lookup import find_conversation
from onward.engine.language import speaker
from onward.engine.plan_store import trigger_keywords
from onward.engine.storage.models import Person

Handler = Callable[[Turn, Any], str | None]


def _invalid(turn: Turn, intent: i.Invalid) -> str:
    return speaker(turn.lang).gettext(intent.reason)  # the parser's English, translated


# One row per intent: adding a command is a row here, one in `commands` and its words in
# `plans.keywords`.
HANDLERS: Mapping[type[i.Intent], Handler] = {
    i.Crisis: consent.crisis,
    i.OptOut: consent.opt_out,
    i.OptIn: consent.opt_in,
    i.Help: consent.help_,
    i.Automated: consent.automated,
    i.Forget: consent.forget,
    i.ForgetConfirm: consent.forget_confirm,
    i.Rejected: rejection.rejected,
    i.SetTimezone: profile.set_timezone,
    i.SetEmail: profile.set_email,
    i.UseSms: profile.use_sms,
    i.SetLanguage: profile.set_language,
    i.Pause: progress.pause,
    i.Resume: progress.resume,
    i.Done: progress.done,
    i.Applied: progress.applied,
    i.Next: progress.next_,
    i.Hired: progress.hired,
    i.Interview: milestones.interview,
    i.Offer: milestones.offer,
    i.AskCoach: coaching.ask_coach,
    i.Share: coaching.share,
    i.Unshare: coaching.unshare,
    i.Journal: journal_copy.journal,
    i.Answer: when_replies.answer,
    i.Note: when_replies.note,
    i.Picture: progress.picture,
    i.Invalid: _invalid,
}
# What someone opted out of this medium still gets an answer to: nothing else re-subscribes.
ANSWERED_WHEN_OPTED_OUT = (i.OptIn, i.Help, i.Automated, i.Crisis)
# What never adds or moves a step: the daemon need not look for a sooner wake-up after these.
# An answer or a note may (a time for an interview asked about, or for an application slot):
# `_may_book` says when.
LEAVES_SCHEDULE = (i.Answer, i.Note, i.Picture, i.Help, i.Automated, i.Next)

# The provider has already acted on these and answered them itself: one confirmation only.
PROVIDER_ANSWERED: Mapping[ProviderAnswer, i.Intent] = {
    "opted_out": i.OptOut("STOP"),
    "opted_in": i.OptIn("START"),
    "help": i.Help(),
}


class Router:
    def __init__(self, config: RouterConfig) -> None:
        self.config = config

    def route(self, session: Session, message: Incoming, now: datetime) -> Outcome:
        # Locked: one person's messages are acted on one at a time, so two rejections arriving
        # together can never both supersede the same run and leave two streams.
        found = find_conversation(session, message.medium, message.sender)
        sender, run_id, prompt = found.person, found.run_id, found.prompt
        state = State(
            opted_out=sender is not None
            and people.status_on(sender, message.medium) == people.OPTED_OUT,
            plan_running=run_id is not None,
            prompt_open=prompt is not None,
            company=found.company,
        )
        intent = classify(
            Said(message.body, message.subject, message.medium == "email", message.attachments),
            state,
            Vocabulary(
                tuple(trigger_keywords(session, found.newest_version)), self.config.crisis_phrases
            ),
        )
        crisis = isinstance(intent, i.Crisis)
        if message.crisis != crisis:  # a copy only when it changes (most messages: no crisis)
            message = replace(message, crisis=crisis)
        turn = Turn(
            session,
            self.config,
            message,
            now,
            sender,
            run_id,
            prompt,
            lang=language_of(sender, message),
            held=found.held,
        )
        if message.provider_answered is not None:
            answered = PROVIDER_ANSWERED[message.provider_answered]
            # The provider's own answer has gone, so onward stays quiet. A START or YES from
            # someone not opted out is read as written (an answer to a prompt, say).
            if not (isinstance(answered, i.OptIn) and not state.opted_out):
                intent = answered
            outcome = self._act(turn, intent)
            outcome.reply = None
            return outcome
        return self._act(turn, intent)

    def _act(self, turn: Turn, intent: i.Intent) -> Outcome:
        # The sender as read (`sender`); as an object (`turn.person`) only where one is changed.
        session, message, now, sender = turn.session, turn.msg, turn.now, turn.sender
        if sender is not None and sender.open_question is not None:
            # Asked once: this message answers it (when_replies) or leaves it, either way.
            turn = replace(turn, question=sender.open_question)
            _person(turn).open_question = None
        if sender is not None and people.status_on(sender, message.medium) == people.OPTED_OUT:
            # Opted out: stored, never re-subscribed by anything but START (HELP still answers,
            # and someone who says they want to die is answered with a line even after STOP).
            if not isinstance(intent, ANSWERED_WHEN_OPTED_OUT):
                return Outcome(None, intent.name, sender.id, moves_schedule=False)
            reply = HANDLERS[type(intent)](turn, intent)
            return Outcome(reply, intent.name, sender.id)
        if coaching.held_for_coach(turn, intent):
            assert sender is not None
            # A coach holds it: theirs to answer.
            return Outcome(None, "held", sender.id, moves_schedule=False)
        creates = isinstance(intent, i.Rejected | i.OptOut | i.AskCoach) or (
            isinstance(intent, i.Crisis) and intent.opt_out
        )
        if sender is None and creates:
            person, wrote = people.add_person(
                session, message.medium, message.sender, now, verified=message.verified
            )
            sender = Sender.of_person(person)
            lang = language_of(sender, message)
            turn = replace(turn, sender=sender, lang=lang, found_racing=not wrote)
        confirmed = (
            sender is not None
            and message.medium == "email"
            and message.verified
            and sender.email_status == people.UNCONFIRMED
        )
        if confirmed:
            how = consent_ledger.How(
                "confirmation", "wrote from the address (DKIM/SPF passed)", message.id
            )
            # They wrote from it.
            consent_ledger.record(_person(turn), "email", people.ACTIVE, now, how)
        reply = HANDLERS[type(intent)](turn, intent)
        erased = isinstance(intent, i.Forget | i.ForgetConfirm) and reply == replies.forgotten(
            turn.lang
        )
        moves = not isinstance(intent, LEAVES_SCHEDULE) or _may_book(turn)
        if erased or sender is None:
            return Outcome(reply, intent.name, None, erased, moves_schedule=moves)
        # LANG has just changed it: what is added below is in the new language too.
        lang = language_of(turn.person, message) if isinstance(intent, i.SetLanguage) else turn.lang
        # Only someone whose zone was unknown when they were added has been asked nothing yet.
        if reply and sender.timezone_source == people.TZ_TO_ASK:
            person = _person(turn)
            if person.timezone_source == people.TZ_TO_ASK:  # unless they have just told it
                reply = f"{reply}\n{replies.timezone_question(lang)}"  # its zones vary: ask once
                person.timezone_source = people.TZ_ASKED
        email = _person(turn).email if confirmed else None
        if email and not isinstance(intent, i.OptOut):
            reply = " ".join(filter(None, [replies.email_confirmed(lang, email), reply]))
        return Outcome(reply, intent.name, sender.id, moves_schedule=moves)


def _person(turn: Turn) -> Person:
    """The sender as an object, where the router changes them: someone it has read or written."""
    person = turn.person
    assert person is not None
    return person


def _may_book(turn: Turn) -> bool:
    """Whether an answer could have booked a one-off nudge (when_replies): onward asked when an
    interview is, or the open prompt is an apply step (which may ask when they will apply)."""
    return turn.question is not None or (turn.prompt is not None and turn.prompt.kind == "apply")

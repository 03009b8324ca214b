"""Conversations a person in a raw moment would trust (issue 15), through the real inbox and
router: opt-outs said in sentences, YES as an answer, START resuming the plan STOP ended, every
word kept, rejections told in ordinary words, replies that fit the moment."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from zoneinfo import ZoneInfo

import pytest

from onward.engine import replies
from onward.engine.storage.models import JournalEntry, Person, Rejection, Run
from onward.plans import sms_segments
from tests.integration.inbound_helpers import PHONE, Talk

LA = ZoneInfo("America/Los_Angeles")
WAITING = ("pending", "claimed")
ADDRESS = "sam@example.org"


def with_reflection_open(talk: Talk) -> int:
    talk.say("REJECTED Acme")
    run_id = talk.run().id
    talk.mark_sent(run_id, "reflect")
    return run_id


# -- opt-out by any reasonable means -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "I want to opt out",
        "Please unsubscribe me from these texts",
        "Can you stop texting me please",
        "I revoke my consent to receive texts",
        "Leave me alone",
        "Remove me from your list",
        "don't text me anymore",
        "stop it now",
    ],
)
def test_an_opt_out_said_in_a_sentence_stops_everything_with_one_confirmation(
    talk: Talk, body: str
) -> None:
    with_reflection_open(talk)
    assert talk.say(body) == replies.opted_out("en")
    assert talk.me().sms_status == "opted_out"
    run = talk.run()
    assert run.status == "cancelled" and talk.steps(run.id, *WAITING) == []
    assert talk.count(JournalEntry) == 0  # an opt-out is not an answer
    assert talk.say(body) is None  # one confirmation only


@pytest.mark.parametrize(
    "body", ["Stop rambling next time", "Quit my old job", "End of story really"]
)
def test_a_sentence_that_starts_with_a_stop_word_is_kept_and_says_how_to_stop(
    talk: Talk, body: str
) -> None:
    run_id = with_reflection_open(talk)
    reply = talk.say(body)
    assert reply == f"{replies.journal_kept('en')} {replies.stop_line('en')}"
    assert talk.me().sms_status == "active" and talk.run().status == "active"
    [entry] = talk.rows(JournalEntry)
    assert (entry.text, entry.step_key) == (body, "reflect")
    assert talk.steps(run_id, *WAITING)


# -- YES, START, UNSTOP --------------------------------------------------------------------------


def test_yes_answering_a_prompt_is_an_answer_not_a_resubscription(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.mark_sent(talk.run().id, "feedback")  # "Did you get a chance to ask for feedback?"
    assert talk.say("Yes") == replies.journal_kept("en")
    [entry] = talk.rows(JournalEntry)
    assert (entry.text, entry.step_key) == ("Yes", "feedback")


def test_start_from_someone_not_opted_out_says_messages_are_already_on(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    reply = talk.say("START")
    assert reply == replies.already_in(
        "en", "Next: a gentle check-in, tomorrow at 18:00 your time."
    )


def test_start_after_stop_resumes_the_plan_stop_ended_out_of_the_night(talk: Talk) -> None:
    talk.say("REJECTED Acme")  # Tuesday 07:00 in San Francisco
    run_id = talk.run().id
    talk.say("STOP")
    assert talk.run().status == "cancelled"
    talk.later(days=2, hours=15)  # Thursday 22:00 local: too late for a nudge tonight
    reply = talk.say("START")
    run = talk.run()
    assert (run.id, run.status, run.ended_at) == (run_id, "active", None)
    waiting = talk.steps(run_id, *WAITING)
    assert waiting and all(step.due_at > talk.clock.now() for step in waiting)
    for step in waiting:  # re-timed as RESUME does: never at night
        assert time(9) <= step.due_at.astimezone(LA).time() < time(20), step.step_key
    # The check-in (Wednesday 18:00) moves by the 2 days 15 hours stopped, to Saturday 09:00.
    assert reply == replies.opted_in("en", "Next: a gentle check-in, Saturday at 09:00 your time.")
    assert talk.say("NEXT") == "Next: a gentle check-in, Saturday at 09:00 your time."


def test_start_more_than_30_days_after_stop_does_not_bring_the_old_plan_back(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say("STOP")
    talk.later(days=31)
    assert talk.say("unstop") == replies.opted_in("en", replies.next_due("en", None, None))
    assert talk.run().status == "cancelled"


def test_an_operator_cancel_is_not_undone_by_start(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say("HIRED")  # completed, not ended by STOP
    talk.say("STOP")
    talk.say("START")
    assert talk.run().status == "completed"


# -- every word kept ----------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["😢😢😢", "I keep replaying it. " * 120, "feeling low today"])
def test_words_from_someone_with_a_running_plan_are_kept_as_notes(talk: Talk, body: str) -> None:
    talk.say("REJECTED Acme")
    assert talk.say(body) == replies.note_kept("en")
    [entry] = talk.rows(JournalEntry)
    assert (entry.text, entry.run_id, entry.step_key) == (body.strip(), talk.run().id, None)


def test_a_picture_with_no_words_gets_a_kind_line(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    picture = replace(talk.message(""), attachments=1)
    assert talk.inbox.receive(picture).reply == replies.picture("en")
    assert talk.count(JournalEntry) == 0


def test_a_crisis_message_is_kept_in_the_journal_too(talk: Talk) -> None:
    with_reflection_open(talk)
    reply = talk.say("Honestly I want to end my life")
    assert reply is not None and "988" in reply
    [entry] = talk.rows(JournalEntry)
    assert (entry.text, entry.step_key) == ("Honestly I want to end my life", "reflect")


# -- rejections told in ordinary words -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "company", "role"),
    [
        ("got rejected from Meta today :(", "Meta", ""),
        ("Acme rejected me", "Acme", ""),
        ("didn't get the job at Globex", "Globex", ""),
        ("heard back from Hooli, it's a no", "Hooli", ""),
        ("rejected by Amazon for SDE II", "Amazon", "SDE II"),
    ],
)
def test_a_rejection_told_in_ordinary_words_starts_a_plan(
    talk: Talk, body: str, company: str, role: str
) -> None:
    reply = talk.say(body)
    [rejection] = talk.rows(Rejection)
    assert (rejection.company, rejection.role) == (company, role)
    assert talk.run().status == "active"
    assert reply is not None and "your time." in reply


def test_a_new_rejection_in_words_supersedes_the_running_plan(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.later(hours=3)
    talk.say("got rejected from Meta today :(")
    assert [run.status for run in talk.runs()] == ["superseded", "active"]
    # Telling of the running plan's own rejection again is a note, not a new plan.
    talk.say("Meta rejected me, I still can't believe it")
    assert talk.count(Run) == 2 and talk.count(JournalEntry) == 1


# -- replies that fit the moment -----------------------------------------------------------------


def test_done_after_a_reminder_says_the_step_was_skipped(talk: Talk) -> None:
    run_id = with_reflection_open(talk)
    talk.later(days=1)
    talk.mark_sent(run_id, "reflect.reminder")
    assert talk.say("DONE") == replies.skipped("en")
    assert talk.step(run_id, "reflect").answered_at == talk.clock.now()


def test_an_address_confirmed_by_a_message_from_it_is_acknowledged(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say(f"EMAIL {ADDRESS}")
    reply = talk.say("hello from my inbox", ADDRESS, medium="email")
    assert reply == f"{replies.email_confirmed('en', ADDRESS)} {replies.note_kept('en')}"
    assert talk.me().email_status == "active"
    assert talk.say("still here", ADDRESS, medium="email") == replies.note_kept("en")


@pytest.mark.parametrize(
    "body",
    ["HELP", "NEXT", "PAUSE", "RESUME", "DONE", "FORGET", "FORGET YES", "hello", "STOP", "START"],
)
def test_email_replies_never_say_text(talk: Talk, body: str) -> None:
    talk.say("REJECTED Acme - Designer", ADDRESS, medium="email")
    talk.say("PAUSE", ADDRESS, medium="email")
    reply = talk.say(body, ADDRESS, medium="email")
    assert reply is not None
    assert "Text " not in reply and "text " not in reply.replace("by text message", "")


def test_help_fits_one_sms_and_names_the_commands_that_matter(talk: Talk) -> None:
    reply = talk.say("HELP")
    assert reply is not None
    length = sms_segments(reply)
    assert (length.encoding, length.segments) == ("GSM-7", 1)
    for command in ("REJECTED", "NEXT", "PAUSE", "STOP", "FORGET"):
        assert command in reply


def test_a_provider_answered_yes_with_a_prompt_open_is_kept_quietly(talk: Talk) -> None:
    with_reflection_open(talk)
    message = replace(talk.message("Yes", channel="twilio"), provider_answered="opted_in")
    assert talk.inbox.receive(message).reply is None
    [entry] = talk.rows(JournalEntry)
    assert entry.text == "Yes"
    assert talk.count(Person, Person.phone == PHONE, Person.sms_status == "active") == 1


@pytest.mark.parametrize(
    ("sentence", "command"),
    [
        ("I'm going on holiday, can you pause for 2 weeks?", "PAUSE 2w"),
        ("I need a break from these messages", "PAUSE"),
        ("pause please", "PAUSE"),
        ("resume please", "RESUME"),
    ],
)
def test_a_request_in_words_does_what_its_command_does(
    talk: Talk, sentence: str, command: str
) -> None:
    talk.say("REJECTED Acme")
    if command == "RESUME":
        talk.say("PAUSE")
    before = talk.run().status
    by_words = talk.say(sentence)
    after_words = talk.run().status
    assert after_words != before
    talk.say("RESUME" if command != "RESUME" else "PAUSE")
    assert talk.say(command) == by_words  # the same answer, word for word
    if command.startswith("PAUSE") and sentence.split()[0] != "pause":
        kept = [e.text for e in talk.rows(JournalEntry)]
        assert kept == [sentence]  # every word of the sentence kept, as any answer


@pytest.mark.parametrize(
    ("number", "asked", "lang"),
    [(PHONE, "is this a bot?", "en"), ("+34612345678", "¿Eres un bot?", "es")],
)
def test_asked_whether_it_is_a_bot_onward_says_so_and_how_to_reach_a_person(
    talk: Talk, number: str, asked: str, lang: str
) -> None:
    talk.say("REJECTED Acme", number)
    assert talk.say(asked, number) == replies.automated(lang, "onward")
    assert talk.say("STOP", number) == replies.opted_out(lang)
    assert talk.say(asked, number) == replies.automated(lang, "onward")  # even after STOP

"""Outcomes texted through the real inbox: each one an event with its time (and a coach's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from onward.engine import prep_texts, replies
from onward.engine.errors import UsageError
from onward.engine.numbers import outcome_events
from onward.engine.storage.models import InboundMessage, JournalEntry, Step
from onward.engine.storage.outcome_models import ExperimentArm, OutcomeEvent
from tests.integration.inbound_helpers import PHONE, Talk


def events(talk: Talk, kind: str | None = None) -> list[OutcomeEvent]:
    where = [OutcomeEvent.kind == kind] if kind else []
    return talk.rows(OutcomeEvent, *where, order=OutcomeEvent.id)


def test_interview_is_stored_with_when_it_is(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    # 2026-11-24 15:00 UTC is Tuesday 07:00 in San Francisco: "fri 3pm" is Friday 27th.
    reply = talk.say("INTERVIEW Globex fri 3pm")
    [event] = events(talk, "interview")
    assert event.company == "Globex" and event.occurred_at == talk.clock.now()
    assert event.scheduled_for == datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
    assert event.run_id == talk.run().id and event.source == "person"
    assert reply == prep_texts.interview_noted(
        "en", "Globex", "Friday at 15:00", "Thursday at 18:00"
    )


def test_an_interview_without_a_readable_date_is_still_noted(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    assert talk.say("INTERVIEW Globex 3/12") == prep_texts.interview_when("en", "Globex")
    [event] = events(talk, "interview")
    assert event.scheduled_for is None
    assert talk.say("INTERVIEW") == prep_texts.interview_when("en", "")
    assert len(events(talk, "interview")) == 2


def test_offer_applied_and_hired_are_events_with_their_times(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.later(days=2)
    talk.say("APPLIED 3")
    talk.later(days=1)
    talk.say("applied two")
    talk.later(days=9)
    assert talk.say("OFFER") == replies.offer_noted("en")
    talk.later(days=3)
    talk.say("HIRED")
    start = talk.run().started_at
    found = [(e.kind, e.count, (e.occurred_at - start).days) for e in events(talk)]
    assert found == [("applied", 3, 2), ("applied", 2, 3), ("offer", 1, 12), ("hired", 1, 15)]
    assert talk.run().applied_count == 5  # the plan's texts still read the running count


def test_applied_after_the_plan_ended_still_counts(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say("HIRED")
    assert talk.say("APPLIED") == replies.no_plan("en")
    [event] = events(talk, "applied")
    assert event.run_id is None and event.person_id == talk.me().id


def test_strangers_record_nothing(talk: Talk) -> None:
    assert talk.say("OFFER") == replies.no_plan("en")
    assert talk.say("INTERVIEW Acme") == replies.no_plan("en")
    assert events(talk) == []


def test_done_marks_its_step(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.mark_sent(talk.run().id, "reflect")
    talk.later(hours=2)
    talk.say("DONE")
    step = talk.step(talk.run().id, "reflect")
    assert step.done_at == talk.clock.now() == step.answered_at


def test_an_answer_is_not_done(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.mark_sent(talk.run().id, "reflect")
    talk.say("it went fine")
    assert talk.step(talk.run().id, "reflect").done_at is None


def test_a_message_of_crisis_is_labelled_crisis_for_the_numbers(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say("I want to end my life")
    [row] = [r for r in talk.rows(InboundMessage) if r.body == "I want to end my life"]
    assert row.command == "crisis"


def test_a_coach_sets_an_outcome_for_someone(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    run = talk.run()
    when = talk.clock.now() + timedelta(hours=1)
    talk.later(days=1)
    with talk.sessions.begin() as session:
        outcome_events.record_by_coach(session, talk.me().id, "hired", when, talk.clock.now())
    [event] = events(talk, "hired")
    assert (event.source, event.occurred_at, event.run_id) == ("coach", when, run.id)
    with talk.sessions.begin() as session, pytest.raises(UsageError, match="future"):
        outcome_events.record_by_coach(
            session, talk.me().id, "offer", talk.clock.now() + timedelta(days=1), talk.clock.now()
        )
    with talk.sessions.begin() as session, pytest.raises(UsageError, match="unknown outcome"):
        outcome_events.record_by_coach(session, talk.me().id, "promoted", when, talk.clock.now())


def test_forget_erases_outcomes_and_arms(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say("APPLIED 2")
    talk.say("INTERVIEW Acme fri")
    person_id = talk.me().id
    talk.say("FORGET")
    talk.say("FORGET YES")
    assert talk.count(OutcomeEvent, OutcomeEvent.person_id == person_id) == 0
    assert talk.count(ExperimentArm, ExperimentArm.person_id == person_id) == 0
    assert talk.count(Step) == 0 and talk.person(PHONE) is None


def test_milestones_told_in_sentences_count_and_their_words_are_kept(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.later(days=2)
    said = [
        "I applied to 3 jobs today, feeling a bit better",
        "I have an interview with Globex fri 3pm",
        "I got an offer from Initech!",
    ]
    replies_heard = [talk.say(words) for words in said]
    assert replies_heard[0] == replies.applied("en", 3, 5)  # the standard plan asks for 5
    assert replies_heard[1] == prep_texts.interview_noted(  # two days on, it is Thursday
        "en", "Globex", "tomorrow at 15:00", "today at 18:00"
    )
    assert replies_heard[2] == replies.offer_noted("en")
    found = [(e.kind, e.count, e.company) for e in events(talk)]
    assert found == [("applied", 3, ""), ("interview", 1, "Globex"), ("offer", 1, "")]
    assert talk.run().applied_count == 3
    kept = [entry.text for entry in talk.rows(JournalEntry, order=JournalEntry.id)]
    assert kept == said

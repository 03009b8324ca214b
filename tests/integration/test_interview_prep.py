"""INTERVIEW through the real inbox, then the prep nudge through the real dispatcher: the
person's own words the evening before, a tip when there are none, one question when the date
can't be read, and nothing at all once they asked to be forgotten, paused or stopped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from onward.channels import OutboundMessage
from onward.channels.console import ConsoleChannel
from onward.engine import prep_texts, replies
from onward.engine.one_offs import INTERVIEW_PREP, PREP_PLAN
from onward.engine.storage.models import (
    STEP_PENDING,
    Delivery,
    JournalEntry,
    PlanVersion,
    Run,
    Step,
)
from onward.engine.storage.outcome_models import OutcomeEvent
from onward.plans import sms_segments
from tests.integration.dispatch_helpers import Harness
from tests.integration.inbound_helpers import PHONE, Talk

# The clock starts on Tuesday 24 November 2026, 07:00 in San Francisco (15:00 UTC).
REFLECTION = "I talked too fast about my old job. I never asked them a single question."
FEEDBACK = "They said my examples needed numbers. They liked my energy though!"


def evening(day: int) -> datetime:
    """18:00 in San Francisco on `day` November 2026."""
    return datetime(2026, 11, day + 1, 2, 0, tzinfo=UTC)


def prep_steps(talk: Talk) -> list[Step]:
    return talk.rows(Step, Step.step_key == INTERVIEW_PREP)


def sent_to_me(world: Harness) -> list[OutboundMessage]:
    assert isinstance(world.sms, ConsoleChannel)
    return [message for message in world.sms.outbox if message.to == PHONE]


def prep_message(world: Harness, talk: Talk) -> OutboundMessage | None:
    """The prep nudge as the channel got it, found by its delivery's step."""
    steps = {step.id for step in prep_steps(talk)}
    deliveries = {d.id for d in talk.rows(Delivery) if d.step_id in steps}
    found = [m for m in sent_to_me(world) if m.delivery_id in deliveries]
    assert len(found) <= 1
    return found[0] if found else None


def answer(talk: Talk, step_key: str, words: str, lang: str = "en") -> None:
    talk.mark_sent(talk.run().id, step_key)
    assert talk.say(words) == replies.journal_kept(lang)


def test_the_evening_before_their_own_words_come_back_with_their_dates(
    talk: Talk, world: Harness
) -> None:
    talk.say("REJECTED Acme")
    talk.later(days=2)
    answer(talk, "reflect", REFLECTION)  # Thursday 26 November
    talk.later(days=2)
    answer(talk, "feedback", FEEDBACK)  # Saturday 28 November
    reply = talk.say("INTERVIEW Globex tomorrow 3pm")
    assert reply == prep_texts.interview_noted(
        "en", "Globex", "tomorrow at 15:00", "today at 18:00"
    )
    [step] = prep_steps(talk)
    assert (step.due_at, step.status, step.run_id) == (evening(28), STEP_PENDING, talk.run().id)
    [event] = talk.rows(OutcomeEvent, OutcomeEvent.kind == "interview")
    assert event.prep_step_id == step.id
    assert event.scheduled_for == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)

    dispatcher = world.dispatcher()
    world.drive(dispatcher, until=evening(28) - timedelta(minutes=1))
    assert prep_message(world, talk) is None  # not before the evening
    world.drive(dispatcher, until=evening(28))
    message = prep_message(world, talk)
    assert message is not None and world.clock.now() == evening(28)
    body = message.body
    assert body.startswith("Your interview with Globex is tomorrow at 15:00.\n")
    assert 'You wrote on 26 Nov: "I talked too fast about my old job.' in body
    assert 'You wrote on 28 Nov: "They said my examples needed numbers.' in body
    assert body.count("You wrote on") == 2
    assert sms_segments(body).segments <= 2


def test_with_nothing_to_quote_a_practical_tip(talk: Talk, world: Harness) -> None:
    talk.say("REJECTED Acme")
    talk.say("just a note to myself, nobody asked")  # a note: never quoted back
    talk.say("INTERVIEW Globex tomorrow 3pm")
    world.drive(world.dispatcher(), until=evening(24))
    message = prep_message(world, talk)
    assert message is not None
    assert "nobody asked" not in message.body and "You wrote" not in message.body
    assert any(f"A tip: {tip}" in message.body for tip in prep_texts.tips("en"))


def test_an_unclear_date_is_asked_once_and_the_answer_dates_it(talk: Talk, world: Harness) -> None:
    talk.say("REJECTED Acme")
    assert talk.say("INTERVIEW Globex 3/12") == prep_texts.interview_when("en", "Globex")
    assert talk.me().open_question is not None and prep_steps(talk) == []
    reply = talk.say("thu 10am")
    assert reply == prep_texts.interview_noted(
        "en", "Globex", "Thursday at 10:00", "tomorrow at 18:00"
    )
    assert talk.me().open_question is None
    [event] = talk.rows(OutcomeEvent, OutcomeEvent.kind == "interview")
    assert event.scheduled_for == datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
    [step] = prep_steps(talk)
    assert step.due_at == evening(25) and event.prep_step_id == step.id
    assert talk.count(JournalEntry) == 0  # a date is not a journal entry
    world.drive(world.dispatcher(), until=evening(25))
    message = prep_message(world, talk)
    assert message is not None and "Globex" in message.body


def test_a_past_date_is_asked_once_and_a_reply_that_is_no_time_is_kept(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    assert talk.say("INTERVIEW Initech yesterday 3pm") == prep_texts.interview_when("en", "Initech")
    assert talk.say("I'm so nervous about it") == replies.note_kept("en")
    assert talk.me().open_question is None
    # Not asked again: a time now is a note like any other.
    assert talk.say("thu 10am") == replies.note_kept("en")
    assert prep_steps(talk) == []
    assert [e.text for e in talk.rows(JournalEntry)] == ["I'm so nervous about it", "thu 10am"]
    [event] = talk.rows(OutcomeEvent, OutcomeEvent.kind == "interview")
    assert event.scheduled_for is None


def test_a_new_date_moves_the_interview_and_its_nudge(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.say("INTERVIEW Globex tomorrow 3pm")
    talk.say("INTERVIEW globex fri 9am")
    [event] = talk.rows(OutcomeEvent, OutcomeEvent.kind == "interview")
    steps = prep_steps(talk)
    assert [s.status for s in steps] == ["cancelled", STEP_PENDING]
    assert event.prep_step_id == steps[1].id and steps[1].due_at == evening(26)


def test_forget_before_the_evening_leaves_nothing_to_send(talk: Talk, world: Harness) -> None:
    talk.say("REJECTED Acme")
    answer(talk, "reflect", REFLECTION)
    talk.say("INTERVIEW Globex tomorrow 3pm")
    person_id = talk.me().id
    talk.later(hours=6)
    talk.say("FORGET")
    assert talk.say("FORGET YES") == replies.forgotten("en")
    world.drive(world.dispatcher(), until=evening(25))
    assert not any("Globex" in m.body or "talked" in m.body for m in sent_to_me(world))
    assert set(talk.rows_naming(person_id).values()) == {0}
    assert talk.count(OutcomeEvent) == talk.count(JournalEntry) == talk.count(Step) == 0


def test_a_pause_holds_the_nudge_and_it_is_not_sent_once_too_late(
    talk: Talk, world: Harness
) -> None:
    talk.say("REJECTED Acme")
    talk.say("INTERVIEW Globex tomorrow 3pm")
    talk.say("PAUSE 3d")
    world.drive(world.dispatcher(), until=evening(24) + timedelta(days=2))
    assert prep_message(world, talk) is None
    talk.later(days=2)
    talk.say("RESUME")  # the interview is over: the nudge has nothing left to help with
    world.drive(world.dispatcher())
    assert prep_message(world, talk) is None
    [step] = prep_steps(talk)
    assert step.status == "skipped" and step.last_error == "the interview is too close or over"


def test_stop_cancels_the_nudge(talk: Talk, world: Harness) -> None:
    talk.say("REJECTED Acme")
    talk.say("INTERVIEW Globex tomorrow 3pm")
    talk.say("STOP")
    world.drive(world.dispatcher(), until=evening(24))
    assert prep_message(world, talk) is None
    assert [s.status for s in prep_steps(talk)] == ["cancelled"]


def test_with_no_plan_running_a_run_of_its_own_carries_it(talk: Talk, world: Harness) -> None:
    talk.say("REJECTED Acme")
    talk.say("HIRED")  # the plan has ended; they interview all the same
    talk.say("INTERVIEW Globex tomorrow 3pm")
    run = talk.run()
    [version] = talk.rows(PlanVersion, PlanVersion.id == run.plan_version_id)
    assert version.name == PREP_PLAN and run.rejection_id is None
    assert [s.step_key for s in talk.steps(run.id)] == [INTERVIEW_PREP]
    # A rejection meanwhile supersedes that run, not the interview.
    talk.say("REJECTED Initech")
    [step] = prep_steps(talk)
    assert step.run_id == talk.run().id and talk.run().id != run.id
    assert talk.rows(Run, Run.id == run.id)[0].status == "superseded"
    world.drive(world.dispatcher(), until=evening(24))
    message = prep_message(world, talk)
    assert message is not None and message.body.startswith("Your interview with Globex")


def test_a_spanish_speaker_hears_it_all_in_spanish(talk: Talk, world: Harness) -> None:
    talk.say("REJECTED Acme")
    world.update_person(language="es")
    talk.later(days=2)
    answer(talk, "reflect", "Hablé demasiado rápido. No hice preguntas.", "es")
    talk.later(days=2)
    reply = talk.say("INTERVIEW Globex mañana a las 15:00")
    assert reply == prep_texts.interview_noted(
        "es", "Globex", "mañana a las 15:00", "hoy a las 18:00"
    )
    assert reply.startswith("¡Mucha suerte con Globex")
    world.drive(world.dispatcher(), until=evening(28))
    message = prep_message(world, talk)
    assert message is not None
    assert message.body.startswith("Tu entrevista con Globex es mañana a las 15:00.\n")
    assert 'Escribiste el 26 nov: "Hablé demasiado rápido. No hice preguntas."' in message.body
    assert sms_segments(message.body).segments <= 2
    assert talk.say("INTERVIEW Initech 3/12") == prep_texts.interview_when("es", "Initech")
    assert talk.say("viernes") is not None and len(prep_steps(talk)) == 2

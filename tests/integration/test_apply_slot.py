"""Plans people make themselves: the apply step asks when they will send their first
application, and a reply with a day and time books a nudge then, kept in their journal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from onward.channels.console import ConsoleChannel
from onward.engine import prep_texts, replies
from onward.engine.one_offs import APPLY_SLOT
from onward.engine.storage.models import STEP_PENDING, JournalEntry, Step
from tests.integration.dispatch_helpers import Harness
from tests.integration.inbound_helpers import PHONE, Talk

# The apply step is due 8 days after a rejection on Tuesday 24 November, 07:00 in San
# Francisco: Wednesday 2 December. The tests mark it sent then answer it that morning.
APPLY_DAY = 2


def local(day: int, hour: int) -> datetime:
    """`hour`:00 in San Francisco on `day` December 2026 (UTC-8)."""
    return datetime(2026, 12, day, tzinfo=UTC) + timedelta(hours=hour + 8)


def asked_when(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.clock.set(local(APPLY_DAY, 10))
    talk.mark_sent(talk.run().id, "apply")


def slots(talk: Talk) -> list[Step]:
    return talk.rows(Step, Step.step_key == APPLY_SLOT)


def test_a_day_and_time_books_the_nudge_then_kept_as_their_plan(talk: Talk, world: Harness) -> None:
    asked_when(talk)
    assert talk.say("tomorrow 10am") == prep_texts.slot_booked("en", "tomorrow at 10:00")
    [slot] = slots(talk)
    assert (slot.due_at, slot.status, slot.run_id) == (local(3, 10), STEP_PENDING, talk.run().id)
    [entry] = talk.rows(JournalEntry)
    assert (entry.text, entry.step_key) == ("tomorrow 10am", "apply")
    assert entry.step_id == talk.step(talk.run().id, "apply").id
    world.drive(world.dispatcher(), until=local(3, 10))
    assert isinstance(world.sms, ConsoleChannel)
    [nudge] = [m for m in world.sms.outbox if m.to == PHONE and "slot" in m.body]
    assert nudge.body.startswith("It's 10:00: your application slot. One is enough.")
    assert world.clock.now() == local(3, 10)


def test_a_time_outside_the_window_moves_to_the_opening_and_says_so(talk: Talk) -> None:
    asked_when(talk)
    reply = talk.say("Friday 7am")
    assert reply == prep_texts.slot_moved("en", "07:00", "Friday at 09:00")
    [slot] = slots(talk)
    assert slot.due_at == local(4, 9)


def test_a_part_of_the_day_is_a_time_and_a_new_answer_replaces_the_slot(talk: Talk) -> None:
    asked_when(talk)
    assert talk.say("Tuesday morning") == prep_texts.slot_booked("en", "Tuesday at 09:00")
    assert talk.say("this evening") == prep_texts.slot_booked("en", "today at 18:00")
    assert [(s.status, s.due_at) for s in slots(talk)] == [
        ("cancelled", local(8, 9)),
        (STEP_PENDING, local(2, 18)),
    ]


def test_a_reply_that_is_no_time_is_a_journal_answer(talk: Talk) -> None:
    asked_when(talk)
    assert talk.say("honestly I'm not sure I can face it") == replies.journal_kept("en")
    assert talk.say("APPLIED") is not None  # a command is still a command
    assert slots(talk) == []
    assert [e.text for e in talk.rows(JournalEntry)] == ["honestly I'm not sure I can face it"]


def test_a_time_answering_another_prompt_is_only_words(talk: Talk) -> None:
    talk.say("REJECTED Acme")
    talk.mark_sent(talk.run().id, "reflect")
    assert talk.say("tomorrow 10am") == replies.journal_kept("en")
    assert slots(talk) == []


def test_a_spanish_speaker_books_in_spanish(talk: Talk, world: Harness) -> None:
    asked_when(talk)
    world.update_person(language="es")
    assert talk.say("mañana a las 11") == prep_texts.slot_booked("es", "mañana a las 11:00")
    world.drive(world.dispatcher(), until=local(3, 11))
    assert isinstance(world.sms, ConsoleChannel)
    assert any(m.body.startswith("Son las 11:00: tu momento") for m in world.sms.outbox)

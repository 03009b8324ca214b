"""The issue's story, end to end and in Spanish: a person with a Spanish number reflects after a
rejection, is rejected again, announces an interview, and the evening before hears their own
words back, all through the real inbox and the real dispatcher with a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from onward.channels import OutboundMessage
from onward.channels.console import ConsoleChannel
from onward.engine import replies
from onward.engine.one_offs import INTERVIEW_PREP
from onward.engine.storage.models import Run, Step
from onward.plans import sms_segments
from tests.integration.dispatch_helpers import Harness
from tests.integration.inbound_helpers import Talk

MADRID = ZoneInfo("Europe/Madrid")
PHONE = "+34612345678"  # a Spanish mobile: Europe/Madrid, Spanish from the first reply
FIRST = "Me puse nervioso con la pregunta del sueldo. La parte técnica salió bien."
SECOND = "Globex fue muy rápido. Hablé demasiado de herramientas y poco de resultados."


def madrid(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November/December 2026 on a Madrid wall clock, in UTC."""
    month, day = (11, day) if day <= 30 else (12, day - 30)
    return datetime(2026, month, day, hour, minute, tzinfo=MADRID).astimezone(UTC)


def sent(world: Harness) -> list[OutboundMessage]:
    assert isinstance(world.sms, ConsoleChannel)
    return [message for message in world.sms.outbox if message.to == PHONE]


def test_reflect_rejected_again_interview_and_their_own_words_back_in_spanish(
    talk: Talk, world: Harness
) -> None:
    # Tuesday 24 November 2026, 16:00 in Madrid: the first rejection.
    dispatcher = world.dispatcher()
    world.clock.set(madrid(24, 16))
    first = talk.say("REJECTED Acme", sender=PHONE)
    assert first is not None and first.startswith("Siento mucho que la respuesta de Acme")
    assert talk.me(PHONE).language is None  # inferred from +34, not chosen

    # The reflection prompt comes on Thursday at 10:00, in Spanish; they answer it.
    world.drive(dispatcher, until=madrid(26, 10, 30))
    prompt = sent(world)[-1]
    assert prompt.body.startswith("Cuando quieras, piensa en la entrevista con Acme")
    talk.clock.set(madrid(26, 11))
    assert talk.say(FIRST, sender=PHONE) == replies.journal_kept("es")

    # Monday 30 November: rejected again; the new plan replaces what was left of the first.
    world.drive(dispatcher, until=madrid(30, 11))
    talk.clock.set(madrid(30, 11))
    again = talk.say("REJECTED Globex - analista de datos", sender=PHONE)
    assert again is not None and again.startswith("Siento mucho que la respuesta de Globex")
    statuses = sorted(run.status for run in talk.runs(PHONE))
    assert statuses == ["active", "superseded"]

    world.drive(dispatcher, until=madrid(32, 10, 30))  # Wednesday 2 December, the reflection
    assert sent(world)[-1].body.startswith("Cuando quieras, piensa en la entrevista con Globex")
    talk.clock.set(madrid(32, 11))
    assert talk.say(SECOND, sender=PHONE) == replies.journal_kept("es")

    # The interview is on Friday at 10:00; the prep nudge, Thursday at 18:00 Madrid time.
    talk.clock.set(madrid(32, 12))
    noted = talk.say("INTERVIEW Initech viernes a las 10", sender=PHONE)
    assert noted == (
        "¡Mucha suerte con Initech, el viernes a las 10:00! "
        "Te mandaré unas palabras para prepararte mañana a las 18:00."
    )
    before = len(sent(world))
    world.drive(dispatcher, until=madrid(33, 18, 30))
    [prep_step] = talk.rows(Step, Step.step_key == INTERVIEW_PREP)
    assert prep_step.sent_at == madrid(33, 18)
    prep = next(m for m in sent(world)[before:] if m.body.startswith("Tu entrevista"))
    assert prep.body.startswith("Tu entrevista con Initech es mañana a las 10:00.\n")
    # Their own words, with when they wrote them, and nothing that isn't theirs in quotes.
    assert "Escribiste el 2 dic" in prep.body or "Escribiste el 26 nov" in prep.body
    quoted = [line.split(": ", 1)[1].strip('"') for line in prep.body.splitlines() if ': "' in line]
    assert quoted and all(excerpt in f"{FIRST} {SECOND}" for excerpt in quoted)
    assert sms_segments(prep.body).segments <= 2

    # Everything they received was in Spanish: no English footer, no English reply.
    for message in sent(world):
        assert "Reply STOP" not in message.body and "Reply " not in message.body
    assert talk.count(Run) == 2

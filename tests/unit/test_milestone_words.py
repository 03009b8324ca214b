"""A milestone told in a sentence counts as its command would: "I applied to 3 jobs today" as
APPLIED 3, "I got an offer from Globex" as OFFER, "I have an interview with Globex tomorrow at
3pm" as INTERVIEW Globex tomorrow at 3pm; in Spanish and French too. The words come along, to
be kept in the journal. Wishes, plans, negations and other people's news are not milestones."""

from __future__ import annotations

import pytest

from onward.engine.inbound.classify import State, classify_text
from onward.engine.inbound.intents import Answer, Applied, Intent, Interview, Offer, Rejected

PROMPT = State(plan_running=True, prompt_open=True, company="Acme")

TOLD = [
    ("I applied to 3 jobs today", Applied(3)),
    ("Today I applied for two more roles", Applied(2)),
    ("I sent 5 applications this morning", Applied(5)),
    ("just submitted a couple of applications", Applied(2)),
    ("I've applied to another job", Applied(1)),
    ("I finally sent out four applications!", Applied(4)),
    ("envié 3 solicitudes hoy", Applied(3)),
    ("me postulé a dos puestos", Applied(2)),
    ("j'ai envoyé 4 candidatures", Applied(4)),
    ("j'ai postulé à deux offres", Applied(2)),
    ("I got an offer from Globex!", Offer()),
    ("Globex offered me the job", Offer()),
    ("I just received a job offer", Offer()),
    ("me hicieron una oferta en Globex", Offer()),
    ("j'ai reçu une offre de Globex", Offer()),
    ("I have an interview with Globex tomorrow at 3pm", Interview("Globex", "tomorrow at 3pm")),
    ("got an interview at Globex on friday", Interview("Globex", "on friday")),
    ("I've got a second interview with Initech next week", Interview("Initech", "next week")),
    ("I have a phone screen with Hooli", Interview("Hooli", "")),
    ("tengo una entrevista con Globex mañana a las 15h", Interview("Globex", "mañana a las 15h")),
    ("j'ai un entretien avec Globex demain à 15h", Interview("Globex", "demain à 15h")),
]
NOT_TOLD = [
    "I should have applied to 3 jobs",
    "I need to send 5 applications",
    "I haven't applied to any jobs yet",
    "I hope I got an offer",
    "I didn't get an offer",
    "if Globex offered me the job I'd take it",
    "I wish I had an interview with Globex",
    "I don't have an interview with Globex yet",
    "my friend has an interview with Globex",
    "I have an interview with them soon",
    "they asked about my interview with the recruiter",
    "I had an interview with Globex yesterday",
]


@pytest.mark.parametrize(("text", "expected"), TOLD)
def test_a_milestone_told_in_a_sentence_counts(text: str, expected: Intent) -> None:
    intent = classify_text(text, PROMPT)
    assert type(intent) is type(expected)
    assert intent == type(expected)(**{**expected.__dict__, "text": text})


@pytest.mark.parametrize("text", NOT_TOLD)
def test_wishes_plans_and_negations_are_kept_as_written(text: str) -> None:
    assert classify_text(text, PROMPT) == Answer(text, False)


def test_a_rejection_in_the_same_sentence_comes_first() -> None:
    words = "got an interview with Globex and then they rejected me"
    assert isinstance(classify_text(words, State()), Rejected)
    assert classify_text(words, PROMPT) == Answer(words, False)  # the plan's own, kept


def test_the_commands_carry_no_words() -> None:
    assert classify_text("APPLIED 3", PROMPT) == Applied(3)
    assert classify_text("OFFER", PROMPT) == Offer()
    assert classify_text("INTERVIEW Globex fri 3pm", PROMPT) == Interview("Globex", "fri 3pm")

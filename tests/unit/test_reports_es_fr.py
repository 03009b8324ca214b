"""A rejection told in Spanish or French, the other languages onward speaks, starts a plan as
`REJECTED` does: the company (and role) read from the sentence, with or without accents."""

from __future__ import annotations

import pytest

from onward.engine.inbound.classify import State, classify_text
from onward.engine.inbound.intents import Answer, Note, Rejected

NONE = State()
PLAN = State(plan_running=True, company="Acme")
PROMPT = State(plan_running=True, prompt_open=True, company="Acme")

REPORTS = [
    # Spanish
    ("me rechazaron en Globex", "Globex", ""),
    ("Me rechazaron de Globex hoy", "Globex", ""),
    ("me han rechazado en Globex para analista de datos", "Globex", "analista de datos"),
    ("fui rechazada por Globex", "Globex", ""),
    ("He sido rechazado por Telefónica", "Telefónica", ""),
    ("no me seleccionaron en Globex", "Globex", ""),
    ("no me eligieron en Globex, otra vez", "Globex", ""),
    ("no me dieron el trabajo en Globex", "Globex", ""),
    ("no conseguí el puesto de diseñadora en Globex", "Globex", "diseñadora"),
    ("no consegui el puesto en Globex", "Globex", ""),
    ("me dijeron que no en Globex", "Globex", ""),
    ("otro rechazo de Globex", "Globex", ""),
    ("recibí un no de Globex", "Globex", ""),
    ("Globex me rechazó", "Globex", ""),
    ("Globex me ha rechazado para el puesto de contable", "Globex", "contable"),
    ("Globex me descartó", "Globex", ""),
    ("Globex me dijo que no", "Globex", ""),
    ("me rechazaron otra vez", "", ""),
    ("fui rechazado", "", ""),
    # French
    ("j'ai été refusé chez Globex", "Globex", ""),
    ("J’ai été refusée par Globex aujourd'hui", "Globex", ""),
    ("j'ai ete recale chez Globex", "Globex", ""),
    ("Globex m'a refusé", "Globex", ""),
    ("Globex m'a recalée pour le poste de comptable", "Globex", "comptable"),
    ("Globex m'a dit non", "Globex", ""),
    ("ma candidature chez Globex a été refusée", "Globex", ""),
    ("Ma candidature à Globex a été rejetée", "Globex", ""),
    ("je n'ai pas été retenue chez Globex", "Globex", ""),
    ("je n'ai pas été retenu par Globex", "Globex", ""),
    ("je n'ai pas eu le poste chez Globex", "Globex", ""),
    ("je n'ai pas eu le poste de développeur chez Globex", "Globex", "développeur"),
    ("encore un refus de Globex", "Globex", ""),
    ("une réponse négative de Globex", "Globex", ""),
    ("j'ai été refusé", "", ""),
    ("encore un refus", "", ""),
]
NOT_REPORTS = [
    "no me rechazaron en Globex, ¡paso a la siguiente ronda!",
    "espero que no me rechacen en Globex",
    "si me rechazan en Globex lo intentaré en otra",
    "Rechacé la oferta de Globex",
    "je n'ai pas été refusé chez Globex, je passe au second tour",
    "j'espère ne pas être refusé chez Globex",
    "J'ai refusé l'offre de Globex",
    "ma candidature chez Globex est en cours",
]


@pytest.mark.parametrize(("text", "company", "role"), REPORTS)
def test_a_rejection_told_in_spanish_or_french_starts_a_plan(
    text: str, company: str, role: str
) -> None:
    assert classify_text(text, NONE) == Rejected(company, role, "REJECTED")


@pytest.mark.parametrize(("text", "company", "role"), [r for r in REPORTS if r[1]])
def test_with_a_plan_running_another_company_is_a_new_rejection(
    text: str, company: str, role: str
) -> None:
    assert classify_text(text, PLAN) == Rejected(company, role, "REJECTED")


@pytest.mark.parametrize("text", ["me rechazaron en Acme", "Acme m'a refusé", "fui rechazado"])
def test_the_running_plan_s_own_company_or_none_is_an_answer(text: str) -> None:
    assert classify_text(text, PROMPT) == Answer(text, False)


@pytest.mark.parametrize("text", NOT_REPORTS)
def test_sentences_that_are_no_rejection_are_kept(text: str) -> None:
    assert classify_text(text, NONE) == Note(text, False)

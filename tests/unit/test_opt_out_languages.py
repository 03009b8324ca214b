"""An opt-out in Spanish or French, the other languages onward speaks, stops like STOP does.

Revocation "by any reasonable means" (FCC 24-18) is not English-only: someone who reads
"Responde STOP para darte de baja" may well answer "darme de baja", and the emails' own link is
labelled "Darme de baja". Commands stay in English (the plans' texts say so); stopping does not
need to. Every reading is tried on every message, whatever the person's language, with and
without accents. Common words that also mean "stop" ("para", "alto") stop only when they are
the whole message, and a sentence that merely starts with one is an answer with no stop hint.
Their words for HELP (AYUDA, AIDE) are help.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onward.engine.inbound.classify import State, classify_text
from onward.engine.inbound.intents import Answer, Crisis, Note, OptOut
from onward.engine.inbound.revocation import opt_out_reading, starts_with_stop_word
from onward.engine.inbound.words import normalise
from onward.plans import RESERVED_WORDS

NONE = State()
PLAN = State(plan_running=True, company="Acme")
PROMPT = State(plan_running=True, prompt_open=True, company="Acme")

SPANISH_OPT_OUTS = [
    ("BAJA", "BAJA"),
    ("baja por favor", "BAJA"),
    ("Darme de baja", "DARME DE BAJA"),
    ("quiero darme de baja", "DARME DE BAJA"),
    ("Dame de baja, gracias", "DAME DE BAJA"),
    ("quiero la baja", "QUIERO LA BAJA"),
    ("Para", "PARA"),
    ("para ya", "PARA"),
    ("PARAR", "PARAR"),
    ("alto", "ALTO"),
    ("Basta ya!", "BASTA"),
    ("cancelar", "CANCELAR"),
    ("cancelar suscripción", "CANCELAR SUSCRIPCION"),
    ("desuscribir", "DESUSCRIBIR"),
    ("desuscribirme por favor", "DESUSCRIBIRME"),
    ("no me mandes más mensajes", "NO ME MANDES"),
    ("Por favor no me escriban más", "NO ME ESCRIBAN"),
    ("ya no quiero recibir mensajes", "NO QUIERO RECIBIR MENSAJES"),
    ("no quiero más mensajes, gracias", "NO QUIERO MAS MENSAJES"),
    ("dejen de escribirme", "DEJEN DE ESCRIBIRME"),
    ("deja de mandarme mensajes por favor", "DEJA DE MANDARME"),
    ("sáquenme de la lista", "SAQUENME DE LA LISTA"),
    ("Bórrame de tu lista", "BORRAME DE TU LISTA"),
    ("déjame en paz", "DEJAME EN PAZ"),
    ("retiro mi consentimiento", "RETIRO MI CONSENTIMIENTO"),
    ("no más mensajes", "NO MAS MENSAJES"),
]
FRENCH_OPT_OUTS = [
    ("ARRÊT", "ARRET"),
    ("arret", "ARRET"),
    ("Arrêtez svp", "ARRETEZ"),
    ("arrête merci", "ARRETE"),
    ("désabonner", "DESABONNER"),
    ("Désabonnez-moi", "DESABONNEZMOI"),
    ("je veux me désabonner", "DESABONNER"),
    ("désinscription s'il vous plaît", "DESINSCRIPTION"),
    ("merci de me désinscrire", "DESINSCRIRE"),
    ("arrêtez de m'envoyer des messages", "ARRETEZ DE MENVOYER"),
    ("Arrête de m'écrire", "ARRETE DE MECRIRE"),
    ("ne m'envoyez plus de SMS", "NE MENVOYEZ PLUS"),
    ("Ne me contactez plus", "NE ME CONTACTEZ PLUS"),
    ("je ne veux plus recevoir vos messages", "JE NE VEUX PLUS RECEVOIR VOS MESSAGES"),
    ("stop les messages", "STOP LES MESSAGES"),
    ("laissez-moi tranquille", "LAISSEZMOI TRANQUILLE"),
    ("retirez-moi de votre liste", "RETIREZMOI DE VOTRE LISTE"),
    ("je retire mon consentement", "RETIRE MON CONSENTEMENT"),
    ("annuler mon abonnement", "ANNULER MON ABONNEMENT"),
]
NOT_OPT_OUTS = [
    # Everyday Spanish and French with the same words in them.
    "Para mañana tengo otra entrevista",
    "Para la próxima pregunto por el salario",
    "Alto nivel de exigencia en la prueba técnica",
    "basta con practicar un poco más",
    "dejé de escribir en mi diario un tiempo",
    "Cancelaron la segunda ronda",
    "J'ai arrêté de postuler pendant une semaine",
    "plus de messages de recruteurs cette semaine, c'est bon signe",
]
NEGATED = [
    "no quiero darme de baja",
    "no voy a darme de baja, sigue escribiéndome",
    "no quiero la baja",
    "je ne veux pas me désabonner",
    "je ne vais pas me désinscrire",
]


@pytest.mark.parametrize(("text", "reading"), SPANISH_OPT_OUTS + FRENCH_OPT_OUTS)
@pytest.mark.parametrize("state", [NONE, PLAN, PROMPT], ids=["none", "plan", "prompt"])
def test_an_opt_out_in_spanish_or_french_opts_out(text: str, reading: str, state: State) -> None:
    assert classify_text(text, state) == OptOut(reading)


@pytest.mark.parametrize("text", NOT_OPT_OUTS)
def test_everyday_sentences_with_those_words_are_kept(text: str) -> None:
    intent = classify_text(text, PROMPT)
    assert intent == Answer(text, False)
    assert classify_text(text, PLAN) == Note(text, False)


@pytest.mark.parametrize("text", NEGATED)
def test_a_negated_opt_out_is_kept(text: str) -> None:
    # As "I don't want to unsubscribe": kept (the reply may still say how to stop).
    assert isinstance(classify_text(text, PROMPT), Answer)
    assert isinstance(classify_text(text, PLAN), Note)


@pytest.mark.parametrize("text", ["Baja de ánimo hoy", "Arrête de douter de toi, dit ma soeur"])
def test_a_sentence_starting_with_an_unmistakable_stop_word_gets_the_hint(text: str) -> None:
    # Not an opt-out, but the reply says how to stop in case that was meant (as "Stop
    # rambling next time" does in English).
    assert classify_text(text, PROMPT) == Answer(text, True)


def test_para_and_alto_starting_a_sentence_give_no_hint() -> None:
    assert not starts_with_stop_word(normalise("Para mañana tengo otra entrevista"))
    assert not starts_with_stop_word(normalise("Alto nivel de exigencia"))


def test_the_words_are_found_without_their_accents_and_with_them() -> None:
    for with_accents, without in [
        ("sáquenme de la lista", "saquenme de la lista"),
        ("Désabonnez-moi", "Desabonnez-moi"),
        ("ARRÊTEZ DE M'ÉCRIRE", "ARRETEZ DE M'ECRIRE"),
    ]:
        assert opt_out_reading(normalise(with_accents)) == opt_out_reading(normalise(without))
        assert opt_out_reading(normalise(with_accents)) is not None


def test_a_strikethrough_stop_is_still_no_stop() -> None:
    # Only accents are folded: a letter carrying another mark is another letter.
    assert opt_out_reading(normalise("B\u0336A\u0336J\u0336A\u0336")) is None


def test_crisis_and_an_opt_out_in_spanish_are_both_honoured() -> None:
    intent = classify_text("déjenme en paz, quiero morir", PLAN)
    assert intent == Crisis("déjenme en paz, quiero morir", opt_out=True)


def test_no_plan_can_take_a_spanish_or_french_stop_word_as_its_keyword() -> None:
    assert {"BAJA", "PARA", "ALTO", "BASTA", "ARRET", "DESABONNER"} <= RESERVED_WORDS


FILLER = st.sampled_from(["", "hola,", "bonjour", "gracias pero", "merci mais", "ok."])
# The phrases (a keyword with courtesy round it is a whole message, as in English).
PHRASES = st.sampled_from(
    [text for text, reading in SPANISH_OPT_OUTS + FRENCH_OPT_OUTS if " " in reading]
)


@settings(max_examples=200, deadline=None)
@given(FILLER, PHRASES, st.sampled_from([NONE, PLAN, PROMPT]))
def test_a_phrase_after_a_greeting_still_opts_out(before: str, phrase: str, state: State) -> None:
    assert isinstance(classify_text(f"{before} {phrase}", state), OptOut)


@pytest.mark.parametrize("text", ["AYUDA", "ayuda", "Aide", "HELP"])
def test_help_in_spanish_or_french_is_help(text: str) -> None:
    assert classify_text(text, PROMPT).name == "help"

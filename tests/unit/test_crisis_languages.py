"""Words of crisis in Spanish and French, the other languages onward speaks, are heard too."""

from __future__ import annotations

import pytest

from onward.engine.crisis import detect_crisis


@pytest.mark.parametrize(
    "text",
    [
        "me quiero morir",
        "Quiero morirme ya",
        "no quiero vivir así",
        "he pensado en quitarme la vida",
        "ya no puedo mas",
        "Je veux mourir",
        "j'ai envie de mourir",
        "je pense à mettre fin à mes jours",
        "je pense a mettre fin a mes jours",
        "J'en peux plus",
    ],
)
def test_crisis_in_spanish_and_french_is_heard(text: str) -> None:
    assert detect_crisis(text) is not None


# The ways people most often say it, as they say it (word order, no accents, slang), which the
# first list missed: "me quiero matar" is how most Spanish speakers write "I want to kill myself".
SPANISH = [
    "me quiero matar",
    "Me voy a matar",
    "pienso en matarme todos los dias",
    "tengo ganas de morirme",
    "me quiero quitar la vida",
    "quiero desaparecer",
    "quiero dejar de existir",
    "no le veo sentido a la vida",
    "la vida no tiene sentido",
    "no vale la pena vivir",
    "estaría mejor muerta",
    "estaria mejor muerto",
    "ojalá estuviera muerto",
    "quiero estar muerta",
    "quiero acabar con todo",
    "me corto los brazos",
    "me hago daño cuando estoy así",
    "ya no aguanto más",
    "quisiera no despertar",
    "soy una carga para todos",
    "nadie me extrañaría",
    "todos estarían mejor sin mí",
    "tengo pensamientos suicidas",
    "voy a tirarme por la ventana",
    "me voy a tomar todas las pastillas",
]
FRENCH = [
    "je veux me tuer",
    "Je vais me foutre en l'air",
    "j'ai envie de me foutre en l'air",
    "je pense à me tuer",
    "je veux disparaître",
    "j'ai envie d'en finir",
    "je veux me pendre",
    "je me scarifie",
    "je me fais du mal",
    "ça ne vaut pas la peine de vivre",
    "la vie n'a plus de sens",
    "je préférerais être morte",
    "je voudrais être mort",
    "je voudrais ne pas me réveiller",
    "personne ne me regretterait",
    "tout le monde serait mieux sans moi",
    "je suis un fardeau",
    "j'ai des idées suicidaires",
    "je vais me jeter sous un train",
    "je vais sauter d'un pont",
]


@pytest.mark.parametrize("text", SPANISH + FRENCH)
def test_the_common_ways_of_saying_it_in_spanish_and_french_are_heard(text: str) -> None:
    assert detect_crisis(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "me quiero morir de vergüenza, la entrevista fue fatal",
        "je veux mourir de rire",
        "Hoy me han rechazado otra vez",
        "Je n'ai pas eu le poste",
        "me voy a matar estudiando para la próxima",
        "me corto el pelo mañana antes de la entrevista",
        "me mata la espera",
        "ce boulot va me tuer",
        "je me suis fait du souci pour rien",
        "mañana me quiero levantar temprano",
    ],
)
def test_everyday_words_are_not_crisis(text: str) -> None:
    assert detect_crisis(text) is None

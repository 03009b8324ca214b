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


@pytest.mark.parametrize(
    "text",
    [
        "me quiero morir de vergüenza, la entrevista fue fatal",
        "je veux mourir de rire",
        "Hoy me han rechazado otra vez",
        "Je n'ai pas eu le poste",
    ],
)
def test_everyday_words_are_not_crisis(text: str) -> None:
    assert detect_crisis(text) is None

"""The languages onward speaks, and one gettext message catalogue per language.

Every sentence onward sends outside a plan is written in English in the code, marked with
`speaker(lang).gettext(...)`, and translated in `engine/locale/<lang>/LC_MESSAGES/onward.po`
(`make messages` re-extracts the English). The catalogues are read with Babel when first used,
so there is no compiled file to forget: an entry missing from a catalogue falls back to English.

A person's language is the one they chose with `LANG`, or else their country's, or English.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from onward.plans.translations import LANGUAGES

DEFAULT = "en"
SUPPORTED = LANGUAGES  # what plans may declare too (plans.translations)
NAMES = {"en": "English", "es": "español", "fr": "français"}
DOMAIN = "onward"
LOCALE_DIR = Path(__file__).parent / "locale"

# The words people use for a language after LANG, beside its code.
_ALIASES = {
    "en": ("english", "ingles", "inglés", "inglesa", "anglais", "anglaise", "eng"),
    "es": ("spanish", "espanol", "español", "española", "castellano", "espagnol", "spa"),
    "fr": (
        "french",
        "francais",
        "français",
        "française",
        "frances",
        "francés",
        "francesa",
        "fra",
        "fre",
    ),
}

# Countries where most people would rather read Spanish or French (ISO 3166 codes). Countries
# with several languages (Canada, Belgium, Switzerland) keep English until the person says
# LANG: a guess in the wrong language is worse than one they can change.
_COUNTRY_LANGUAGE = {
    **dict.fromkeys(
        [
            "ES",
            "MX",
            "AR",
            "CO",
            "PE",
            "VE",
            "CL",
            "EC",
            "GT",
            "CU",
            "BO",
            "DO",
            "HN",
            "PY",
            "SV",
            "NI",
            "CR",
            "PA",
            "UY",
            "PR",
            "GQ",
        ],
        "es",
    ),
    **dict.fromkeys(
        [
            "FR",
            "MC",
            "LU",
            "SN",
            "CI",
            "ML",
            "BF",
            "NE",
            "GN",
            "BJ",
            "TG",
            "CM",
            "GA",
            "CG",
            "CD",
            "MG",
            "RE",
            "GP",
            "MQ",
            "GF",
            "YT",
        ],
        "fr",
    ),
    **dict.fromkeys(["PF", "NC", "PM", "BL", "MF", "WF"], "fr"),
}


def for_country(country: str | None) -> str:
    """The language a person from `country` most likely reads; English when unsure."""
    return _COUNTRY_LANGUAGE.get((country or "").upper(), DEFAULT)


def of_person(chosen: str | None, country: str | None) -> str:
    """A person's language: what they chose with LANG, else their country's."""
    if chosen in SUPPORTED:
        return chosen
    return for_country(country)


def parse_code(text: str) -> str | None:
    """The supported language `text` names ("es", "ES", "Español", "french"), or None."""
    word = text.strip().lower().split("-")[0].split("_")[0]
    if word in SUPPORTED:
        return word
    for code, aliases in _ALIASES.items():
        if word in aliases:
            return code
    return None


def N_(message: str) -> str:
    """Mark `message` for the catalogue where it is written (a table, a pure parser); it is
    translated where it is sent, with `speaker(lang).gettext(message)`."""
    return message


@cache
def speaker(lang: str) -> gettext.NullTranslations:
    """The catalogue for `lang` (English, the source language, for anything unknown)."""
    if lang not in SUPPORTED or lang == DEFAULT:
        return gettext.NullTranslations()
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)

"""Rejections told in Spanish and French, the other languages onward speaks: "me rechazaron en
Globex", "Globex me rechazó", "no conseguí el puesto en Globex", "j'ai été refusé chez Globex",
"Globex m'a recalée pour le poste de comptable", "je n'ai pas été retenue chez Globex".

Read as reports.py reads English, on the text with its accents folded one letter for one (so
"rechazo" is "rechazó" and the company keeps its own accents, sliced from what was written): a
company after "en", "de", "por", "chez", "par", "à", or before "me rechazó" / "m'a refusé"; it
ends at punctuation or a word of time or of a new clause ("hoy", "otra vez", "pero",
"aujourd'hui", "encore", "mais"), where a role may start ("para", "como", "pour", "comme", "el
puesto de", "le poste de"). Only past forms are reports: "si me rechazan", "espero que no me
rechacen", "j'espère ne pas être refusé" are not; nor is a negation before the verb ("no me
rechazaron", "je n'ai pas été refusé"), nor the person declining ("rechacé la oferta").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from onward.engine.inbound.words import FOLD_ACCENTS, name

_I = re.IGNORECASE
_END_WORDS = (
    r"hoy|ayer|anoche|otra\s+vez|de\s+nuevo|y|pero|porque|aunque|cuando|para|como|por|"
    r"finalmente|al\s+final|esta\s+semana|esta\s+manana|jaja|lol|"
    r"aujourd'?hui|hier|ce\s+matin|cette\s+semaine|encore|et|mais|parce|car|quand|pour|comme|"
    r"finalement|enfin|mdr"
)
_NAME = (
    r"(?P<company>[^\s,;!?:()\[\]¡¿][^,;!?:()\[\]\n]{0,79}?)"
    rf"(?=\s*[,;!?:()\[\]\n]|\.(?:\s|$)|\s+[^\w\s]|\s+(?:{_END_WORDS})\b|\s+[-–—|]+\s|\s*$)"
)
_ROLE = re.compile(
    r"\A\s*(?:para|como|pour|comme|[-–—|]+)\s+(?:(?:el|la|un|una|le|l'|un|une)\s*)?"
    r"(?:(?:puesto|rol|cargo|trabajo|empleo|plaza|poste|job|role|emploi)\s+(?:de\s+|d'))?"
    r"(?P<role>[^,;!?:()\[\]\n]{1,79}?)"
    r"(?=\s*[,;!?:()\[\]\n]|\.(?:\s|$)|\s+(?:hoy|ayer|en|chez|aujourd'?hui|hier|y|pero|et|mais)\b"
    r"|\s*$)",
    _I,
)
_NOT_A_NAME = frozenset(
    {"yo", "me", "mi", "ellos", "ellas", "el", "ella", "creo", "pienso", "que", "la", "empresa",
     "entrevista", "je", "j'ai", "il", "elle", "ils", "on", "ma", "mon", "pense", "crois",
     "l'entreprise", "entreprise", "l'entretien", "entretien", "no", "ne", "nunca", "jamais"}
)  # fmt: skip
_NEGATED = re.compile(
    r"\b(?:no|nunca|jamas|si|ojala|espero\s+que|quizas|tal\s+vez|pas|peut-?etre|espere|j'?espere)"
    r"\s*\Z",
    _I,
)
_PREPOSITION = (
    r"(?:\s+(?:hoy|ayer|otra\s+vez|de\s+nuevo|aujourd'?hui|hier|encore))?"
    r"\s+(?:en|de|desde|por\s+parte\s+de|por|con|chez|par|aupres\s+de|a|d')\s*"
)
_VERB_ES = (
    r"me\s+(?:han\s+)?(?:rechazaron|rechazado|descartaron|descartado)"
    r"|(?:fui|he\s+sido|quede|sali)\s+(?:rechazad|descartad)[oa]"
    r"|no\s+me\s+(?:han\s+)?(?:seleccionaron|seleccionado|eligieron|elegido|escogieron|escogido"
    r"|cogieron|contrataron|contratado|quisieron|aceptaron|aceptado)"
    r"|me\s+dijeron\s+que\s+no|(?:otro|un|recibi\s+un|me\s+llego\s+un|me\s+dieron\s+un)\s+"
    r"(?:no|rechazo)"
)
_VERB_FR = (
    r"j'?ai\s+ete\s+(?:refuse|recale|rejete|ecarte)e?"
    r"|je\s+n'?ai\s+pas\s+ete\s+(?:retenu|selectionne|pris|choisi)e?"
    r"|(?:un|encore\s+un|un\s+autre|recu\s+un)\s+refus|(?:une\s+)?reponse\s+negative"
)
_VERB = re.compile(rf"\b(?:{_VERB_ES}|{_VERB_FR})\b", _I)
_DIDNT_GET = re.compile(
    r"\b(?:no\s+(?:consegui|obtuve|me\s+dieron|me\s+ofrecieron|me\s+quede\s+con|gane)\s+(?:el|la)"
    r"|je\s+n'?ai\s+pas\s+(?:eu|obtenu|decroche)\s+(?:le|la|l'))\s*"
    r"(?:puesto|trabajo|empleo|plaza|oferta|rol|cargo|poste|job|boulot|travail|place|offre)"
    r"(?:\s+(?:de|d')\s*(?P<role>[^,;!?:()\n]{1,60}?))?\s+(?:en|de|con|para|chez|a|aupres\s+de)\s+",
    _I,
)
_CANDIDATURE = re.compile(
    r"\b(?:ma|mon)\s+candidature\s+(?:chez|a|pour|aupres\s+de)\s+"
    r"(?P<company>[^\s,;!?:()\[\]][^,;!?:()\[\]\n]{0,79}?)\s+a\s+ete\s+"
    r"(?:refusee|rejetee|declinee|refuse|rejete)\b",
    _I,
)
_COMPANY_FIRST = re.compile(
    r"(?:\A|[,.;!?:]\s*|\b(?:y|pero|hoy|bueno|pues|et|mais|bon|bref|aujourd'?hui)\s+)"
    r"(?P<company>[^\s,.;!?:¡¿][^,;!?:\n]{0,59}?)\s+(?:(?:ya|tambien|finalmente|aussi|finalement"
    r"|enfin)\s+)*(?:me\s+(?:rechazo|ha\s+rechazado|han\s+rechazado|rechazaron|descarto"
    r"|descartaron|ha\s+descartado|dijo\s+que\s+no|dijeron\s+que\s+no|ha\s+dicho\s+que\s+no)"
    r"|m'?(?:a|ont)\s+(?:refuse|recale|rejete|econduit|ecarte)e?|m'?(?:a|ont)\s+dit\s+non)\b",
    _I,
)


# A stem of every verb or noun above: a text without one is no report in these languages
# (looked for as plain substrings: one regex of many alternatives costs more than the readings).
_STEMS = (
    "rechaz", "descart", "seleccion", "elegid", "eligieron", "escog", "cogieron", "contrat",
    "quisieron", "aceptaron", "dijeron", "dijo", "consegui", "obtuve", "dieron", "ofrecieron",
    "quede", "gane", "un no", "refus", "recal", "rejet", "ecart", "retenu", "pris", "choisi",
    "candidature", "negative", "obtenu", "decroche", "dit non", " eu ",
)  # fmt: skip


def rejection_report_es_fr(text: str) -> tuple[str, str] | None:
    """(company, role) when `text` tells of a rejection in Spanish or French, else None."""
    folded = text.translate(FOLD_ACCENTS)
    lowered = folded.lower()
    if not any(stem in lowered for stem in _STEMS):  # most messages: a quick look, no reading
        return None
    finders: tuple[Callable[[str, str], tuple[str, str] | None], ...] = (
        _by_verb,
        _didnt_get,
        _candidature,
        _company_first,
    )
    for finder in finders:
        found = finder(text, folded)
        if found is not None:
            return found
    return None


def _by_verb(text: str, folded: str) -> tuple[str, str] | None:
    for match in _VERB.finditer(folded):
        if _NEGATED.search(folded[: match.start()]):
            continue
        at = re.match(_PREPOSITION + _NAME, folded[match.end() :], _I)
        if at is None:
            return "", ""  # "me rechazaron otra vez": no company named
        start = match.end()
        return _company_and_role(
            text, folded, start + at.start("company"), start + at.end("company")
        )
    return None


def _didnt_get(text: str, folded: str) -> tuple[str, str] | None:
    match = _DIDNT_GET.search(folded)
    if match is None or _NEGATED.search(folded[: match.start()]):
        return None
    at = re.match(_NAME, folded[match.end() :], _I)
    if at is None:
        return None
    start = match.end()
    company, role = _company_and_role(text, folded, start + at.start(), start + at.end())
    if match["role"] and not role:
        role = name(text[match.start("role") : match.end("role")])
    return company, role


def _candidature(text: str, folded: str) -> tuple[str, str] | None:
    match = _CANDIDATURE.search(folded)
    if match is None:
        return None
    return _clean(text[match.start("company") : match.end("company")]), ""


def _company_first(text: str, folded: str) -> tuple[str, str] | None:
    match = _COMPANY_FIRST.search(folded)
    if match is None:
        return None
    company = _clean(text[match.start("company") : match.end("company")])
    if not company and _NEGATED.search(folded[: match.end("company")]):
        return None  # "Globex no me rechazó"
    return company, _role_at(text, folded, match.end())


def _company_and_role(text: str, folded: str, start: int, end: int) -> tuple[str, str]:
    return _clean(text[start:end]), _role_at(text, folded, end)


def _role_at(text: str, folded: str, at: int) -> str:
    found = _ROLE.match(folded[at:])
    if found is None:
        return ""
    return name(text[at + found.start("role") : at + found.end("role")])


def _clean(raw: str) -> str:
    company = name(raw.strip())
    words = {w.lower().translate(FOLD_ACCENTS) for w in company.split()}
    if len(words) > 5 or words & _NOT_A_NAME:
        return ""
    return company

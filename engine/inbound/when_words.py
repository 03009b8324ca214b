"""The words of time onward reads itself, in English, Spanish and French (dateparser reads the
rest): parts of the day, little words around a time, where a time starts after a company, and
a span as PAUSE takes one (`duration_of`).

Every phrase is a regular expression over lower-case text; longer phrases come first.
"""

from __future__ import annotations

import re
from datetime import time, timedelta

MORNING, NOON, AFTERNOON, EVENING = time(9), time(12), time(14), time(18)
_MANANA = "ma(?:ñ|n)ana"
_APRES = "apr[eè]s"

PARTS_OF_DAY: dict[str, tuple[tuple[str, time], ...]] = {
    "en": (
        ("in the morning", MORNING),
        ("this morning", MORNING),
        ("morning", MORNING),
        ("in the afternoon", AFTERNOON),
        ("this afternoon", AFTERNOON),
        ("afternoon", AFTERNOON),
        ("in the evening", EVENING),
        ("this evening", EVENING),
        ("evening", EVENING),
        ("tonight", EVENING),
        ("at noon", NOON),
        ("noon", NOON),
        ("midday", NOON),
        ("lunchtime", NOON),
    ),
    "es": (
        (f"(?:por|de|en) la {_MANANA}", MORNING),
        (f"esta {_MANANA}", MORNING),
        ("(?:por|de|en) la tarde", AFTERNOON),
        ("esta tarde", AFTERNOON),
        ("(?:por|de|en) la noche", EVENING),
        ("esta noche", EVENING),
        ("al? mediod[ií]a", NOON),
        ("mediod[ií]a", NOON),
    ),
    "fr": (
        ("(?:du|le|ce) matin", MORNING),
        ("matin", MORNING),
        (f"(?:cet|l'){_APRES}-midi", AFTERNOON),
        (f"{_APRES}-midi", AFTERNOON),
        ("aprem", AFTERNOON),
        ("(?:du|le|ce) soir", EVENING),
        ("soir", EVENING),
        ("à midi", NOON),
        ("midi", NOON),
    ),
}

# Spellings dateparser does not know, written as ones it does.
REWRITES: tuple[tuple[str, str], ...] = (
    ("’", "'"),
    (r"\b(?:tmrw|tmw|tmr|tomorow)\b", "tomorrow"),
    (rf"\bpasado {_MANANA}\b", "in 2 days"),
    (rf"\b{_APRES}-demain\b", "in 2 days"),
    (r"\bmanana\b", "mañana"),
)
# "Now" is no appointment.
NOT_A_TIME = frozenset({"now", "right now", "ahora", "ahora mismo", "ya", "maintenant"})
# Words that change nothing about the day ("this friday", "el próximo viernes", "ce vendredi"),
# left out before dateparser reads the rest (which they confuse). English "next" stays.
MODIFIERS = frozenset(
    {"this", "este", "esta", "ce", "cet", "cette"}
    | {"próximo", "proximo", "próxima", "proxima", "prochain", "prochaine"}
)
# Little words a time may start with: "on Friday", "el viernes", "à 10:00", "a las 15:00".
LEADING_FILLER = frozenset(
    {"on", "at", "the", "by", "around", "el", "la", "las", "a", "le", "à", "vers", "sobre"}
)
DAY_WORDS = (
    "mon(?:day)?",
    "tue(?:s|sday)?",
    "wed(?:nesday)?",
    "thu(?:r|rs|rsday)?",
    "fri(?:day)?",
    "sat(?:urday)?",
    "sun(?:day)?",
    "lun(?:es|di)?",
    "mar(?:tes|di)",
    "mi[eé](?:rcoles)?",
    "mer(?:credi)?",
    "jue(?:ves)?",
    "jeu(?:di)?",
    "vie(?:rnes)?",
    "ven(?:dredi)?",
    "s[aá]b(?:ado)?",
    "sam(?:edi)?",
    "dom(?:ingo)?",
    "dim(?:anche)?",
)
NEXT_WORDS = ("next", "pr[oó]xim[oa]", "prochaine?", "que viene")

# Where the time starts in "INTERVIEW Acme tomorrow 3pm": the company is what comes before.
_EN_DAYS = r"mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_EN_MONTHS = r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_ES = (
    r"hoy|ayer|ma(?:ñ|n)ana|pasado|lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo|tarde"
    r"|noche|mediod[ií]a|enero|febrero|marzo|abril|mayo|junio|julio|agosto|se(?:p)?tiembre"
    r"|octubre|noviembre|diciembre|pr[oó]xim[oa]"
)
_FR = (
    r"aujourd'hui|hier|demain|apr[eè]s-demain|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    r"|matin|soir|midi|janvier|f[eé]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre"
    r"|octobre|novembre|d[eé]cembre"
)
WHEN_START = re.compile(
    r"(?<!\w)(?:(?:today|tonight|tomorrow|tmrw|yesterday|next|this|morning|afternoon|evening"
    rf"|{_EN_DAYS}|{_EN_MONTHS}|{_ES}|{_FR})(?!\w)|(?:on|at)(?=\s)"
    r"|\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)(?!\w)|\d{1,2}[:.]\d{2}|\d{1,2}h(?:\d{2})?(?!\w)"
    r"|a\s+las?\s+\d|\d{1,2}\s+de\s|\d{1,2}(?:st|nd|rd|th)?(?=\s+[^\W\d_]{3})|\d{1,2}/\d{1,2})",
    re.IGNORECASE,
)
# The little words just before a time that belong to it: "Acme el viernes", "Acme a las 10".
TRAILING_LEAD = re.compile(
    r"\s(a\s+las?|à|el|le|la|ce|cet|este|esta|por\s+la|en\s+la|the)\s*$", re.IGNORECASE
)


def split_when(rest: str) -> tuple[str, str]:
    """ "Acme tomorrow 3pm" -> ("Acme", "tomorrow 3pm"): the company ends where a time starts."""
    start = WHEN_START.search(rest)
    if start is None:
        return rest.strip(), ""
    company, when = rest[: start.start()].rstrip(), rest[start.start() :]
    # "Acme el viernes", "Acme a las 10": the little words before a time belong to the time.
    while True:
        lead = TRAILING_LEAD.search(company)
        if lead is None or not company[: lead.start()].strip():
            break
        company, when = company[: lead.start()].rstrip(), f"{lead.group(1)} {when}"
    return company, " ".join(when.split())


_DURATION_TOKEN = re.compile(r"\d+|[^\W\d_]+")
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    # Spanish and French, for PAUSE's spans ("PAUSA dos semanas", "pause trois jours").
    "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10,
}  # fmt: skip
_ONE = frozenset({"a", "an", "un", "una", "une"})
_LEADING = frozenset({"for", "por", "durante", "pendant", "de", "d"})
_AND = frozenset({"and", "y", "et"})
_HOUR, _DAY = timedelta(hours=1), timedelta(days=1)
_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "minuto", "minutos"),
                    timedelta(minutes=1)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "hora", "horas", "heure", "heures"),
                    _HOUR),
    **dict.fromkeys(("d", "day", "days", "dia", "día", "dias", "días", "jour", "jours"), _DAY),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks", "semana", "semanas", "semaine",
                     "semaines"), timedelta(weeks=1)),
    **dict.fromkeys(("month", "months", "mes", "meses", "mois"), 30 * _DAY),
}  # fmt: skip


def duration_of(arg: str) -> timedelta | None:
    """A span as people write one: "3d", "1w 2d", "two weeks", "a week", "for 5 days", "dos
    semanas", "por una semana", "pendant 10 jours"; a bare number is days."""
    tokens = [t for t in _DURATION_TOKEN.findall(arg.lower()) if t not in ("please", "pls")]
    if tokens[:1] and tokens[0] in _LEADING:
        tokens = tokens[1:]
    if len(tokens) == 1 and tokens[0].isdigit() and len(tokens[0]) <= 6:
        return int(tokens[0]) * _DAY
    total, i = timedelta(0), 0
    while i < len(tokens):
        if tokens[i] in _AND:
            i += 1
            continue
        token = tokens[i]
        if token.isdigit() and len(token) <= 6:
            amount: int | None = int(token)
        else:
            amount = 1 if token in _ONE else NUMBER_WORDS.get(token)
        unit = _UNITS.get(tokens[i + 1]) if i + 1 < len(tokens) else None
        if amount is None or unit is None:
            return None
        total += amount * unit
        i += 2
    return total if tokens else None

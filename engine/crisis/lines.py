"""Who to reach now: a free, 24/7 crisis line for the person's country, and the reply that gives it.

Every region a phone number can belong to (`phones.region_for_phone`) gets an answer: its own
national line when onward knows one it can vouch for, the line of the country whose network
and services it shares (Guernsey, Jersey and the Isle of Man: Samaritans; Puerto Rico, the US
Virgin Islands and Guam: 988; the French overseas departments: 3114), and otherwise
findahelpline.com, which lists the lines of every country. A wrong number in a crisis is worse
than a directory, so the table holds only lines their operators publish as national and free.
Operators add or replace lines with ONWARD_CRISIS_LINES (`parse_crisis_lines_setting`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from onward.engine.language import N_, speaker


@dataclass(frozen=True)
class CrisisLine:
    name: str  # who answers, e.g. "Samaritans"
    contact: str  # how to reach them, e.g. "call 116 123"


_SAMARITANS = CrisisLine("Samaritans", N_("call 116 123"))
_988_US = CrisisLine("988 Suicide & Crisis Lifeline", N_("call or text 988"))
_3114_FR = CrisisLine(N_("the national suicide prevention line"), N_("call 3114"))
_143_CH = CrisisLine("Die Dargebotene Hand / La Main Tendue", N_("call 143"))

# Free, national, 24/7 services as their operators publish them.
DEFAULT_CRISIS_LINES: dict[str, CrisisLine] = {
    "US": _988_US,
    "CA": CrisisLine("9-8-8 Suicide Crisis Helpline", N_("call or text 988")),
    "GB": _SAMARITANS,
    "IE": _SAMARITANS,
    "AU": CrisisLine("Lifeline", N_("call 13 11 14")),
    "NZ": CrisisLine("Need to Talk", N_("call or text 1737")),
    "FR": _3114_FR,
    "DE": CrisisLine("TelefonSeelsorge", N_("call 0800 111 0 111")),
    "AT": CrisisLine("TelefonSeelsorge", N_("call 142")),
    "CH": _143_CH,
    "NL": CrisisLine("113 Zelfmoordpreventie", N_("call 113 or 0800 0113")),
    "BE": CrisisLine(
        "Zelfmoordlijn 1813 / Centre de Prevention du Suicide", N_("call 1813 or 0800 32 123")
    ),
    "ES": CrisisLine(N_("the 024 suicide prevention line"), N_("call 024")),
    "IT": CrisisLine("Telefono Amico", N_("call 02 2327 2327")),
    "SE": CrisisLine("Mind Sjalvmordslinjen", N_("call 90101")),
    "NO": CrisisLine("Mental Helse", N_("call 116 123")),
    "DK": CrisisLine("Livslinien", N_("call 70 201 201")),
    "FI": CrisisLine("MIELI Crisis Helpline", N_("call 09 2525 0111")),
    "IN": CrisisLine("Tele-MANAS", N_("call 14416")),
    "BR": CrisisLine("CVV", N_("call 188")),
    "ZA": CrisisLine("SADAG", N_("call 0800 567 567")),
    "SG": CrisisLine("Samaritans of Singapore", N_("call 1767")),
}  # fmt: skip

# Regions that share a country's numbering and its crisis services: they get its line (and an
# operator's override of it).
SHARES_LINE_WITH: dict[str, str] = {
    "GG": "GB", "JE": "GB", "IM": "GB",
    "PR": "US", "VI": "US", "GU": "US",
    "GP": "FR", "MQ": "FR", "GF": "FR", "RE": "FR", "YT": "FR",
    "SJ": "NO", "AX": "FI", "VA": "IT", "LI": "CH",
}  # fmt: skip

FALLBACK_CRISIS_LINE = CrisisLine(
    "Find A Helpline", N_("see findahelpline.com for a free line near you")
)
FALLBACK_KEY = "*"  # an override under this key replaces the fallback
_MAX_FIELD = 80


def crisis_line_for(
    country: str | None, overrides: Mapping[str, CrisisLine] | None = None
) -> CrisisLine:
    """The line for an ISO 3166 alpha-2 region: the operator's, then onward's, for the region
    and then for the country it shares services with; else the fallback."""
    key = (country or "").strip().upper()
    mine = overrides or {}
    for candidate in (key, SHARES_LINE_WITH.get(key)):
        if candidate and candidate in mine:
            return mine[candidate]
        if candidate and candidate in DEFAULT_CRISIS_LINES:
            return DEFAULT_CRISIS_LINES[candidate]
    return mine.get(FALLBACK_KEY) or FALLBACK_CRISIS_LINE


def crisis_line_words(lang: str, line: CrisisLine) -> tuple[str, str]:
    """A line's name and contact in `lang`: onward's own lines are in the catalogues; an
    operator's (ONWARD_CRISIS_LINES) read as the operator wrote them."""
    _ = speaker(lang).gettext
    # gettext("") is the catalogue's header, never a word to send.
    return (_(line.name) if line.name else ""), (_(line.contact) if line.contact else "")


def crisis_reply(lang: str, line: CrisisLine) -> str:
    """The immediate answer: they matter, messages are paused, who to reach now, how to resume.

    Two SMS at most in GSM-7 for every default line, in every language. It promises no
    call-back: whether someone checks in depends on the deployment (ONWARD_ESCALATION_*).
    """
    name, contact = crisis_line_words(lang, line)
    return (
        speaker(lang)
        .gettext(
            "I'm so sorry you're hurting. You matter. I've paused onward's messages. "
            "Please reach out now: {name}, {contact}. "
            "If you're in danger, call your local emergency number. "
            "Reply RESUME whenever you're ready."
        )
        .format(name=name, contact=contact)
    )


def parse_crisis_lines_setting(value: str) -> dict[str, CrisisLine]:
    """Read "US=988 Suicide & Crisis Lifeline|call or text 988;GB=Samaritans|call 116 123".

    Entries are separated by ";", each `CC=name|contact` with CC a two-letter country code or
    "*" for the fallback. Raises ValueError naming the first bad entry.
    """
    lines: dict[str, CrisisLine] = {}
    for position, raw in enumerate(value.split(";"), start=1):
        entry = raw.strip()
        if not entry:
            continue
        country, equals, rest = entry.partition("=")
        name, bar, contact = rest.partition("|")
        country, name, contact = country.strip().upper(), name.strip(), contact.strip()
        problem = None
        if not equals or not bar:
            problem = "expected CC=name|contact"
        elif not (country == FALLBACK_KEY or re.fullmatch(r"[A-Z]{2}", country)):
            problem = f"{country!r} is not a two-letter country code or '*'"
        elif not name or not contact:
            problem = "both the name and the contact are needed"
        elif len(name) > _MAX_FIELD or len(contact) > _MAX_FIELD:
            problem = f"name and contact are limited to {_MAX_FIELD} characters each"
        elif country in lines:
            problem = f"{country} is listed twice"
        if problem:
            raise ValueError(f"crisis lines entry {position} ({entry!r}): {problem}")
        lines[country] = CrisisLine(name, contact)
    return lines

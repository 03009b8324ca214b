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


@dataclass(frozen=True)
class CrisisLine:
    name: str  # who answers, e.g. "Samaritans"
    contact: str  # how to reach them, e.g. "call 116 123"


_SAMARITANS = CrisisLine("Samaritans", "call 116 123")
_988_US = CrisisLine("988 Suicide & Crisis Lifeline", "call or text 988")
_3114_FR = CrisisLine("the national suicide prevention line", "call 3114")
_143_CH = CrisisLine("Die Dargebotene Hand / La Main Tendue", "call 143")

# Free, national, 24/7 services as their operators publish them.
DEFAULT_CRISIS_LINES: dict[str, CrisisLine] = {
    "US": _988_US,
    "CA": CrisisLine("9-8-8 Suicide Crisis Helpline", "call or text 988"),
    "GB": _SAMARITANS,
    "IE": _SAMARITANS,
    "AU": CrisisLine("Lifeline", "call 13 11 14"),
    "NZ": CrisisLine("Need to Talk", "call or text 1737"),
    "FR": _3114_FR,
    "DE": CrisisLine("TelefonSeelsorge", "call 0800 111 0 111"),
    "AT": CrisisLine("TelefonSeelsorge", "call 142"),
    "CH": _143_CH,
    "NL": CrisisLine("113 Zelfmoordpreventie", "call 113 or 0800 0113"),
    "BE": CrisisLine(
        "Zelfmoordlijn 1813 / Centre de Prevention du Suicide", "call 1813 or 0800 32 123"
    ),
    "ES": CrisisLine("the 024 suicide prevention line", "call 024"),
    "IT": CrisisLine("Telefono Amico", "call 02 2327 2327"),
    "SE": CrisisLine("Mind Sjalvmordslinjen", "call 90101"),
    "NO": CrisisLine("Mental Helse", "call 116 123"),
    "DK": CrisisLine("Livslinien", "call 70 201 201"),
    "FI": CrisisLine("MIELI Crisis Helpline", "call 09 2525 0111"),
    "IN": CrisisLine("Tele-MANAS", "call 14416"),
    "BR": CrisisLine("CVV", "call 188"),
    "ZA": CrisisLine("SADAG", "call 0800 567 567"),
    "SG": CrisisLine("Samaritans of Singapore", "call 1767"),
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
    "Find A Helpline", "see findahelpline.com for a free line near you"
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


def crisis_reply(line: CrisisLine) -> str:
    """The immediate answer: they matter, messages are paused, who to reach now, how to resume.

    Under 320 characters and plain ASCII for every default line. It promises no call-back:
    whether someone checks in depends on the deployment (ONWARD_ESCALATION_*).
    """
    return (
        "I'm so sorry you're hurting. You matter. I've paused onward's messages. "
        f"Please reach out now: {line.name}, {line.contact}. "
        "If you're in danger, call your local emergency number. "
        "Reply RESUME whenever you're ready."
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

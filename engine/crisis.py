"""Duty of care: spot a reply that signals crisis or self-harm and word the answer to it.

This is the pure half; the router pauses the plan, sends `crisis_reply(...)` and alerts the
operator. Phrases are matched as whole words on normalised text (lower-case, apostrophes
removed, every other non-alphanumeric character a space, whitespace collapsed), so "can't go on",
"Cant go on!!" and "CAN'T   GO ON" all match while "endit" does not contain "end it".
A false positive costs one kind message and a pause the person can undo with RESUME; a miss can
cost far more. So "suicide squad tickets", "I'm not suicidal" and "I hurt myself at football" do
match, on purpose. The list is configurable: pass `phrases` to `detect_crisis`, or set
ONWARD_CRISIS_PHRASES (read with `parse_crisis_phrases_setting`) to add to the defaults.
Crisis lines per country can be overridden with ONWARD_CRISIS_LINES (`parse_crisis_lines_setting`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DEFAULT_CRISIS_PHRASES: tuple[str, ...] = (
    "suicide",
    "suicidal",
    "kill myself",
    "killing myself",
    "end my life",
    "ending my life",
    "take my own life",
    "taking my own life",
    "end it all",
    "ending it all",
    "want to die",
    "wanna die",
    "wish i was dead",
    "wish i were dead",
    "better off dead",
    "better off without me",
    "hurt myself",
    "hurting myself",
    "harm myself",
    "self harm",
    "self harming",
    "cut myself",
    "cutting myself",
    "unalive myself",
    "no reason to live",
    "nothing to live for",
    "dont want to live",
    "dont want to be alive",
    "cant go on",
    "cannot go on",
)

_APOSTROPHES = re.compile("['’‘`´]")
_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class CrisisLine:
    name: str  # who answers, e.g. "Samaritans"
    contact: str  # how to reach them, e.g. "call 116 123"


# Free, national, 24/7 services as their operators publish them.
DEFAULT_CRISIS_LINES: dict[str, CrisisLine] = {
    "US": CrisisLine("988 Suicide & Crisis Lifeline", "call or text 988"),
    "CA": CrisisLine("9-8-8 Suicide Crisis Helpline", "call or text 988"),
    "GB": CrisisLine("Samaritans", "call 116 123"),
    "IE": CrisisLine("Samaritans", "call 116 123"),
    "AU": CrisisLine("Lifeline", "call 13 11 14"),
    "NZ": CrisisLine("Need to Talk", "call or text 1737"),
    "FR": CrisisLine("the national suicide prevention line", "call 3114"),
    "DE": CrisisLine("TelefonSeelsorge", "call 0800 111 0 111"),
    "IN": CrisisLine("Tele-MANAS", "call 14416"),
}
FALLBACK_CRISIS_LINE = CrisisLine(
    "Find A Helpline", "see findahelpline.com for a free line near you"
)
FALLBACK_KEY = "*"  # an override under this key replaces the fallback
_MAX_FIELD = 80


def normalise(text: str) -> str:
    """Lower-case words only: NFKC, apostrophes dropped, other punctuation and emoji as spaces."""
    folded = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(_NON_WORD.sub(" ", folded).split())


def detect_crisis(text: str, phrases: Sequence[str] = DEFAULT_CRISIS_PHRASES) -> str | None:
    """The first phrase (as given) found in `text` as whole words, or None."""
    padded = f" {normalise(text)} "
    for phrase in phrases:
        needle = normalise(phrase)
        if needle and f" {needle} " in padded:
            return phrase
    return None


def crisis_line_for(
    country: str | None, overrides: Mapping[str, CrisisLine] | None = None
) -> CrisisLine:
    """The line for an ISO 3166 alpha-2 country: overrides first, then defaults, then fallback."""
    lines = {**DEFAULT_CRISIS_LINES, **(overrides or {})}
    key = (country or "").strip().upper()
    return lines.get(key) or lines.get(FALLBACK_KEY) or FALLBACK_CRISIS_LINE


def crisis_reply(line: CrisisLine) -> str:
    """The immediate answer: they matter, messages are paused, who to reach now, how to resume.

    Under 300 characters and plain ASCII for every default line. It promises no human call-back,
    since whether an operator checks in depends on the deployment.
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


def parse_crisis_phrases_setting(value: str) -> tuple[str, ...]:
    """The defaults plus the comma- or semicolon-separated phrases in `value`.

    Operators can add phrases in their users' words or language but never drop a default.
    """
    extra = [phrase.strip() for phrase in re.split(r"[;,]", value) if normalise(phrase)]
    known = {normalise(phrase) for phrase in DEFAULT_CRISIS_PHRASES}
    added = []
    for phrase in extra:
        if normalise(phrase) not in known:
            known.add(normalise(phrase))
            added.append(phrase)
    return (*DEFAULT_CRISIS_PHRASES, *added)

"""Which of a person's own journal words come back before an interview, and how they are cut.

Only answers to the prompts that look back and ahead are quoted: what went well or badly
(reflect), the feedback they received (feedback_ask), what the successful candidate brought
(research). A note written to nobody, an apply plan or words of crisis are never quoted back.
One answer of each kind first (in that order, each the latest), then the latest others.
Cutting keeps whole sentences; only a first sentence too long on its own is cut at a word.
Pure: values in, values out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from onward.engine.crisis import detect_crisis

QUOTED_KINDS = ("reflect", "feedback_ask", "research")
MIN_EXCERPT = 12  # shorter than this, a cut excerpt says nothing: left out instead
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*\n+\s*")
_ELLIPSIS = "..."


@dataclass(frozen=True)
class Written:
    """One journal entry as the prep nudge sees it: the kind of step it answered, its time and
    words (read at send time, never stored elsewhere)."""

    kind: str | None
    at: datetime
    text: str


def choose(entries: Iterable[Written], limit: int = 2) -> list[Written]:
    """Up to `limit` entries worth quoting, in the order they should appear."""
    fit = [
        entry
        for entry in entries
        if entry.kind in QUOTED_KINDS and entry.text.strip() and detect_crisis(entry.text) is None
    ]
    newest_first = sorted(fit, key=lambda entry: entry.at, reverse=True)
    chosen: list[Written] = []
    for kind in QUOTED_KINDS:
        latest = next((entry for entry in newest_first if entry.kind == kind), None)
        if latest is not None:
            chosen.append(latest)
    chosen = chosen[:limit]
    for entry in newest_first:
        if len(chosen) >= limit:
            break
        if entry not in chosen:
            chosen.append(entry)
    return chosen


def sentences(text: str) -> list[str]:
    """The sentences of `text` (a line break ends one too), each on one line."""
    return [" ".join(part.split()) for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def cut(text: str, limit: int) -> str | None:
    """The longest run of whole first sentences of `text` within `limit` characters; a first
    sentence longer than that alone is cut at a word, with "..."; None when too little fits."""
    parts = sentences(text)
    kept: list[str] = []
    for part in parts:
        candidate = " ".join([*kept, part])
        if len(candidate) > limit:
            break
        kept.append(part)
    if kept:
        return " ".join(kept)
    first = parts[0] if parts else ""
    room = limit - len(_ELLIPSIS)
    # One character more than fits: a word that ends exactly at the limit is kept whole.
    within = first[: room + 1] if room > 0 else ""
    head = (within.rsplit(" ", 1)[0] if " " in within else within[:room]).rstrip(" ,;:-")
    return f"{head}{_ELLIPSIS}" if len(head) >= MIN_EXCERPT else None

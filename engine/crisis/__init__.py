"""Duty of care: spot a message that signals crisis or self-harm, in the words people text.

This is the pure half; the router pauses the plan, sends `crisis_reply(...)` and tells the
on-call person (coaches/escalation.py). The phrases onward listens for, and why the list leans
wide, are in engine/crisis/phrases.py; the lines per country and the reply in
engine/crisis/lines.py (re-exported here: this module is the door to both).

Matching works on words after the same clean-up of the text and of each phrase (`words`):
NFKC, case, accents and apostrophes dropped, punctuation and emoji as spaces, then a few
contractions and slang folded ("do not" -> "dont", "cannot" -> "cant", "wanna" -> "want to").
A phrase is found when its words appear in order, where
  * a word of five letters or more may carry one typo (one letter changed, added, dropped, or
    two swapped) as long as its first letter is right ("suicdal"; but "sending" is not
    "ending"), a four-letter word two swapped letters ("wnat"), shorter words none ("diet" is
    not "die");
  * up to two words of emphasis may sit between the phrase's words ("want to just die");
  * the phrase may be run together or spread out, as long as it starts and ends on word
    boundaries ("killmyself", "kill my self", "s u i c i d e"; "endit" is not "end it all").
A match inside one of the `FIGURES_OF_SPEECH` at the same place does not count. The reading
is crisis/words.py, the matching crisis/matching.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from onward.engine.crisis.lines import (
    DEFAULT_CRISIS_LINES as DEFAULT_CRISIS_LINES,
)
from onward.engine.crisis.lines import (
    FALLBACK_CRISIS_LINE as FALLBACK_CRISIS_LINE,
)
from onward.engine.crisis.lines import (
    FALLBACK_KEY as FALLBACK_KEY,
)
from onward.engine.crisis.lines import (
    SHARES_LINE_WITH as SHARES_LINE_WITH,
)
from onward.engine.crisis.lines import CrisisLine as CrisisLine
from onward.engine.crisis.lines import crisis_line_for as crisis_line_for
from onward.engine.crisis.lines import crisis_line_words as crisis_line_words
from onward.engine.crisis.lines import crisis_reply as crisis_reply
from onward.engine.crisis.lines import (
    parse_crisis_lines_setting as parse_crisis_lines_setting,
)
from onward.engine.crisis.matching import Said as Said
from onward.engine.crisis.matching import compiled, could_be
from onward.engine.crisis.matching import says as says
from onward.engine.crisis.phrases import DEFAULT_CRISIS_PHRASES as DEFAULT_CRISIS_PHRASES
from onward.engine.crisis.words import Words as Words
from onward.engine.crisis.words import normalise as normalise
from onward.engine.crisis.words import words as words


def detect_crisis(text: str, phrases: Sequence[str] = DEFAULT_CRISIS_PHRASES) -> str | None:
    """The first of `phrases` (as given) that `text` says, or None."""
    said = Said(text)
    if not said.words:
        return None
    table = compiled(tuple(phrases))
    # Cheap first: a phrase can only be said in order if each of its words may be written by
    # some word of the text, or run together from a word that begins it (see `could_be`).
    meant: set[str] = set()
    begun: set[int] = set()
    for word in set(said.words):
        may_mean, may_begin = could_be(table, word)
        meant |= may_mean
        begun |= may_begin
    maybe = set(begun)
    for word in meant:
        maybe.update(table.by_longest.get(word, ()))
    for index in sorted(maybe):
        phrase, wanted = table.items[index]
        if (index in begun or meant.issuperset(wanted)) and says(said, wanted):
            return phrase
    return None


def parse_crisis_phrases_setting(value: str) -> tuple[str, ...]:
    """The defaults plus the comma- or semicolon-separated phrases in `value`.

    Operators can add phrases in their users' words or language but never drop a default.
    """
    extra = [phrase.strip() for phrase in re.split(r"[;,]", value) if normalise(phrase)]
    known = {words(phrase) for phrase in DEFAULT_CRISIS_PHRASES}
    added = []
    for phrase in extra:
        if words(phrase) not in known:
            known.add(words(phrase))
            added.append(phrase)
    return (*DEFAULT_CRISIS_PHRASES, *added)

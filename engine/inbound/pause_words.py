"""A pause asked for in a sentence, read as PAUSE: "can we pause for a week", "could you pause
the messages for 2 weeks?", "I'm going on holiday, please pause for 10 days", "let's pause", "I
need a break from these messages".

Asked of onward, not told: "I paused my search", "there was a long pause", "I need a break from
job hunting" and a negation before ("don't pause") stay as written. The duration is read as
PAUSE reads one (commands.read_pause), from the words after the ask up to the clause's end;
none is PAUSE's default, and one it cannot use is answered as PAUSE's would be.
"""

from __future__ import annotations

import re

from onward.engine.inbound.commands import DEFAULT_PAUSE, read_pause
from onward.engine.inbound.intents import Invalid, Pause

_THESE = (
    r"(?: (?:the|these|my|your|all the|all these|all) (?:messages|texts|reminders|nudges|plan))?"
)
_ASK = re.compile(
    r"\b(?:(?:can|could|would|will) (?:we|you|u)(?: please)?|please|lets|let us"
    rf"|(?:i (?:want|need|would like)|id like) to) pause{_THESE}\b"
    rf"|[,.;!?:]\s*(?:please )?pause{_THESE}\b"  # "I'm going on holiday, pause for 2 weeks"
    r"|\b(?:i (?:need|want|would like|could use)|id like) a break from (?:the|these|your|all the"
    r"|all these|my) (?:messages|texts|reminders|nudges)\b"
)
_NEGATED = re.compile(r"\b(?:dont|do not|no need to|never|not)(?: \w+){0,2} \Z")
_CLAUSE_END = re.compile(
    r"[.!?;,\n]|\s(?:and|but|so|because|while|as|since|until|till|when|im|i am)\s"
)


def pause_asked(norm: str) -> Pause | Invalid | None:
    """PAUSE (or its Invalid) when `norm` (words.normalise) asks for a pause, else None."""
    lowered = norm.casefold()
    if "pause" not in lowered and "break from" not in lowered:  # most messages
        return None
    text = lowered.replace("'", "").replace("’", "")
    for match in _ASK.finditer(text):
        if _NEGATED.search(text[: match.start()]):
            continue
        rest = _CLAUSE_END.split(text[match.end() :], maxsplit=1)[0].strip()
        intent = read_pause(rest, rest)
        # Too many words to be a duration: the ask itself, with PAUSE's default.
        return intent if isinstance(intent, Pause | Invalid) else Pause(DEFAULT_PAUSE)
    return None

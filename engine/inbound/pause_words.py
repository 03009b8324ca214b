"""A pause asked for in a sentence, read as PAUSE: "can we pause for a week", "could you pause
the messages for 2 weeks?", "I'm going on holiday, please pause for 10 days", "let's pause", "I
need a break from these messages"; "¿podemos hacer una pausa de dos semanas?", "necesito un
descanso de estos mensajes", "je voudrais faire une pause", "mettre en pause pendant 10 jours".

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
# Spanish and French: "¿podemos hacer una pausa?", "pausa por una semana", "necesito un
# descanso de estos mensajes", "je voudrais faire une pause", "mettre en pause pendant 10 jours".
_ASK_ES_FR = re.compile(
    r"\b(?:(?:podemos|puedes|puede|pueden|puedo|quiero|quisiera|necesito|me gustar[ií]a)"
    r" (?:hacer|tomar|poner) una pausa|pausa(?:r)?(?: los| estos| mis)? mensajes|\Apausa"
    r"|necesito un descanso de (?:los|estos|tus|sus) (?:mensajes|textos|recordatorios)"
    r"|(?:je voudrais|je veux|jaimerais|pouvez.vous|peux.tu|on peut|pourriez.vous)"
    r" (?:faire une pause|mettre (?:en|sur) pause|(?:mettre )?en pause)"
    r"|mettre (?:en|sur) pause|besoin dune pause (?:dans|de|avec) (?:ces|les|vos|tes)"
    r" (?:messages|sms|rappels))\b"
)
_NEGATED = re.compile(
    r"\b(?:dont|do not|no need to|never|not|no|nunca|ne|pas|jamais)(?: \w+){0,2} \Z"
)
_CLAUSE_END = re.compile(
    r"[.!?;,\n]|\s(?:and|but|so|because|while|as|since|until|till|when|im|i am|y|pero|porque"
    r"|et|mais|car|parce)\s"
)


def pause_asked(norm: str) -> Pause | Invalid | None:
    """PAUSE (or its Invalid) when `norm` (words.normalise) asks for a pause, else None."""
    lowered = norm.casefold()
    if not any(stem in lowered for stem in ("pause", "pausa", "break from", "descanso")):
        return None  # most messages
    text = lowered.replace("'", "").replace("’", "").replace("¿", " ").strip()
    matches = [*_ASK.finditer(text), *_ASK_ES_FR.finditer(text)]
    for match in sorted(matches, key=lambda m: m.start()):
        if _NEGATED.search(text[: match.start()]):
            continue
        rest = _CLAUSE_END.split(text[match.end() :], maxsplit=1)[0].strip()
        intent = read_pause(rest, rest)
        # Too many words to be a duration: the ask itself, with PAUSE's default.
        return intent if isinstance(intent, Pause | Invalid) else Pause(DEFAULT_PAUSE)
    return None

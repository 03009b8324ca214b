"""Opt-out by any reasonable means (FCC 24-18, in force since April 2025): what reads as "stop".

Two readings, both on the normalised words (upper-case, apostrophes dropped: "don't" is DONT):

- An opt-out keyword (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT or "OPT OUT",
  REVOKE) with nothing around it but words of politeness or emphasis: "stop please", "please
  STOP!!", "stop it now", "STOP STOP", "just stop", "can you stop", "unsubscribe me".
- A revocation phrase anywhere in the message: "opt (me) out", "unsubscribe", "stop texting /
  messaging / sending / contacting", "stop (the|these) texts", "don't text / message / email me",
  "no more texts / messages", "remove me", "take me off", "leave me alone", "revoke / withdraw
  my consent", "cancel my subscription". A negation just before it ("I don't want to
  unsubscribe", "don't stop texting me") undoes it.

"I won't stop trying", "don't stop now" and "Stop rambling next time" are not opt-outs. The last
starts with a stop word, though: `starts_with_stop_word` lets the reply say how to stop, in case
that was meant (never silently unsubscribed, never silently ignored).
"""

from __future__ import annotations

import re

from onward.engine.inbound.words import keys
from onward.plans.keywords import OPT_OUT_KEYWORDS

# Politeness and emphasis: nothing here changes what a bare STOP means.
_AROUND_A_KEYWORD = frozenset(
    {
        "PLEASE", "PLS", "PLZ", "PLEASEE", "NOW", "RIGHT", "IT", "ALL", "THIS", "THAT", "THESE",
        "EVERYTHING", "THANKS", "THANK", "YOU", "THX", "TY", "ASAP", "IMMEDIATELY", "ALREADY",
        "ME", "OK", "OKAY", "SERIOUSLY", "JUST", "FOR", "GOOD", "FOREVER", "AGAIN", "REALLY",
        "SORRY", "KINDLY", "YES", "HEY", "HI", "OH", "SO", "CAN", "COULD", "WOULD", "WILL", "U",
        "YA", "OUT", "OPT", "NO", "MORE", "ANYMORE", "SIR", "MAAM", "GOD", "DAMN",
        "DAMMIT", "FFS", "LOL", "FINE", "THEN", "WELL", "ALRIGHT", "HERE", "MESSAGES", "TEXTS",
    }
)  # fmt: skip
_MESSAGES = (
    r"(?:TEXTS?|TXTS?|MESSAGES?|MSGS?|SMS|EMAILS?|REMINDERS?|NUDGES?|NOTIFICATIONS?|ALERTS?)"
)
_CONTACT = r"(?:TEXT|TXT|MESSAGE|MSG|EMAIL|CONTACT|SMS|CALL|SPAM|BOTHER|PING)"
_CONTACTING = (
    r"(?:TEXTING|TXTING|MESSAGING|MSGING|EMAILING|CONTACTING|CALLING|SPAMMING|BOTHERING|"
    r"PINGING|SENDING|TEXTIN|MESSAGIN)"
)
_REVOCATION = re.compile(
    r"\b(?:"
    r"OPT (?:ME )?OUT|OPTOUT|OPTING OUT|UNSUBSCRIBE|UNSUB|UNSUBSCRIBING"
    rf"|(?:STOP|QUIT|CEASE) {_CONTACTING}"
    rf"|(?:STOP|QUIT|END|CANCEL|HALT) (?:ALL |SENDING |RECEIVING |GETTING )?"
    rf"(?:(?:THE|THESE|THOSE|THIS|YOUR|UR|MY|ALL THE|ALL THESE|ANY) )?{_MESSAGES}"
    rf"|(?:DONT|DO NOT|NEVER|PLEASE DONT|PLS DONT) (?:EVER )?{_CONTACT} ME"
    rf"|(?:NO|NOT ANY) MORE {_MESSAGES}|I DONT WANT (?:ANY )?(?:MORE )?{_MESSAGES}"
    r"|REMOVE ME|TAKE ME OFF|DELETE ME FROM|LEAVE ME ALONE|LEAVE ME BE"
    r"|(?:REVOKE|WITHDRAW|WITHDRAWING|REVOKING|RESCIND) (?:MY |ALL )?CONSENT"
    r"|CANCEL (?:MY |THIS |THE )?SUBSCRIPTION|CANCEL ME|STOPALL"
    r")\b"
)
# Undoes a phrase it comes just before: "don't stop texting me", "I don't want to unsubscribe".
_NEGATED = re.compile(
    r"\b(?:DONT|DO NOT|NEVER|WONT|WILL NOT|NOT|CANT|CANNOT|DIDNT|DOESNT|SHOULDNT|WOULDNT)"
    r"(?: (?:WANT|WANNA|NEED|PLAN|MEAN|GOING|TRYING|GONNA|TO|EVER|REALLY|JUST|PLEASE)){0,3} \Z"
)
_MAX_KEYWORD_WORDS = 16
_HEART = re.compile(r"</?3+")


def opt_out_reading(norm: str) -> str | None:
    """The keyword or phrase that makes `norm` an opt-out, or None."""
    norm = _HEART.sub(" ", norm)  # "stop <3": the heart is no word
    every = keys(norm)
    if every and len(every) <= _MAX_KEYWORD_WORDS:
        keyword = _keyword_with_courtesy(every)
        if keyword is not None:
            return keyword
    words = " ".join(every)
    for match in _REVOCATION.finditer(words):
        if not _NEGATED.search(words[: match.start()]):
            return match.group()
    return None


def _keyword_with_courtesy(words: list[str]) -> str | None:
    joined = " ".join(words).replace("OPT OUT", "OPTOUT").split()
    keywords = [w for w in joined if w in OPT_OUT_KEYWORDS]
    if keywords and all(w in OPT_OUT_KEYWORDS or w in _AROUND_A_KEYWORD for w in joined):
        return keywords[0]
    return None


def starts_with_stop_word(norm: str) -> bool:
    """Does it start (after a "please") with an opt-out keyword, or end with one ("I want to
    stop")? Such a message that is no opt-out is kept, and the reply says how to stop."""
    words = keys(norm)
    while words and words[0] in ("PLEASE", "PLS", "PLZ", "OK", "OKAY", "JUST", "SO"):
        words = words[1:]
    if not words:
        return False
    if words[:2] == ["OPT", "OUT"]:
        return True
    return words[0] in OPT_OUT_KEYWORDS or (len(words) <= 6 and words[-1] in OPT_OUT_KEYWORDS)

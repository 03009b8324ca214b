"""A human asked for in a sentence, read as COACH: "I want to talk to someone", "can a coach call
me", "is there a person I can talk to?", "quiero hablar con alguien", "je veux parler à
quelqu'un", "est-ce qu'un conseiller peut me rappeler ?".

Read on the lower-case words, accents and apostrophes dropped (as the crisis reader reads text:
crisis.normalise). Asked, not told: "I talked to a coach" (past), "waiting for someone to call
me back" (not asked of us) and "they want a person with five years of experience" (someone
else's want) are not asks; a negation just before undoes one ("I don't need to talk to
someone", "je ne veux pas parler à quelqu'un"). Who is asked for is a person, a human, a coach
or an adviser: "my manager", "a recruiter", "nadie" and "personne" (nobody) are not.
"""

from __future__ import annotations

import re

from onward.engine.crisis import normalise as plain_words

# "My coach" is theirs here; "my mentor" or "my advisor" is someone of their own.
_WHO_EN = (
    r"(?:my coach|(?:(?:a|an|some|the|your|one of your) )?(?:real |actual |live )?"
    r"(?:person|human|human being|someone|somebody|coach|coaches|advis[oe]r|counsel(?:l)?or"
    r"|careers? advis[oe]r|mentor|member of staff|staff member))"
)
_WHO_ES = (
    r"(?:alguien|una persona(?: real)?|un humano|un ser humano|(?:un|una|mi) coach"
    r"|(?:un|una|mi) (?:asesor|asesora|orientador|orientadora|consejero|consejera|mentor|mentora))"
)
_WHO_FR = (
    r"(?:quelquun|quelqu un|une (?:vraie )?personne|un (?:etre )?humain|(?:un|une|mon|ma) coach"
    r"|(?:un|une|mon|ma) (?:conseiller|conseillere|mentor|mentore))"
)
_ASKS = re.compile(
    r"\b(?:"
    rf"(?:talk|speak|chat)(?:ing)? (?:to|with) {_WHO_EN}"
    rf"|(?:can|could|would|will|please|need|want|like)\b(?: \w+){{0,4}} {_WHO_EN} (?:to )?"
    r"(?:call|ring|phone|contact|text|email|reach out to) me"
    rf"|is there {_WHO_EN}(?: \w+){{0,3}} (?:talk|speak|chat)"
    rf"|i (?:really |just )?(?:need|want|would like|d like) (?:to see )?{_WHO_EN}"
    rf"|connect me (?:with|to) {_WHO_EN}"
    rf"|hablar con {_WHO_ES}|que me (?:llame|contacte|escriba) {_WHO_ES}"
    rf"|parler (?:a|avec) {_WHO_FR}"
    r"|(?:quelquun|(?:quun|quune|un|une|mon|ma) (?:conseiller|conseillere|coach|mentor))"
    r" (?:peut |puisse |pourrait )?me (?:rappeler|rappelle|appeler|appelle|contacter|contacte)"
    r")\b"
)
_NEGATED = re.compile(
    r"\b(?:dont|do not|never|not|no need to|wont|doesnt|didnt)(?: \w+){0,2} \Z"
    r"|\bno (?:quiero|necesito|hace falta|voy a|me hace falta)(?: \w+)? \Z"
    r"|\bne \w+ (?:pas|jamais)(?: \w+)? \Z"
)


# A stem of every "who" above (plain substrings, accents as written or not).
_WHO_STEMS = (
    "person", "human", "someone", "somebody", "coach", "advis", "counsel", "mentor", "staff",
    "alguien", "persona", "humano", "asesor", "orientador", "consejer", "quelqu", "personne",
    "humain", "conseill", "être", "etre",
)  # fmt: skip


def asks_for_a_human(norm: str) -> bool:
    """Does `norm` (words.normalise) ask for a person to talk to?"""
    lowered = norm.casefold()
    if not any(stem in lowered for stem in _WHO_STEMS):  # most messages: nobody asked for
        return False
    text = plain_words(norm)
    return any(not _NEGATED.search(text[: m.start()]) for m in _ASKS.finditer(text))

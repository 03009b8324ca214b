"""Milestones told in a sentence, read as their commands: "I applied to 3 jobs today" (APPLIED
3), "I sent 5 applications", "I got an offer from Globex", "Globex offered me the job" (OFFER),
"I have an interview with Globex tomorrow at 3pm" (INTERVIEW Globex tomorrow at 3pm), "have a
phone screen with Hooli"; "envié 3 solicitudes", "me hicieron una oferta", "tengo una entrevista
con Globex mañana", "j'ai envoyé 4 candidatures", "j'ai reçu une offre", "j'ai un entretien avec
Globex demain".

Read on the lower-case words, accents and apostrophes dropped (an interview's company and time
are taken from the text as written). Told, not hoped for: a wish, a plan, a condition or a
negation just before ("I should have applied", "I hope I got an offer", "if they offered me the
job", "I don't have an interview yet") undoes it, and so does someone else's news ("my friend
has an interview"). An interview is one ahead, as INTERVIEW's ("I had an interview" is a
note), and needs a company by name ("with them" is none).
"""

from __future__ import annotations

import re

from onward.engine.crisis import normalise as plain_words
from onward.engine.inbound.intents import Applied, Interview, Offer
from onward.engine.inbound.when_words import split_when
from onward.engine.inbound.words import name

_NUMBERS = {
    # Not "a job", which is as often the story of the one that said no ("applied for a job at
    # Acme"): "another" is news.
    **dict.fromkeys(("another", "one", "otra", "otro"), 1),
    **dict.fromkeys(("two", "a couple of", "a couple", "dos", "deux"), 2),
    **dict.fromkeys(("three", "a few", "tres", "trois"), 3),
    **dict.fromkeys(("four", "cuatro", "quatre"), 4),
    **dict.fromkeys(("five", "cinco", "cinq"), 5),
    **dict.fromkeys(("six", "seis"), 6),
    **dict.fromkeys(("seven", "siete", "sept"), 7),
    **dict.fromkeys(("eight", "ocho", "huit"), 8),
    **dict.fromkeys(("nine", "nueve", "neuf"), 9),
    **dict.fromkeys(("ten", "diez", "dix"), 10),
}
_COUNT = r"(?P<n>\d{1,2}|" + "|".join(sorted(_NUMBERS, key=len, reverse=True)) + ")"
# One pattern a language (each names its count `n`).
_APPLIED = tuple(
    re.compile(pattern)
    for pattern in (
        r"\b(?:(?:i|ive|i have|just|also|finally|already) )*"
        rf"(?:applied (?:to|for)|sent(?: out| off)?|submitted|put in|fired off) {_COUNT} "
        r"(?:more |new |other )?(?:jobs?|roles?|positions?|applications?|apps|openings"
        r"|companies|cvs|resumes)\b",
        rf"\b(?:envie|mande|he enviado|he mandado|(?:me )?postule a|aplique a) {_COUNT} "
        r"(?:mas )?(?:solicitud(?:es)?|candidaturas?|cvs?|curriculums?|ofertas?|trabajos?"
        r"|puestos?|empresas?)\b",
        rf"\bjai (?:envoye|postule a|postule pour|candidate a|depose) {_COUNT} (?:autres? )?"
        r"(?:candidatures?|cv|offres?|postes?|entreprises?)\b",
    )
)
_OFFER = re.compile(
    r"\b(?:(?:i|ive|i have|just|finally|also) )*(?:got|received|ve got|landed) "
    r"(?:an?|the|my first|a job|a formal) (?:job )?offer\b"
    r"|\boffered me the (?:job|role|position)\b"
    r"|\bme (?:hicieron|han hecho|dieron|han dado|ofrecieron|han ofrecido) (?:una|la) oferta\b"
    r"|\bme ofrecieron el (?:trabajo|puesto)\b"
    r"|\bjai (?:recu|eu|obtenu|decroche) une (?:offre|proposition)\b"
    r"|\bon ma (?:fait|propose) une offre\b"
)
_INTERVIEW = re.compile(
    r"\b(?:(?:i|ive|i have|just|finally) )*(?:have|ve got|got|landed|scored|booked"
    r"|scheduled) (?:an?|my|another) (?:(?:second|final|first|phone|video|onsite|technical|panel"
    r"|next|2nd|3rd) )?(?:interview|screen|screening|onsite|round)(?: call)? (?:with|at|for) "
    r"|\btengo (?:una |la |mi )?(?:segunda |primera |ultima )?entrevista (?:con|en) "
    r"|\bjai (?:un|mon|le) (?:deuxieme |second |premier |dernier )?entretien "
    r"(?:avec|chez) "
)
# A wish, plan, condition or negation just before, or someone else's news.
_NOT_TOLD = re.compile(
    r"\b(?:dont|do not|didnt|did not|havent|have not|hasnt|never|no|not|should|would|could"
    r"|might|will|wont|gonna|going to|want to|need to|plan to|hope|wish|if|when|maybe|friend"
    r"|friends|he|she|they|brother|sister|mom|dad|husband|wife|partner|si|ojala|espero|quiero"
    r"|jespere|veux|quand|pas)(?: \w+){0,2} \Z"
)
_CLAUSE_END = re.compile(r"[.!?;\n]|,\s|\s(?:and|but|so|because|y|pero|porque|et|mais|car)\s", re.I)
_NOT_A_COMPANY = frozenset(
    {"them", "him", "her", "us", "the recruiter", "the company", "the team", "someone",
     "somebody", "them soon", "ellos", "ellas", "eux", "elle", "lui", "la empresa", "l'entreprise",
     "the hiring manager", "hr", "the recruiter soon"}
)  # fmt: skip


# A stem of every verb or noun the readings need (plain substrings: cheaper than the regexes).
_STEMS = (
    "appl", "sent", "submit", "put in", "fired", "envi", "mand", "postul", "apliqu", "envoy",
    "candidat", "depos", "dépos", "offer", "ofrec", "oferta", "offre", "propos", "interview",
    "screen", "onsite", "round", "entrevista", "entretien",
)  # fmt: skip


def milestone_said(norm: str) -> Applied | Offer | Interview | None:
    """The milestone `norm` (words.normalise) tells of, without its words, or None."""
    lowered = norm.casefold()
    if not any(stem in lowered for stem in _STEMS):  # most messages: a quick look, no reading
        return None
    text = plain_words(norm)
    for pattern in _APPLIED:
        for match in pattern.finditer(text):
            if not _NOT_TOLD.search(text[: match.start()]):
                return Applied(_NUMBERS.get(match["n"]) or int(match["n"]))
    for match in _OFFER.finditer(text):
        if not _NOT_TOLD.search(text[: match.start()]):
            return Offer()
    for match in _INTERVIEW.finditer(text):
        if not _NOT_TOLD.search(text[: match.start()]):
            return _interview(norm, len(text[: match.end()].split()))
    return None


def _interview(norm: str, words_before: int) -> Interview | None:
    """The company and time after the `words_before` words that said "an interview with"."""
    rest = norm.split(maxsplit=words_before)[words_before:]
    if not rest:
        return None
    clause = _CLAUSE_END.split(rest[0], maxsplit=1)[0]
    company, when = split_when(clause.strip())
    company = name(company)
    if not company or len(company.split()) > 5 or company.casefold() in _NOT_A_COMPANY:
        return None
    return Interview(company, when)

"""Rejections told in ordinary words: "got rejected from Meta today", "Acme rejected me",
"didn't get the job at Globex", "heard back from Hooli, it's a no", "rejected by Amazon for SDE II".
(In Spanish and French: reports_es_fr.py, tried after these.)

A report names its company after "by", "from", "at" or "with", or before "rejected me" and its
kin; the company ends at punctuation, at a word of time or of a new clause ("today", "again",
"and", "but", "because"...), or where a role starts: after "for", "as" or a dash ("rejected by
Amazon for SDE II" is Amazon, role SDE II; "didn't get the analyst job at Globex" is Globex, role
analyst). A pronoun ("they rejected me") or a long clause is no name: the company is left empty
and the rejection still counts. A negation just before the verb ("I wasn't rejected by Acme",
"Acme hasn't rejected me") makes it no report. Pure: no I/O, linear-time regexes only.
"""

from __future__ import annotations

import re

from onward.engine.inbound.reports_es_fr import rejection_report_es_fr
from onward.engine.inbound.words import name

_I = re.IGNORECASE
# Where a company name ends: punctuation (a dot only before a space or the end: "Amazon.com"),
# an emoji or symbol after a space, or a word that starts a new clause or says when.
_END_WORDS = (
    r"today|yesterday|tonight|again|this|last|earlier|just|finally|officially|and|but|so|"
    r"because|cause|after|since|though|although|which|who|that|when|while|lol|ugh|sadly|"
    r"unfortunately|it|its|it's|i|im|i'm|for|as|in|on|after|via|over|by|ha|haha|smh"
)
_END = (
    rf"(?=\s*[,;!?:()\[\]\n]|\.(?:\s|$)|\s+[^\w\s]|\s+(?:{_END_WORDS})\b|\s+[-–—|]+\s|\s*[–—]|\s*$)"
)
_NAME = rf"(?P<company>[^\s,;!?:()\[\]][^,;!?:()\[\]\n]{{0,79}}?){_END}"
_ROLE_START = re.compile(r"\A\s*(?:(?:for|as)\s+|[-–—|]+\s*)(?P<rest>.*)\Z", _I | re.DOTALL)
_ROLE = re.compile(
    r"\A(?:(?:the|a|an|my)\s+)?(?P<role>[^,;!?:()\[\]\n]{1,79}?)"
    r"(?:\s+(?:role|position|job|opening|post|gig|spot))?"
    r"(?=\s*[,;!?:()\[\]\n]|\.(?:\s|$)|\s+[^\w\s]|\s+(?:today|yesterday|again|at|with|and|but|"
    r"because|after|lol|ugh)\b|\s*$)",
    _I,
)
_NOT_A_NAME = frozenset(
    {
        "they", "them", "it", "he", "she", "we", "you", "everyone", "everybody", "the company",
        "the recruiter", "the hiring manager", "the team", "the job", "the role", "the position",
        "another company", "another one", "another", "one", "the", "a", "an", "there", "here",
        "again", "today", "yesterday", "the interview", "them again", "me",
    }
)  # fmt: skip
# A clause, not a name: "I think they rejected me", "my mom said no".
_NOT_IN_A_NAME = frozenset(
    {"i", "i'm", "im", "they", "he", "she", "we", "you", "think", "guess", "feel", "maybe", "me",
     "my", "mom", "dad", "probably", "honestly", "literally", "basically", "still", "recruiter",
     "email", "from", "interviewer", "boss", "friend", "wife", "husband", "manager", "hr"}
)  # fmt: skip
_NEGATION = re.compile(
    r"\b(?:not|never|nt|no|wasnt|wasn't|werent|weren't|hasnt|hasn't|havent|haven't|didnt|didn't|"
    r"dont|don't|doesnt|doesn't|wont|won't|wouldnt|wouldn't|hopefully|hope|if|might|may|could|"
    r"scared|afraid|worried|probably|will|gonna)\W*$",
    _I,
)
_VERB_BEFORE = re.compile(
    r"\b(?:rejected|turned\s+down|declined|passed\s+over|let\s+go|not\s+selected|a\s+rejection"
    r"(?:\s+(?:email|letter|call|message|text))?|rejection(?:\s+(?:email|letter|call))?|"
    r"(?:the\s+)?no|bad\s+news)\s+(?:by|from|at|with)\s+",
    _I,
)
_DIDNT_GET = re.compile(
    r"\b(?:didn'?t|did\s+not|never|couldn'?t|could\s+not)\s+(?:get|land|make\s+it\s+(?:past|through)"
    r"|make)\s+(?:it|the\s+(?:(?P<role>[^,;!?:()\n]{1,60}?)\s+)?(?:job|role|position|offer|"
    r"cut|gig|spot|final\s+round|interview|next\s+round))\s+(?:at|with|from|for)\s+",
    _I,
)
_HEARD_BACK = re.compile(
    rf"\bheard\s+back\s+from\s+{_NAME}[\s,.;:!-]*(?:and\s+|but\s+)?(?:it'?s|it\s+is|it\s+was|"
    r"was|they\s+said|a)\s+(?:a\s+)?(?:no|rejection|hard\s+no|not\s+good)\b",
    _I,
)
# What a company did, in "Acme rejected me": the verb a report that names the company first
# must have. Looked for alone first: most messages have none, and the whole pattern tries a
# name at every position.
_DID_TO_ME = (
    r"(?:rejected\s+me|turned\s+me\s+down|passed\s+on\s+me|"
    r"declined\s+me|said\s+no|says\s+no|let\s+me\s+go|didn'?t\s+pick\s+me|dropped\s+me|"
    r"went\s+with\s+(?:someone|somebody|another)|(?:decided|chose)\s+(?:not\s+to\s+(?:move|go|"
    r"proceed|hire|offer)|to\s+(?:go|move\s+forward|proceed)\s+with\s+(?:another|other|someone|"
    r"a\s+different)))\b"
)
_DID_TO_ME_ALONE = re.compile(rf"\s{_DID_TO_ME}", _I)
_COMPANY_FIRST = re.compile(
    r"(?:\A|[,.;!?:]\s*|\b(?:and|but|so|ugh|well|sadly|unfortunately|welp|yeah|today|update)\s+)"
    r"(?P<company>[^\s,.;!?:][^,;!?:\n]{0,59}?)\s+(?:(?:has|have|just|finally|officially|also|"
    rf"went\s+ahead\s+and)\s+)*{_DID_TO_ME}",
    _I,
)
_BARE = re.compile(
    r"\b(?:got|get|getting|been|was|were|am|i'?m|just)\s+(?:just\s+)?(?:rejected|turned\s+down)\b"
    r"|\bgot\s+(?:a|another)\s+rejection\b",
    _I,
)
_FILLER_LEAD = re.compile(r"\A(?:(?:so|well|ugh|yeah|and|but|today|update|just|welp|oh)\W+)+", _I)


def company_and_role(tail: str) -> tuple[str, str]:
    """The company at the start of `tail` and the role after it ("Amazon for SDE II today")."""
    match = re.match(_NAME, tail.strip(), _I)
    if match is None:
        return "", ""
    company = _clean_company(match["company"])
    role = ""
    after = tail.strip()[match.end() :]
    start = _ROLE_START.match(after)
    if start is not None:
        found = _ROLE.match(start["rest"].strip())
        role = name(found["role"]) if found else ""
    return company, role


def rejection_report(text: str) -> tuple[str, str] | None:
    """(company, role) when `text` tells of a rejection in ordinary words, else None."""
    finders = (_by_verb, _didnt_get, _heard_back, _company_first, _unnamed, rejection_report_es_fr)
    for finder in finders:
        found = finder(text)
        if found is not None:
            return found
    return None


def _by_verb(text: str) -> tuple[str, str] | None:
    for match in _VERB_BEFORE.finditer(text):
        if _NEGATION.search(text[: match.start()]):
            continue
        if match.group().lower().startswith(("no ", "the no")) and not re.search(
            r"\b(?:got|get|a|another|heard|it'?s)\s*$", text[: match.start()], _I
        ):
            continue  # "no reply from Acme yet" is not a rejection; "got a no from Acme" is
        return company_and_role(text[match.end() :])
    return None


def _didnt_get(text: str) -> tuple[str, str] | None:
    match = _DIDNT_GET.search(text)
    if match is None:
        return None
    company, role = company_and_role(text[match.end() :])
    return company, role or name(match["role"] or "")


def _heard_back(text: str) -> tuple[str, str] | None:
    match = _HEARD_BACK.search(text)
    return (_clean_company(match["company"]), "") if match else None


def _company_first(text: str) -> tuple[str, str] | None:
    if not _DID_TO_ME_ALONE.search(text):
        return None  # the whole pattern cannot match either
    match = _COMPANY_FIRST.search(text)
    if match is None or _NEGATION.search(match["company"]):
        return None
    after = text[match.end() :]
    start = re.match(r"\A\s*(?:for|as)\s+(?P<rest>.*)\Z", after, _I | re.DOTALL)
    role = ""
    if start is not None:
        found = _ROLE.match(start["rest"].strip())
        role = name(found["role"]) if found else ""
    return _clean_company(match["company"]), role


def _unnamed(text: str) -> tuple[str, str] | None:
    """ "I got rejected again": a rejection with no company named."""
    match = _BARE.search(text)
    if match is None or _NEGATION.search(text[: match.start()]):
        return None
    return "", ""


def _clean_company(raw: str) -> str:
    company = name(_FILLER_LEAD.sub("", raw.strip()))
    words = {w.strip("'’").lower() for w in company.split()}
    if company.lower() in _NOT_A_NAME or len(words) > 5 or words & _NOT_IN_A_NAME:
        return ""
    return company

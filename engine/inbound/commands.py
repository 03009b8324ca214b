"""Read a text as one explicit command (the contract's "Text commands" table made precise).

What the words are is `words`' job; what a plan may take as a keyword is `plans.keywords`'.

- START, UNSTOP, YES, HELP, INFO, RESUME, DONE, NEXT, HIRED, SMS, JOURNAL and FORGET count only as
  the whole message ("next week I'll apply" and "resume sent to Acme" are not commands).
  Whole-message phrases too: FORGET YES / FORGET CONFIRM, FORGET ME, WHAT'S NEXT, I GOT THE JOB,
  GOT HIRED, MY JOURNAL. Punctuation and emoji around them do not count ("done!", "resume 🙂").
- REJECTED, REJECT, REJECTION, then plan keywords (one or more words; a plan keyword starting
  with a built-in keyword is ignored, so a plan can never shadow STOP or DONE). The rest reads
  "company [- role]": separators (":", "-", ",") right after the keyword are dropped; company
  and role split at the first hyphen with spaces round it, any en or em dash, a "|" or a ": ".
  An unspaced hyphen stays in the name ("Rolls-Royce"), and "for"/"as" do not split ("Center for
  Democracy") unless the keyword is followed by "by", "from" or "at", which makes it a sentence
  read as `reports` reads one ("rejected by Amazon for SDE II"). Both keep the person's case and
  inner punctuation ("AT&T"), lose edge punctuation and emoji and a trailing "today" or "again",
  and are capped at 80 characters. A "company" of more than eight words is a sentence
  ("rejected again, I feel like..."): that gives an empty company and role, and still counts.
- PAUSE [duration]: 3 days by default; "12h", "2d", "1w", "3 days", "two weeks", "a week",
  "1w 2d", "for 5 days"; a bare number is days. From 1 hour to 8 weeks, else Invalid. More than
  five words after PAUSE is not a command.
- APPLIED [n]: 1 by default; "APPLIED 3", "applied to 3 jobs", "applied two"; 1 to 50, else
  Invalid. A count must come first: "applied to Acme today" is not a command.
- TZ / TIMEZONE <zone>: the zone as typed, trimmed (the caller checks it); at most four words.
- EMAIL <address>: checked by a plain regex, domain lower-cased; "email me at a@b.co" works.
  EMAIL followed by several words and no "@" is not a command ("Email from the recruiter...").
- Politeness round a command does not change it: "help please", "ok done", "pause 1w thanks",
  "hi, please resume", "ayuda por favor", "aide svp". Politeness alone is no command.
- Anything else, an empty body included, is Free with the original text, stripped.

No regex here can backtrack badly and only the first eight words are tokenised, so a 10 kB body
parses as fast as a short one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import lru_cache
from itertools import islice

from onward.engine.inbound.intents import (
    Applied,
    AskCoach,
    Automated,
    Command,
    Done,
    Forget,
    ForgetConfirm,
    Free,
    Help,
    Hired,
    Interview,
    Invalid,
    Journal,
    Next,
    Offer,
    OptIn,
    Pause,
    Rejected,
    Resume,
    SetEmail,
    SetLanguage,
    SetTimezone,
    Share,
    Unshare,
    UseSms,
)
from onward.engine.inbound.reports import company_and_role
from onward.engine.inbound.when_words import NUMBER_WORDS, duration_of, split_when
from onward.engine.inbound.words import WORD, key, name, normalise, stripped, without_courtesy
from onward.engine.language import N_, parse_code
from onward.plans.keywords import COMMAND_FIRST_WORDS, LEADING, WHOLE_MESSAGE

DEFAULT_PAUSE = timedelta(days=3)
MIN_PAUSE, MAX_PAUSE = timedelta(hours=1), timedelta(weeks=8)
MAX_APPLIED = 50

# The intent each whole-message phrase of plans.keywords gives (one row per command).
_WHOLE_MESSAGE_INTENTS: dict[str, Callable[[str], Command]] = {
    "opt_in": lambda phrase: OptIn(phrase),
    "help": lambda _: Help(),
    "automated": lambda _: Automated(),
    "resume": lambda _: Resume(),
    "done": lambda _: Done(),
    "next": lambda _: Next(),
    "use_sms": lambda _: UseSms(),
    "hired": lambda _: Hired(),
    "offer": lambda _: Offer(),
    "coach": lambda _: AskCoach(),
    "share": lambda _: Share(),
    "unshare": lambda _: Unshare(),
    "journal": lambda _: Journal(),
    "forget": lambda _: Forget(),
    "forget_confirm": lambda _: ForgetConfirm(),
}
_WHOLE_MESSAGE = {
    phrase: _WHOLE_MESSAGE_INTENTS[intent](phrase) for phrase, intent in WHOLE_MESSAGE.items()
}

_REJECT_LEAD = re.compile(r"\A[\s:,;.|\-–—]*", re.IGNORECASE)
_SENTENCE_LEAD = re.compile(r"\A[\s:,;.]*(?:by|from|at)\s+", re.IGNORECASE)
_COMPANY_ROLE_SPLIT = re.compile(r"\s-+\s|\s?[–—]+\s?|\s?\|\s?|:\s")
_TRAILING_TIME = re.compile(r"(?:\s+(?:again|today|yesterday|tonight))+\W*\Z", re.IGNORECASE)
_NOT_NAMES = frozenset({"again", "today", "yesterday", "tonight"})
_APPLIED_ARG = re.compile(
    r"[\s:,#=]*(?:(?:to|for)\s+)?(?P<sign>[+-]?)\s*(?P<num>\d+(?:[.,]\d+)?|[^\W\d_]+)",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)

# Sent back as they are, translated into the person's language (router._invalid).
_PAUSE_UNREADABLE = N_("I couldn't read that duration. Try PAUSE 3d or PAUSE 1w.")
_PAUSE_TOO_SHORT = N_("A pause needs to be at least an hour. Try PAUSE 12h or PAUSE 3d.")
_PAUSE_TOO_LONG = N_(
    "The longest pause is 8 weeks. Try PAUSE 8w, and send RESUME whenever you like."
)
_APPLIED_NOT_COUNT = N_("I can count whole numbers from 1 to 50. Try APPLIED 1 or APPLIED 3.")
_APPLIED_TOO_MANY = N_("That's a lot of applications! I count up to 50 at a time: try APPLIED 50.")
_TZ_MISSING = N_("Tell me your time zone after TZ, for example TZ America/New_York.")
_EMAIL_MISSING = N_("Add your address after EMAIL, for example EMAIL name@example.com.")
_EMAIL_BAD = N_("That doesn't look like an email address. Try EMAIL name@example.com.")


def parse_command(text: str, extra_reject_keywords: Iterable[str] = ()) -> Command:
    """Read `text` as a command; anything that is not one is `Free` with the text stripped."""
    norm = normalise(text)
    # Eight words are enough to recognise any command, so a long body is never tokenised whole.
    tokens = list(islice(WORD.finditer(norm), 8))
    if not tokens:
        return Free(stripped(text))
    keys = [key(token.group()) for token in tokens]
    first, last = without_courtesy(keys, whole=len(tokens) < 8)
    core = keys[first:last]
    if len(core) <= 7 and " ".join(core) in _WHOLE_MESSAGE:  # "am I talking to a real person"
        return _WHOLE_MESSAGE[" ".join(core)]
    leading = LEADING.get(core[0]) if core else None
    if leading is not None:
        end = tokens[last - 1].end() if last < len(keys) else len(norm)
        return _LEADING_INTENTS[leading](norm[tokens[first].end() : end], text, core[0])
    for words in _keyword_words(tuple(extra_reject_keywords)):
        if keys[: len(words)] == words:
            return _rejected(norm[tokens[len(words) - 1].end() :], text, " ".join(words))
    return Free(stripped(text))


@lru_cache(maxsize=16)
def _keyword_words(keywords: tuple[str, ...]) -> tuple[list[str], ...]:
    """Each plan keyword as the words a message must start with, read once for a set of
    keywords rather than for every message; one that starts like a command is left out."""
    read = ([key(w) for w in WORD.findall(unicodedata.normalize("NFKC", k))] for k in keywords)
    return tuple(words for words in read if words and words[0] not in COMMAND_FIRST_WORDS)


def _rejected(rest: str, original: str, keyword: str) -> Rejected:
    if _SENTENCE_LEAD.match(rest):  # "rejected by Amazon for SDE II": a sentence
        company, role = company_and_role(_SENTENCE_LEAD.sub("", rest, count=1))
        return Rejected(company=company, role=role, keyword=keyword)
    rest = _TRAILING_TIME.sub("", _REJECT_LEAD.sub("", rest, count=1))
    split = _COMPANY_ROLE_SPLIT.search(rest)
    company, role = (rest[: split.start()], rest[split.end() :]) if split else (rest, "")
    company, role = name(company), name(role)
    if len(company.split(maxsplit=9)) > 8 or company.lower() in _NOT_NAMES:
        company, role = "", ""
    return Rejected(company=company, role=role, keyword=keyword)


def read_pause(rest: str, original: str, keyword: str = "") -> Command:
    """PAUSE's argument (`rest`): its duration, the default, Invalid, or Free for a sentence."""
    if len(rest.split(maxsplit=6)) > 5:
        return Free(stripped(original))
    if not WORD.search(rest):
        return Pause(DEFAULT_PAUSE)
    duration = duration_of(rest)
    if duration is None:
        return Invalid("PAUSE", _PAUSE_UNREADABLE)
    if duration < MIN_PAUSE:
        return Invalid("PAUSE", _PAUSE_TOO_SHORT)
    if duration > MAX_PAUSE:
        return Invalid("PAUSE", _PAUSE_TOO_LONG)
    return Pause(duration)


def _applied(rest: str, original: str, keyword: str = "") -> Command:
    if not WORD.search(rest):
        return Applied(1)
    match = _APPLIED_ARG.match(rest)
    if match is None:
        return Free(stripped(original))
    number = match["num"].lower()
    if not number[0].isdigit():
        if number not in NUMBER_WORDS:
            return Free(stripped(original))  # "applied to Acme today": a journal line
        count = NUMBER_WORDS[number]
    elif not number.isdigit():
        return Invalid("APPLIED", _APPLIED_NOT_COUNT)  # 2.5
    else:
        count = int(number) if len(number) <= 6 else MAX_APPLIED + 1
    if match["sign"] == "-" or count < 1:
        return Invalid("APPLIED", _APPLIED_NOT_COUNT)
    if count > MAX_APPLIED:
        return Invalid("APPLIED", _APPLIED_TOO_MANY)
    return Applied(count)


def _timezone(rest: str, original: str, keyword: str = "") -> Command:
    zone = rest.strip(" :=,.;!?\"'`<>()")
    if not zone:
        return Invalid("TZ", _TZ_MISSING)
    if len(zone.split(maxsplit=4)) > 4:
        return Free(stripped(original))
    return SetTimezone(zone)


def _email(rest: str, original: str, keyword: str = "") -> Command:
    words = rest.split(maxsplit=5)
    candidates = [word for word in words if "@" in word]
    if not candidates:
        if len(words) > 1:
            return Free(stripped(original))  # "Email from the recruiter said..."
        return Invalid("EMAIL", _EMAIL_BAD if WORD.search(rest) else _EMAIL_MISSING)
    if len(words) > 4:
        return Free(stripped(original))  # "Email from hr@acme.com said they'd keep my CV"
    if len(candidates) > 1:
        return Invalid("EMAIL", _EMAIL_BAD)
    # A dot may end the sentence but never starts an address, so only the right edge loses it.
    address = candidates[0].lstrip("<([{\"'").rstrip(">)]},;:.!?\"'")
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:") :]
    match = _EMAIL.fullmatch(address)
    if match is None or len(address) > 254 or len(match["local"]) > 64:
        return Invalid("EMAIL", _EMAIL_BAD)
    return SetEmail(f"{match['local']}@{match['domain'].lower()}")


def _language(rest: str, original: str, keyword: str = "") -> Command:
    words = rest.strip(" :=,.;!?\"'`<>()").split()
    if len(words) > 2:
        return Free(stripped(original))  # "Language was the hardest part"
    if not words:
        return SetLanguage(None)
    # "LANG en español", "LANG es please": the language is the word that names one, last first.
    for word in reversed(words):
        code = parse_code(word)
        if code is not None:
            return SetLanguage(code)
    return SetLanguage(None, asked=" ".join(words)[:40])


# The parser of each keyword-led command of plans.keywords: (rest, original, keyword) -> intent.
# "interview went badly": a sentence about an interview, kept in the journal.
_INTERVIEW_SENTENCE = frozenset(
    {"went", "was", "is", "got", "did", "didnt", "felt", "feels", "done", "over", "cancelled"}
)


def _interview(rest: str, original: str, keyword: str = "") -> Command:
    words = rest.split(maxsplit=9)
    if len(words) > 8 or (words and key(words[0]).lower() in _INTERVIEW_SENTENCE):
        return Free(stripped(original))
    rest = _REJECT_LEAD.sub("", rest, count=1).removeprefix("with ").removeprefix("at ")
    company, when = split_when(rest)
    return Interview(company=name(company), when=when)


_LEADING_INTENTS: dict[str, Callable[[str, str, str], Command]] = {
    "pause": read_pause,
    "applied": _applied,
    "set_timezone": _timezone,
    "set_email": _email,
    "rejected": _rejected,
    "interview": _interview,
    "set_language": _language,
}

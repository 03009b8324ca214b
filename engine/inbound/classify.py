"""Read the text of an inbound SMS (or an email's subject or first line) as one text command.

The rules, which make the contract's "Text commands" table precise:

- Normalising: Unicode NFKC (fullwidth or maths-bold letters read as plain ones); invisible
  format characters (zero-width spaces and joiners, BOM, bidi marks) dropped; whitespace
  collapsed; keywords compared case-insensitively. Punctuation, emoji and symbols before the
  first word and around the keyword are ignored ("  stop!! ", "*STOP*", "🛑 Stop."), but letters
  carrying combining marks are other letters ("S̶T̶O̶P̶" is not STOP). Hyphens and apostrophes
  inside a word are dropped when comparing ("OPT-OUT" is OPTOUT, "what's" is WHATS). An email's
  "Re:"/"Fwd:" prefixes are skipped. The keyword is the first word.
- Opt-out (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT or "OPT OUT", REVOKE, and the
  same after "please"/"pls"): the keyword alone or followed by at most three words. Carriers treat
  a bare keyword as opt-out, someone writing "stop texting me" or "cancel that" means it, and a
  missed opt-out hurts more than a journal line lost, so "end of story" opts out too. A longer
  sentence that starts with "end" is journal text.
- START, UNSTOP, YES, HELP, INFO, RESUME, DONE, NEXT, HIRED, SMS and FORGET count only as the whole
  message ("next week I'll apply" and "resume sent to Acme" are journal text). Whole-message
  phrases too: FORGET YES / FORGET CONFIRM, FORGET ME, WHAT'S NEXT, I GOT THE JOB, GOT HIRED.
- REJECTED, REJECT, REJECTION, then plan keywords (one or more words; a plan keyword starting
  with a built-in keyword is ignored, so a plan can never shadow STOP or DONE). The rest reads
  "company [- role]": separators (":", "-", ",") and a "by"/"from" right after the keyword are
  dropped; company and role split at the first hyphen with spaces round it, any en or em dash,
  a "|" or a ": ". An unspaced hyphen stays in the name ("Rolls-Royce"), and "for"/"as" never
  split ("Center for Democracy"). Both keep the person's case and inner punctuation ("AT&T"),
  lose edge punctuation and emoji, and are capped at 80 characters. A "company" of more than
  eight words is a sentence ("rejected again, I feel like..."), and "again"/"today" are not
  names: those give an empty company and role, and the rejection still counts.
- PAUSE [duration]: 3 days by default; "12h", "2d", "1w", "3 days", "two weeks", "a week",
  "1w 2d", "for 5 days"; a bare number is days. From 1 hour to 8 weeks, else Invalid. More than
  five words after PAUSE is journal text.
- APPLIED [n]: 1 by default; "APPLIED 3", "applied to 3 jobs", "applied two"; 1 to 50, else
  Invalid. A count must come first: "applied to Acme today" is journal text.
- TZ / TIMEZONE <zone>: the zone as typed, trimmed (the caller checks it); at most four words.
- EMAIL <address>: checked by a plain regex, domain lower-cased; "email me at a@b.co" works.
  EMAIL followed by several words and no "@" is journal text ("Email from the recruiter...").
- Anything else, an empty body included, is Free with the original text, stripped.

No regex here can backtrack badly and only the first eight words are tokenised, so a 10 kB body
parses as fast as a short one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import ClassVar, TypeAlias


@dataclass(frozen=True)
class Rejected:
    name: ClassVar[str] = "rejected"
    company: str
    role: str
    keyword: str


@dataclass(frozen=True)
class OptOut:
    name: ClassVar[str] = "opt_out"
    keyword: str


@dataclass(frozen=True)
class OptIn:
    name: ClassVar[str] = "opt_in"
    keyword: str


@dataclass(frozen=True)
class Help:
    name: ClassVar[str] = "help"


@dataclass(frozen=True)
class Pause:
    name: ClassVar[str] = "pause"
    duration: timedelta


@dataclass(frozen=True)
class Resume:
    name: ClassVar[str] = "resume"


@dataclass(frozen=True)
class Done:
    name: ClassVar[str] = "done"


@dataclass(frozen=True)
class Applied:
    name: ClassVar[str] = "applied"
    count: int


@dataclass(frozen=True)
class Next:
    name: ClassVar[str] = "next"


@dataclass(frozen=True)
class Hired:
    name: ClassVar[str] = "hired"


@dataclass(frozen=True)
class SetTimezone:
    name: ClassVar[str] = "set_timezone"
    zone: str


@dataclass(frozen=True)
class SetEmail:
    name: ClassVar[str] = "set_email"
    address: str


@dataclass(frozen=True)
class UseSms:
    name: ClassVar[str] = "use_sms"


@dataclass(frozen=True)
class Forget:
    name: ClassVar[str] = "forget"


@dataclass(frozen=True)
class ForgetConfirm:
    name: ClassVar[str] = "forget_confirm"


@dataclass(frozen=True)
class AskCoach:
    name: ClassVar[str] = "coach"


@dataclass(frozen=True)
class Share:
    name: ClassVar[str] = "share"


@dataclass(frozen=True)
class Unshare:
    name: ClassVar[str] = "unshare"


@dataclass(frozen=True)
class Free:
    name: ClassVar[str] = "free"
    text: str


@dataclass(frozen=True)
class Invalid:
    """A known keyword with an argument onward can't use; `reason` is sent back as is."""

    name: ClassVar[str] = "invalid"
    command: str  # the canonical keyword: PAUSE, APPLIED, TZ or EMAIL
    reason: str


Command: TypeAlias = (
    Rejected | OptOut | OptIn | Help | Pause | Resume | Done | Applied | Next | Hired
    | SetTimezone | SetEmail | UseSms | Forget | ForgetConfirm | Free | Invalid
    | AskCoach | Share | Unshare
)  # fmt: skip

OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
REJECT_KEYWORDS = ("REJECTED", "REJECT", "REJECTION")
DEFAULT_PAUSE = timedelta(days=3)
MIN_PAUSE, MAX_PAUSE = timedelta(hours=1), timedelta(weeks=8)
MAX_APPLIED = 50
MAX_NAME_CHARS = 80

_WHOLE_MESSAGE: dict[str, Command] = {
    "START": OptIn("START"), "UNSTOP": OptIn("UNSTOP"), "YES": OptIn("YES"),
    "HELP": Help(), "INFO": Help(), "RESUME": Resume(), "DONE": Done(),
    "NEXT": Next(), "WHATS NEXT": Next(), "SMS": UseSms(),
    "HIRED": Hired(), "IM HIRED": Hired(), "GOT HIRED": Hired(), "I GOT HIRED": Hired(),
    "GOT THE JOB": Hired(), "I GOT THE JOB": Hired(),
    "FORGET": Forget(), "FORGET ME": Forget(),
    "FORGET YES": ForgetConfirm(), "FORGET CONFIRM": ForgetConfirm(),
    "COACH": AskCoach(), "TALK": AskCoach(), "SHARE": Share(), "UNSHARE": Unshare(),
}  # fmt: skip
_ARGUMENT_KEYWORDS = frozenset({"PAUSE", "APPLIED", "TZ", "TIMEZONE", "EMAIL"})
_BUILTIN_FIRST_WORDS = (
    OPT_OUT_KEYWORDS | {"OPT"} | set(REJECT_KEYWORDS) | _ARGUMENT_KEYWORDS
    | {phrase for phrase in _WHOLE_MESSAGE if " " not in phrase}
)  # fmt: skip

# Zero-width spaces and joiners, BOM, bidi marks and soft hyphens: invisible, so never meaningful.
_INVISIBLE_CHARS = "".join(
    chr(code)
    for first, last in ((0xAD, 0xAD), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
                        (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF))
    for code in range(first, last + 1)
)  # fmt: skip
_INVISIBLE = re.compile(f"[{re.escape(_INVISIBLE_CHARS)}]")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_INNER_JOINERS = re.compile(r"['’-]")
_REPLY_PREFIX = re.compile(r"\A(?:(?:re|fwd?)\s*:\s*)+", re.IGNORECASE)
_REJECT_LEAD = re.compile(r"\A[\s:,;.|\-–—]*(?:(?:by|from)\s+)?", re.IGNORECASE)
_COMPANY_ROLE_SPLIT = re.compile(r"\s-+\s|\s?[–—]+\s?|\s?\|\s?|:\s")
_NOT_NAMES = frozenset({"again", "today", "yesterday", "again today", "today again"})
_DURATION_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_HOUR, _DAY = timedelta(hours=1), timedelta(days=1)
_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), _HOUR),
    **dict.fromkeys(("d", "day", "days"), _DAY),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), timedelta(weeks=1)),
    **dict.fromkeys(("month", "months"), 30 * _DAY),
}
_APPLIED_ARG = re.compile(
    r"[\s:,#=]*(?:(?:to|for)\s+)?(?P<sign>[+-]?)\s*(?P<num>\d+(?:[.,]\d+)?|[^\W\d_]+)",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)

_PAUSE_UNREADABLE = "I couldn't read that duration. Try PAUSE 3d or PAUSE 1w."
_PAUSE_TOO_SHORT = "A pause needs to be at least an hour. Try PAUSE 12h or PAUSE 3d."
_PAUSE_TOO_LONG = "The longest pause is 8 weeks. Try PAUSE 8w, and text RESUME whenever you like."
_APPLIED_NOT_COUNT = "I can count whole numbers from 1 to 50. Try APPLIED 1 or APPLIED 3."
_APPLIED_TOO_MANY = "That's a lot of applications! I count up to 50 at a time: try APPLIED 50."
_TZ_MISSING = "Tell me your time zone after TZ, for example TZ America/New_York."
_EMAIL_MISSING = "Add your address after EMAIL, for example EMAIL name@example.com."
_EMAIL_BAD = "That doesn't look like an email address. Try EMAIL name@example.com."


def parse_command(text: str, extra_reject_keywords: Iterable[str] = ()) -> Command:
    """Read `text` as a command; anything that is not one is `Free` with the text stripped."""
    norm = " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).split())
    norm = _REPLY_PREFIX.sub("", norm, count=1)
    # Eight words are enough to recognise any command, so a long body is never tokenised whole.
    tokens = list(islice(_WORD.finditer(norm), 8))
    if not tokens:
        return Free(_stripped(text))
    keys = [_INNER_JOINERS.sub("", token.group()).upper() for token in tokens]

    opt_out = _opt_out(keys)
    if opt_out is not None:
        return opt_out
    if len(keys) <= 4 and " ".join(keys) in _WHOLE_MESSAGE:
        return _WHOLE_MESSAGE[" ".join(keys)]
    rest = norm[tokens[0].end() :]
    if keys[0] in REJECT_KEYWORDS:
        return _rejected(rest, keys[0])
    if keys[0] == "PAUSE":
        return _pause(rest, text)
    if keys[0] == "APPLIED":
        return _applied(rest, text)
    if keys[0] in ("TZ", "TIMEZONE"):
        return _timezone(rest, text)
    if keys[0] == "EMAIL":
        return _email(rest, text)
    for keyword in extra_reject_keywords:
        plain = unicodedata.normalize("NFKC", keyword)
        words = [_INNER_JOINERS.sub("", w).upper() for w in _WORD.findall(plain)]
        if words and words[0] not in _BUILTIN_FIRST_WORDS and keys[: len(words)] == words:
            return _rejected(norm[tokens[len(words) - 1].end() :], " ".join(words))
    return Free(_stripped(text))


def _stripped(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, text.strip().strip(_INVISIBLE_CHARS)
    return text


def _opt_out(keys: list[str]) -> OptOut | None:
    if keys[0] in ("PLEASE", "PLS", "PLZ"):
        keys = keys[1:]
    if keys[:2] == ["OPT", "OUT"]:
        keys = ["OPTOUT", *keys[2:]]
    if keys and keys[0] in OPT_OUT_KEYWORDS and len(keys) <= 4:
        return OptOut(keys[0])
    return None


def _trim(value: str) -> str:
    """Drop edge punctuation, symbols and emoji, keeping brackets that close or open a name."""
    start, end = 0, len(value)
    while start < end and not (value[start].isalnum() or value[start] in "(["):
        start += 1
    while end > start and not (value[end - 1].isalnum() or value[end - 1] in ")]"):
        end -= 1
    return value[start:end]


def _name(value: str) -> str:
    return _trim(_trim(value)[:MAX_NAME_CHARS])


def _rejected(rest: str, keyword: str) -> Rejected:
    rest = _REJECT_LEAD.sub("", rest, count=1)
    split = _COMPANY_ROLE_SPLIT.search(rest)
    company, role = (rest[: split.start()], rest[split.end() :]) if split else (rest, "")
    company, role = _name(company), _name(role)
    if len(company.split(maxsplit=9)) > 8 or company.lower() in _NOT_NAMES:
        company, role = "", ""
    return Rejected(company=company, role=role, keyword=keyword)


def _duration(arg: str) -> timedelta | None:
    tokens = [t for t in _DURATION_TOKEN.findall(arg.lower()) if t not in ("please", "pls")]
    if tokens[:1] == ["for"]:
        tokens = tokens[1:]
    if len(tokens) == 1 and tokens[0].isdigit() and len(tokens[0]) <= 6:
        return int(tokens[0]) * _DAY
    total, i = timedelta(0), 0
    while i < len(tokens):
        if tokens[i] == "and":
            i += 1
            continue
        token = tokens[i]
        if token.isdigit() and len(token) <= 6:
            amount: int | None = int(token)
        else:
            amount = 1 if token in ("a", "an") else _NUMBERS.get(token)
        unit = _UNITS.get(tokens[i + 1]) if i + 1 < len(tokens) else None
        if amount is None or unit is None:
            return None
        total += amount * unit
        i += 2
    return total if tokens else None


def _pause(rest: str, original: str) -> Command:
    if len(rest.split(maxsplit=6)) > 5:
        return Free(_stripped(original))
    if not _WORD.search(rest):
        return Pause(DEFAULT_PAUSE)
    duration = _duration(rest)
    if duration is None:
        return Invalid("PAUSE", _PAUSE_UNREADABLE)
    if duration < MIN_PAUSE:
        return Invalid("PAUSE", _PAUSE_TOO_SHORT)
    if duration > MAX_PAUSE:
        return Invalid("PAUSE", _PAUSE_TOO_LONG)
    return Pause(duration)


def _applied(rest: str, original: str) -> Command:
    if not _WORD.search(rest):
        return Applied(1)
    match = _APPLIED_ARG.match(rest)
    if match is None:
        return Free(_stripped(original))
    number = match["num"].lower()
    if not number[0].isdigit():
        if number not in _NUMBERS:
            return Free(_stripped(original))  # "applied to Acme today": a journal line
        count = _NUMBERS[number]
    elif not number.isdigit():
        return Invalid("APPLIED", _APPLIED_NOT_COUNT)  # 2.5
    else:
        count = int(number) if len(number) <= 6 else MAX_APPLIED + 1
    if match["sign"] == "-" or count < 1:
        return Invalid("APPLIED", _APPLIED_NOT_COUNT)
    if count > MAX_APPLIED:
        return Invalid("APPLIED", _APPLIED_TOO_MANY)
    return Applied(count)


def _timezone(rest: str, original: str) -> Command:
    zone = rest.strip(" :=,.;!?\"'`<>()")
    if not zone:
        return Invalid("TZ", _TZ_MISSING)
    if len(zone.split(maxsplit=4)) > 4:
        return Free(_stripped(original))
    return SetTimezone(zone)


def _email(rest: str, original: str) -> Command:
    words = rest.split(maxsplit=5)
    candidates = [word for word in words if "@" in word]
    if not candidates:
        if len(words) > 1:
            return Free(_stripped(original))  # "Email from the recruiter said..."
        return Invalid("EMAIL", _EMAIL_BAD if _WORD.search(rest) else _EMAIL_MISSING)
    if len(words) > 4:
        return Free(_stripped(original))  # "Email from hr@acme.com said they'd keep my CV"
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

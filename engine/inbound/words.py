"""How the inbound readers see text: normalised, split into words, names trimmed.

Unicode NFKC (fullwidth or maths-bold letters read as plain ones); invisible format characters
(zero-width spaces and joiners, BOM, bidi marks) dropped; whitespace collapsed; an email's
"Re:"/"Fwd:" prefixes skipped. A word is letters and digits, with inner apostrophes and hyphens
("what's", "Rolls-Royce"); its key is upper-case with those dropped ("WHATS", "OPTOUT").
Punctuation, emoji and symbols are not words, but letters carrying combining marks are other
letters ("S̶T̶O̶P̶" is not STOP). Politeness round a command is set aside (`without_courtesy`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import islice

# Zero-width spaces and joiners, BOM, bidi marks and soft hyphens: invisible, so never meaningful.
INVISIBLE_CHARS = "".join(
    chr(code)
    for first, last in ((0xAD, 0xAD), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
                        (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF))
    for code in range(first, last + 1)
)  # fmt: skip
_INVISIBLE = re.compile(f"[{re.escape(INVISIBLE_CHARS)}]")
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_INNER_JOINERS = re.compile(r"['’-]")
# The accented letters of Spanish and French as plain ones, one letter for one (positions keep,
# so a match found in the folded text slices the text as written), and curly apostrophes as
# straight ones. Only these: a letter carrying any other mark stays another letter.
FOLD_ACCENTS = str.maketrans(
    "áàâäãéèêëíìîïóòôöõúùûüñçÁÀÂÄÃÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇ’‘`´",
    "aaaaaeeeeiiiiooooouuuuncAAAAAEEEEIIIIOOOOOUUUUNC" + "'" * 4,
)
_REPLY_PREFIX = re.compile(r"\A(?:(?:re|fwd?)\s*:\s*)+", re.IGNORECASE)
MAX_NAME_CHARS = 80


def normalise(text: str) -> str:
    """The text as the readers see it: NFKC, nothing invisible, single spaces, no Re:/Fwd:."""
    norm = " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).split())
    return _REPLY_PREFIX.sub("", norm, count=1)


def key(word: str) -> str:
    """A word as keywords are compared: upper-case, inner apostrophes and hyphens dropped."""
    if "'" in word or "’" in word or "-" in word:  # most words have none
        word = _INNER_JOINERS.sub("", word)
    return word.upper()


def keys(norm: str, limit: int | None = None) -> list[str]:
    """The keys of the first `limit` words (all when None): a long body is never tokenised whole
    when a few words decide."""
    return list(_keys(norm, limit))


@lru_cache(maxsize=64)
def _keys(norm: str, limit: int | None) -> tuple[str, ...]:
    # Remembered for a moment: the readers of one message ask for the same text's keys.
    return tuple(key(m.group()) for m in islice(WORD.finditer(norm), limit))


def stripped(text: str) -> str:
    """The person's own text with edge whitespace and invisible characters removed."""
    previous = None
    while previous != text:
        previous, text = text, text.strip().strip(INVISIBLE_CHARS)
    return text


def _trim(value: str) -> str:
    """Drop edge punctuation, symbols and emoji, keeping brackets that close or open a name."""
    start, end = 0, len(value)
    while start < end and not (value[start].isalnum() or value[start] in "(["):
        start += 1
    while end > start and not (value[end - 1].isalnum() or value[end - 1] in ")]"):
        end -= 1
    return value[start:end]


def name(value: str) -> str:
    """A company or role as the person typed it: edges trimmed, capped at 80 characters."""
    return _trim(_trim(value)[:MAX_NAME_CHARS])


# Politeness round a command, which does not change it ("help please", "ok done", "pause 1w
# thanks", "ayuda por favor"), in the order it is written before one ("hi, please ...").
COURTESY_BEFORE = tuple(
    tuple(phrase.split())
    for phrase in ("HI", "HEY", "HELLO", "HOLA", "BONJOUR", "OK", "OKAY", "PLEASE", "PLS", "PLZ",
                   "POR FAVOR")
)  # fmt: skip
COURTESY_AFTER = tuple(
    tuple(phrase.split())
    for phrase in ("PLEASE", "PLS", "PLZ", "THANKS", "THANK YOU", "THX", "TY", "POR FAVOR",
                   "GRACIAS", "MERCI", "SVP", "STP", "SIL VOUS PLAIT", "SIL VOUS PLAÎT")
)  # fmt: skip
COURTESY_EDGES = frozenset(
    word for phrase in (*COURTESY_BEFORE, *COURTESY_AFTER) for word in (phrase[0], phrase[-1])
)


def without_courtesy(keys: list[str], whole: bool) -> tuple[int, int]:
    """Where a command may stand among `keys` once politeness before it and, when `whole` (all
    the words are known), after it is set aside; never all of them ("thanks" is no command)."""
    first, last = 0, len(keys)
    if keys[0] not in COURTESY_EDGES and keys[-1] not in COURTESY_EDGES:
        return first, last  # most messages
    for phrase in COURTESY_BEFORE:
        if tuple(keys[first : first + len(phrase)]) == phrase and first + len(phrase) < last:
            first += len(phrase)
    while whole:
        ends = [p for p in COURTESY_AFTER if tuple(keys[last - len(p) : last]) == p]
        if not ends or last - len(ends[0]) <= first:
            break
        last -= len(ends[0])
    return first, last

"""How the inbound readers see text: normalised, split into words, names trimmed.

Unicode NFKC (fullwidth or maths-bold letters read as plain ones); invisible format characters
(zero-width spaces and joiners, BOM, bidi marks) dropped; whitespace collapsed; an email's
"Re:"/"Fwd:" prefixes skipped. A word is letters and digits, with inner apostrophes and hyphens
("what's", "Rolls-Royce"); its key is upper-case with those dropped ("WHATS", "OPTOUT").
Punctuation, emoji and symbols are not words, but letters carrying combining marks are other
letters ("S̶T̶O̶P̶" is not STOP).
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

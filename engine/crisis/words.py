"""How a text and a crisis phrase are read alike: NFKC, case, accents and apostrophes dropped,
punctuation and emoji as spaces, then a few contractions and slang folded ("do not" -> "dont",
"cannot" -> "cant", "wanna" -> "want to")."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = re.compile("['’‘`´]")
_NON_WORD = re.compile(r"[\W_]+")
# Said the same way: folded on both sides before matching.
_FOLD_PAIRS: dict[tuple[str, str], tuple[str, ...]] = {
    ("do", "not"): ("dont",),
    ("does", "not"): ("doesnt",),
    ("did", "not"): ("didnt",),
    ("can", "not"): ("cant",),
    ("is", "not"): ("isnt",),
    ("was", "not"): ("wasnt",),
    ("i", "am"): ("im",),
    ("what", "is"): ("whats",),
}
_FOLD_WORDS: dict[str, tuple[str, ...]] = {
    "cannot": ("cant",),
    "wanna": ("want", "to"),
    "wana": ("want", "to"),
    "gonna": ("going", "to"),
    "dnt": ("dont",),
}
# Words of emphasis that may sit inside a phrase without changing what it says.
_EMPHASIS = frozenset(
    {
        "just", "really", "so", "honestly", "literally", "actually", "truly", "simply",
        "seriously", "totally", "completely", "even", "kinda", "fucking", "fuckin", "effing",
        "bloody", "freaking",
    }
)  # fmt: skip
_MAX_EMPHASIS = 2

Words = tuple[str, ...]


def normalise(text: str) -> str:
    """Lower-case words only: NFKC, accents and apostrophes dropped, other punctuation and emoji
    as spaces."""
    folded = _APOSTROPHES.sub("", unicodedata.normalize("NFKC", text).casefold())
    if not folded.isascii():  # "estaría", "être", "à mí": written with accents or without
        decomposed = unicodedata.normalize("NFD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", folded).split())


def words(text: str) -> Words:
    """The normalised words of `text` with contractions and slang folded (see the docstring)."""
    raw = normalise(text).split()
    out: list[str] = []
    index = 0
    while index < len(raw):
        pair = _FOLD_PAIRS.get((raw[index], raw[index + 1])) if index + 1 < len(raw) else None
        if pair is not None:
            out.extend(pair)
            index += 2
            continue
        out.extend(_FOLD_WORDS.get(raw[index], (raw[index],)))
        index += 1
    return tuple(out)

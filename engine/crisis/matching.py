"""Where a text says a phrase: its words in order, a typo forgiven in longer words, words of
emphasis skipped, run together or spread out (the rules are in engine/crisis/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

from onward.engine.crisis.phrases import FIGURES_OF_SPEECH
from onward.engine.crisis.words import _EMPHASIS, _MAX_EMPHASIS, Words, words

Item = TypeVar("Item")


class _Phrases:
    """Phrases made words once, with their words and their letters run together."""

    def __init__(self, phrases: tuple[str, ...]) -> None:
        self.items = tuple((phrase, words(phrase)) for phrase in phrases)
        self.vocabulary = frozenset(word for _phrase, wanted in self.items for word in wanted)
        self.joined = tuple("".join(wanted) for _phrase, wanted in self.items)
        # Each phrase under its longest word, which a text saying it must have (a phrase of no
        # words, from a setting of punctuation alone, is under none: it says nothing).
        by_longest: dict[str, list[int]] = {}
        for index, (_phrase, wanted) in enumerate(self.items):
            if wanted:
                by_longest.setdefault(max(wanted, key=len), []).append(index)
        self.by_longest = {word: tuple(indexes) for word, indexes in by_longest.items()}
        # Both by first letter, which a written word always shares with what it stands for:
        # a word met is compared with a few dozen of them, not with the whole list.
        self.vocabulary_by_initial = _by_initial(self.vocabulary, lambda word: word)
        self.joined_by_initial = _by_initial(range(len(self.joined)), lambda i: self.joined[i])


@lru_cache(maxsize=8)
def compiled(phrases: tuple[str, ...]) -> _Phrases:
    return _Phrases(phrases)


@lru_cache(maxsize=32_768)
def could_be(table: _Phrases, written: str) -> tuple[frozenset[str], frozenset[int]]:
    """The phrases' words this written word may stand for (`_same_word`), and the phrases (by
    index) whose letters run together start with it: all that `_spans` could match it to. The
    same few hundred words come back message after message, so each is worked out once."""
    initial = written[:1]
    meant = frozenset(
        word for word in table.vocabulary_by_initial.get(initial, ()) if _same_word(written, word)
    )
    begun = frozenset(
        i for i in table.joined_by_initial.get(initial, ()) if table.joined[i].startswith(written)
    )
    return meant, begun


def _by_initial(
    items: Iterable[Item], spelled: Callable[[Item], str]
) -> dict[str, tuple[Item, ...]]:
    grouped: dict[str, list[Item]] = {}
    for item in items:
        grouped.setdefault(spelled(item)[:1], []).append(item)
    return {initial: tuple(group) for initial, group in grouped.items()}


@lru_cache(maxsize=1)
def _idioms() -> tuple[Words, ...]:
    return tuple(words(idiom) for idiom in FIGURES_OF_SPEECH)


class Said:
    """A text's words, where each letter starts one, and where its figures of speech stand."""

    def __init__(self, text: str) -> None:
        self.words = words(text)
        self.starts: dict[str, list[int]] = {}
        for index, word in enumerate(self.words):
            self.starts.setdefault(word[0], []).append(index)
        self._idioms: list[tuple[int, int]] | None = None

    @property
    def idioms(self) -> list[tuple[int, int]]:
        # Looked for only once a phrase is found: most messages say none.
        if self._idioms is None:
            self._idioms = [span for idiom in _idioms() for span in _spans(self, idiom)]
        return self._idioms


def says(said: Said, wanted: Words) -> bool:
    return any(
        not any(start < end_i and start_i < end for start_i, end_i in said.idioms)
        for start, end in _spans(said, wanted)
    )


def _spans(said: Said, wanted: Words) -> list[tuple[int, int]]:
    """Where `wanted` is said: (first word, one past the last) for every place."""
    spans = []
    joined = "".join(wanted)
    # Either way of matching needs the first letter right: look only where a word has it; and
    # the word there must be the phrase's first word, or begin the phrase run together.
    for start in said.starts.get(joined[0], ()):
        word = said.words[start]
        end = _in_order_at(said.words, start, wanted) if _same_word(word, wanted[0]) else None
        if end is None and joined.startswith(word):
            end = _run_together_at(said.words, start, joined, len(wanted))
        if end is not None:
            spans.append((start, end))
    return spans


def _in_order_at(said: Words, start: int, wanted: Words) -> int | None:
    at = start
    for position, word in enumerate(wanted):
        skipped = 0
        while (
            position
            and at < len(said)
            and skipped < _MAX_EMPHASIS
            and said[at] in _EMPHASIS
            and not _same_word(said[at], word)
        ):
            at, skipped = at + 1, skipped + 1
        if at >= len(said) or not _same_word(said[at], word):
            return None
        at += 1
    return at


def _run_together_at(said: Words, start: int, joined: str, count: int) -> int | None:
    """The end of words from `start` that spell `joined` exactly, split differently."""
    if not joined.startswith(said[start]):
        return None
    spelled = ""
    for at in range(start, len(said)):
        spelled += said[at]
        if len(spelled) >= len(joined):
            split_differently = count > 1 or at > start
            return at + 1 if spelled == joined and split_differently else None
    return None


@lru_cache(maxsize=16_384)
def _same_word(written: str, meant: str) -> bool:
    # Remembered: the same few hundred words meet the phrases' words in message after message.
    if written == meant:
        return True
    if written[:1] != meant[:1] or abs(len(written) - len(meant)) > 1:
        return False
    if len(meant) >= 5:
        return _one_edit(written, meant)
    return len(meant) == 4 and len(written) == 4 and _swapped(written, meant)


def _one_edit(a: str, b: str) -> bool:
    """One letter changed, added or dropped, or two neighbours swapped."""
    if len(a) == len(b):
        differ = [i for i in range(len(a)) if a[i] != b[i]]
        return len(differ) == 1 or _swapped(a, b)
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    at = next((i for i in range(len(shorter)) if shorter[i] != longer[i]), len(shorter))
    return shorter[at:] == longer[at + 1 :]


def _swapped(a: str, b: str) -> bool:
    differ = [i for i in range(len(a)) if a[i] != b[i]]
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and a[differ[0]] == b[differ[1]]
        and a[differ[1]] == b[differ[0]]
    )

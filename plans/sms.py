"""How long a text is as SMS: its encoding, its length in that encoding, and how many parts.

GSM-7 is the SMS default alphabet: 160 septets fit one message, and a longer text is split into
parts of 153 (each part loses 7 to the header that joins them). Characters of the extension
table (``^ { } \\ [ ] ~ | €`` and form feed) take two septets, an escape and the character,
and the two are never split across parts. One character outside GSM-7, a curly quote or an
emoji, switches the whole text to UCS-2: 70 UTF-16 code units in one message, 67 per part,
with a surrogate pair (most emoji) counting two and kept whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
# What onward may add to a plan's text: a line break and its opt-out footer ("Reply STOP to
# end.", engine/replies.py), in plain GSM-7. Plan texts leave room for it, in each language
# (a unit test holds these to the catalogues' footers).
FOOTER_ROOM = 19
FOOTER_ROOMS = {"en": FOOTER_ROOM, "es": 34, "fr": 36}


@dataclass(frozen=True, slots=True)
class SmsLength:
    """``chars`` is septets for GSM-7 and UTF-16 code units for UCS-2; an empty text is 0 parts."""

    encoding: Encoding
    chars: int
    segments: int


def is_gsm7(char: str) -> bool:
    return char in GSM7_BASIC or char in GSM7_EXTENSION


def non_gsm7_chars(text: str) -> list[str]:
    """The distinct characters that force UCS-2, in order of first appearance."""
    return list(dict.fromkeys(char for char in text if not is_gsm7(char)))


def sms_segments(text: str) -> SmsLength:
    if all(is_gsm7(char) for char in text):
        units = [2 if char in GSM7_EXTENSION else 1 for char in text]
        return _length("GSM-7", units, GSM7_SINGLE, GSM7_PART)
    units = [len(char.encode("utf-16-le")) // 2 for char in text]
    return _length("UCS-2", units, UCS2_SINGLE, UCS2_PART)


def sms_segments_with_footer(text: str, lang: str = "en") -> SmsLength:
    """The length of `text` as sent when onward adds its opt-out footer in `lang` (counted as
    spaces: one unit each in either encoding, like the footer's own characters)."""
    return sms_segments(text + " " * FOOTER_ROOMS.get(lang, max(FOOTER_ROOMS.values())))


def _length(encoding: Encoding, units: list[int], single: int, part: int) -> SmsLength:
    total = sum(units)
    if total == 0:
        return SmsLength(encoding, 0, 0)
    if total <= single:
        return SmsLength(encoding, total, 1)
    # Pack character by character so that an escape pair or a surrogate pair that would
    # straddle a boundary moves whole to the next part, as handsets and carriers do.
    segments, used = 1, 0
    for unit in units:
        if used + unit > part:
            segments, used = segments + 1, 0
        used += unit
    return SmsLength(encoding, total, segments)

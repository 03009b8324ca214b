"""SMS length: GSM-7 and UCS-2 boundaries, extension characters and surrogate pairs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onward.engine.replies import SMS_FOOTER
from onward.plans.sms import (
    FOOTER_ROOM,
    GSM7_BASIC,
    GSM7_EXTENSION,
    SmsLength,
    non_gsm7_chars,
    sms_segments,
    sms_segments_with_footer,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsLength("GSM-7", 0, 0)),
        ("a", SmsLength("GSM-7", 1, 1)),
        ("a" * 160, SmsLength("GSM-7", 160, 1)),
        ("a" * 161, SmsLength("GSM-7", 161, 2)),
        ("a" * 306, SmsLength("GSM-7", 306, 2)),
        ("a" * 307, SmsLength("GSM-7", 307, 3)),
        ("a" * 459, SmsLength("GSM-7", 459, 3)),
        ("a" * 460, SmsLength("GSM-7", 460, 4)),
        # Extension characters take two septets each.
        ("€" * 80, SmsLength("GSM-7", 160, 1)),
        ("a" * 159 + "{", SmsLength("GSM-7", 161, 2)),
        ("a" * 158 + "[", SmsLength("GSM-7", 160, 1)),
        ("\f^{}\\[~]|€", SmsLength("GSM-7", 20, 1)),
        # Accented letters of the basic set and newlines stay in GSM-7.
        ("é" * 160, SmsLength("GSM-7", 160, 1)),
        ("ü" * 10 + "\n" * 150, SmsLength("GSM-7", 160, 1)),
        # One character outside GSM-7 switches everything to UCS-2.
        ("’" * 70, SmsLength("UCS-2", 70, 1)),
        ("’" * 71, SmsLength("UCS-2", 71, 2)),
        ("a" * 69 + "’", SmsLength("UCS-2", 70, 1)),
        ("Ñandú\r\n", SmsLength("UCS-2", 7, 1)),  # Ñ is GSM-7, ú is not
        ("a" * 134, SmsLength("GSM-7", 134, 1)),
        ("’" * 134, SmsLength("UCS-2", 134, 2)),
        ("’" * 135, SmsLength("UCS-2", 135, 3)),
        # Emoji are surrogate pairs: two code units each.
        ("😊" * 35, SmsLength("UCS-2", 70, 1)),
        ("😊" * 35 + "a", SmsLength("UCS-2", 71, 2)),
        ("—", SmsLength("UCS-2", 1, 1)),
    ],
)
def test_sms_segments(text: str, expected: SmsLength) -> None:
    assert sms_segments(text) == expected


def test_an_escape_pair_is_never_split_across_parts() -> None:
    # 152 plain septets then "{": 154 septets would straddle the first 153-septet part,
    # so "{" moves whole to part two; then 151 more fill part two exactly (2 + 151 = 153).
    assert sms_segments("a" * 152 + "{" + "a" * 151) == SmsLength("GSM-7", 305, 2)
    assert sms_segments("a" * 152 + "{" + "a" * 152) == SmsLength("GSM-7", 306, 3)
    assert sms_segments("a" * 153 + "a" * 153) == SmsLength("GSM-7", 306, 2)


def test_a_surrogate_pair_is_never_split_across_parts() -> None:
    # 66 units then an emoji (2 units) would straddle the first 67-unit part.
    assert sms_segments("’" * 66 + "😊" + "’" * 65) == SmsLength("UCS-2", 133, 2)
    assert sms_segments("’" * 66 + "😊" + "’" * 66) == SmsLength("UCS-2", 134, 3)


def test_the_basic_and_extension_sets_are_complete_and_disjoint() -> None:
    assert len(GSM7_BASIC) == 127  # 128 code points less the escape itself
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION
    assert "\x1b" not in GSM7_BASIC
    assert "`" not in GSM7_BASIC  # the back-tick is not GSM-7, a common surprise


def test_non_gsm7_chars_lists_what_forces_ucs2_once_each() -> None:
    assert non_gsm7_chars("It’s “fine” — ok’") == ["’", "“", "”", "—"]
    assert non_gsm7_chars("plain 'ascii' - ok") == []


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=800))
def test_gsm_parts_hold_the_text(text: str) -> None:
    length = sms_segments(text)
    assert length.encoding == "GSM-7"
    assert length.chars == len(text) + sum(ch in GSM7_EXTENSION for ch in text)
    if length.chars > 160:
        # Enough parts for every septet, and at most one more for escape pairs moved whole.
        assert -(-length.chars // 153) <= length.segments <= -(-length.chars // 152) + 1
    else:
        assert length.segments == (1 if text else 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 141, SmsLength("GSM-7", 160, 1)),
        ("a" * 142, SmsLength("GSM-7", 161, 2)),
        ("a" * 287, SmsLength("GSM-7", 306, 2)),
        ("a" * 288, SmsLength("GSM-7", 307, 3)),
        ("’" * 51, SmsLength("UCS-2", 70, 1)),
        ("’" * 52, SmsLength("UCS-2", 71, 2)),
    ],
)
def test_the_footer_room_counts_toward_the_parts(text: str, expected: SmsLength) -> None:
    assert sms_segments_with_footer(text) == expected


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=[*sorted(GSM7_BASIC | GSM7_EXTENSION), "’", "😊"], max_size=500))
def test_the_room_is_never_less_than_the_real_footer_needs(text: str) -> None:
    assert len("\n" + SMS_FOOTER) <= FOOTER_ROOM
    real = sms_segments(f"{text}\n{SMS_FOOTER}")
    assert real.segments <= sms_segments_with_footer(text).segments

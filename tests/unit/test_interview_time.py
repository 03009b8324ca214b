"""Reading when an interview is, in the person's local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from onward.engine.inbound.interview_time import interview_time

LA = ZoneInfo("America/Los_Angeles")
FRIDAY_NOON = datetime(2026, 12, 4, 12, 0, tzinfo=LA)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("tomorrow 3pm", datetime(2026, 12, 5, 15, 0, tzinfo=LA)),
        ("tmrw at 9:30am", datetime(2026, 12, 5, 9, 30, tzinfo=LA)),
        ("today 4pm", datetime(2026, 12, 4, 16, 0, tzinfo=LA)),
        ("fri 3pm", datetime(2026, 12, 4, 15, 0, tzinfo=LA)),  # later today
        ("fri", datetime(2026, 12, 11, 9, 0, tzinfo=LA)),  # 09:00 today is gone: next week
        ("on Friday at 10:30", datetime(2026, 12, 11, 10, 30, tzinfo=LA)),
        ("mon", datetime(2026, 12, 7, 9, 0, tzinfo=LA)),
        ("next tuesday 14:00", datetime(2026, 12, 8, 14, 0, tzinfo=LA)),
        ("12 Dec", datetime(2026, 12, 12, 9, 0, tzinfo=LA)),
        ("Dec 12 9am", datetime(2026, 12, 12, 9, 0, tzinfo=LA)),
        ("15th jan 10.30", datetime(2027, 1, 15, 10, 30, tzinfo=LA)),
        ("1 dec", datetime(2027, 12, 1, 9, 0, tzinfo=LA)),  # past this year: next year's
        ("at 14:00", datetime(2026, 12, 4, 14, 0, tzinfo=LA)),
        ("at 9am", datetime(2026, 12, 5, 9, 0, tzinfo=LA)),  # gone today: tomorrow
        ("12pm", datetime(2026, 12, 5, 12, 0, tzinfo=LA)),
    ],
)
def test_times_people_write(words: str, expected: datetime) -> None:
    assert interview_time(words, FRIDAY_NOON) == expected


@pytest.mark.parametrize(
    "words", ["", "3/12", "12/3 10am", "tomorrow banana", "31 feb", "13pm", "25:00", "soon", "5"]
)
def test_what_cannot_be_read_is_none(words: str) -> None:
    assert interview_time(words, FRIDAY_NOON) is None

"""When the prep nudge goes: 18:00 local the day before, inside the window, never too late."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from onward.engine.prep_timing import prep_due
from onward.plans import DEFAULT_WINDOW, SendWindow, parse_window

LA = ZoneInfo("America/Los_Angeles")
TUESDAY_7AM = datetime(2026, 11, 24, 7, 0, tzinfo=LA)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=LA)


@pytest.mark.parametrize(
    ("interview", "window", "expected"),
    [
        (local(25, 15), DEFAULT_WINDOW, local(24, 18)),  # the evening before
        (local(27, 9), DEFAULT_WINDOW, local(26, 18)),
        (local(25, 15), parse_window("09:00-17:00"), local(24, 16)),  # the window's last hour
        (local(25, 15), parse_window("19:00-21:00"), local(24, 19)),  # it opens later
        (local(25, 15), SendWindow.ANY, local(24, 18)),
        (local(24, 15), DEFAULT_WINDOW, local(24, 9)),  # today: as soon as the window opens
        (local(24, 9, 30), DEFAULT_WINDOW, None),  # the window opens too close to it
        (local(24, 8, 59), SendWindow.ANY, None),  # under two hours away
        (local(24, 9, 0), SendWindow.ANY, TUESDAY_7AM),  # two hours: at once
    ],
)
def test_prep_due(interview: datetime, window: SendWindow, expected: datetime | None) -> None:
    assert prep_due(interview, TUESDAY_7AM, LA, window) == expected


def test_an_evening_already_gone_means_as_soon_as_possible() -> None:
    now = local(24, 19, 30)
    assert prep_due(local(25, 10), now, LA, DEFAULT_WINDOW) == now  # still inside the window
    late = local(24, 20, 30)  # the window has closed: tomorrow 09:00 is one hour before
    assert prep_due(local(25, 10), late, LA, DEFAULT_WINDOW) is None
    assert prep_due(local(25, 15), late, LA, DEFAULT_WINDOW) == local(25, 9)


def test_the_evening_is_a_wall_time_across_a_dst_change() -> None:
    # Clocks go back on Sunday 1 November 2026 in Los Angeles.
    interview = datetime(2026, 11, 2, 10, 0, tzinfo=LA)
    due = prep_due(interview, datetime(2026, 10, 30, 12, tzinfo=LA), LA, DEFAULT_WINDOW)
    assert due is not None and due.astimezone(LA).time() == time(18, 0)
    assert due == datetime(2026, 11, 2, 2, 0, tzinfo=UTC)

"""Properties of timing over many zones and instants in 2024-2030, biased towards DST changes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from onward.engine.timing import (
    DayCheck,
    business_day_checker,
    localize,
    offset_due,
    place_in_window,
    plan_timeline,
)
from onward.plans import Due, SendWindow, parse_due

ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Asia/Tehran",
    "America/St_Johns",
    "America/Santiago",
    "America/Havana",
    "Africa/Cairo",
    "Pacific/Auckland",
    "Pacific/Chatham",
]
COUNTRIES = [None, "US", "GB", "AU", "IN", "DE", "CL", "NZ", "EG", "IL", "XX"]
FIRST = datetime(2024, 1, 1, tzinfo=UTC)
LAST = datetime(2030, 12, 31, tzinfo=UTC)

PROPERTY = settings(max_examples=200, deadline=None)


@cache
def transitions(zone: str) -> list[datetime]:
    """Every instant in 2024-2030 at which `zone` changes its UTC offset, to the second."""
    tz = ZoneInfo(zone)
    found: list[datetime] = []
    day = FIRST
    while day < LAST:
        following = day + timedelta(days=1)
        if day.astimezone(tz).utcoffset() != following.astimezone(tz).utcoffset():
            low, high = day, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high)
        day = following
    return found


@st.composite
def zone_and_instant(draw: st.DrawFn) -> tuple[ZoneInfo, datetime]:
    """A zone and an instant, half the time within three hours of one of its DST changes."""
    zone = draw(st.sampled_from(ZONES))
    changes = transitions(zone)
    near_change: bool = draw(st.booleans())
    if changes and near_change:
        instant = draw(st.sampled_from(changes)) + timedelta(
            seconds=draw(st.integers(-3 * 3600, 3 * 3600))
        )
    else:
        naive = draw(st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 30)))
        instant = naive.replace(tzinfo=UTC)
    return ZoneInfo(zone), instant


minute_times = st.builds(time, st.integers(0, 23), st.integers(0, 59))


@st.composite
def windows(draw: st.DrawFn) -> SendWindow:
    if draw(st.integers(0, 5)) == 0:
        return SendWindow.ANY
    start = draw(st.integers(0, 24 * 60 - 1))
    end = draw(st.integers(start + 1, 24 * 60))
    return SendWindow(time(*divmod(start, 60)), None if end == 24 * 60 else time(*divmod(end, 60)))


@dataclass(frozen=True)
class Spec:
    """A step as timing sees it (a plan's Step is one)."""

    due: Due
    business_days: bool
    id: str = "step"


@st.composite
def due_specs(draw: st.DrawFn) -> Spec:
    days, minutes = draw(st.integers(0, 21)), draw(st.integers(0, 3 * 24 * 60))
    at = draw(st.none() | minute_times)
    text = f"{days}d{minutes}m" + (f" at {at:%H:%M}" if at is not None else "")
    return Spec(parse_due(text), draw(st.booleans()))


def is_open(
    instant: datetime, tz: ZoneInfo, window: SendWindow, is_open_day: DayCheck | None
) -> bool:
    local = instant.astimezone(tz)
    day_open = is_open_day is None or is_open_day(local.date())
    return day_open and window.contains(local.time())


@PROPERTY
@given(zone_and_instant(), windows(), st.sampled_from(COUNTRIES), st.booleans())
def test_place_in_window(
    zone_instant: tuple[ZoneInfo, datetime], window: SendWindow, country: str | None, business: bool
) -> None:
    tz, instant = zone_instant
    is_open_day = business_day_checker(country) if business else None
    placed, moved = place_in_window(instant, tz, window, is_open_day)
    assert placed.tzinfo is UTC
    assert placed >= instant
    assert moved is (placed != instant)
    assert is_open(placed, tz, window, is_open_day)
    assert place_in_window(placed, tz, window, is_open_day) == (placed, False)
    if moved:
        # It moved to an opening, not somewhere later inside the window.
        just_before = placed - timedelta(seconds=1)
        assert just_before < instant or not is_open(just_before, tz, window, is_open_day)
    if window.is_any_time and is_open_day is None:
        assert not moved


@PROPERTY
@given(zone_and_instant(), st.integers(-3 * 60, 3 * 60))
def test_localize_is_the_wall_time_unless_in_a_gap(
    zone_instant: tuple[ZoneInfo, datetime], shift_minutes: int
) -> None:
    tz, instant = zone_instant
    wall = (instant.astimezone(tz) + timedelta(minutes=shift_minutes)).replace(
        tzinfo=None, fold=0, second=0, microsecond=0
    )
    result = localize(wall, tz)
    # Every offset the zone uses around this wall time, read independently of localize().
    guess = wall.replace(tzinfo=UTC)
    offsets = {
        (guess + timedelta(hours=h)).astimezone(tz).utcoffset() or timedelta(0)
        for h in range(-30, 31, 3)
    }
    readings = {(wall - offset).replace(tzinfo=UTC) for offset in offsets}
    existing = sorted(u for u in readings if u.astimezone(tz).replace(tzinfo=None) == wall)
    if existing:
        assert result.replace(tzinfo=None) == wall
        # The first occurrence of a repeated wall time. (Compare in UTC: PEP 495 makes an
        # instant in a repeated hour unequal to every instant of another zone.)
        assert result.astimezone(UTC) == existing[0]
    else:
        gap = max(offsets) - min(offsets)
        assert result.replace(tzinfo=None) - wall == gap


@PROPERTY
@given(zone_and_instant(), due_specs(), st.sampled_from(COUNTRIES))
def test_offset_due(
    zone_instant: tuple[ZoneInfo, datetime], step: Spec, country: str | None
) -> None:
    tz, anchor = zone_instant
    is_business_day = business_day_checker(country)
    spec = step.due
    due = offset_due(anchor, spec, tz, is_business_day if step.business_days else None)
    assert due.tzinfo is UTC
    assert due >= anchor
    local = due.astimezone(tz)
    if spec.at is not None:
        assert due > anchor
        assert due == localize(datetime.combine(local.date(), spec.at), tz).astimezone(UTC)
    if step.business_days:
        assert is_business_day(local.date())
    if spec.at is None and not step.business_days:
        reached = (due - spec.delta).astimezone(tz)
        anchor_local = anchor.astimezone(tz)
        assert reached.date() == anchor_local.date() + timedelta(days=spec.days)
        elapsed = due - spec.delta - anchor
        assert abs(elapsed - timedelta(days=spec.days)) <= timedelta(hours=3)
        same_wall_time = datetime.combine(reached.date(), anchor_local.time())
        if spec.days and localize(same_wall_time, tz).replace(tzinfo=None) == same_wall_time:
            assert reached.replace(tzinfo=None) == same_wall_time  # calendar days keep wall time


@PROPERTY
@given(
    zone_and_instant(),
    st.lists(due_specs(), min_size=1, max_size=6),
    windows(),
    st.sampled_from(COUNTRIES),
    st.sampled_from([timedelta(minutes=1), timedelta(minutes=3), timedelta(minutes=30)]),
)
def test_plan_timeline(
    zone_instant: tuple[ZoneInfo, datetime],
    specs: list[Spec],
    window: SendWindow,
    country: str | None,
    spread: timedelta,
) -> None:
    tz, anchor = zone_instant
    is_business_day = business_day_checker(country)
    named = [replace(spec, id=f"step{index}") for index, spec in enumerate(specs)]
    timeline = plan_timeline(anchor, named, tz, window, country, spread)
    assert sorted(name for name, _ in timeline) == sorted(spec.id for spec in named)
    by_name = {spec.id: spec for spec in named}
    for position, (name, placement) in enumerate(timeline):
        spec = by_name[name]
        open_day = is_business_day if spec.business_days else None
        assert placement.offset_due_utc == offset_due(anchor, spec.due, tz, open_day)
        assert placement.due_utc >= placement.offset_due_utc
        assert placement.due_utc.tzinfo is UTC
        assert placement.due_local.astimezone(UTC) == placement.due_utc
        assert placement.due_local.tzinfo is tz
        assert placement.due_local.utcoffset() == placement.due_utc.astimezone(tz).utcoffset()
        assert is_open(
            placement.due_utc, tz, window, is_business_day if spec.business_days else None
        )
        if not placement.moved_by_window:
            assert placement.due_utc - placement.offset_due_utc <= position * spread
    dues = [placement.due_utc for _, placement in timeline]
    assert all(later - earlier >= spread for earlier, later in pairwise(dues))

"""Table tests of due times, business days, send windows, DST and spreading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from onward.engine.timing import (
    DayCheck,
    business_day_checker,
    localize,
    next_window_opening,
    offset_due,
    place_in_window,
    plan_timeline,
    spread_burst,
)
from onward.plans import Due, SendWindow, parse_due

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
SANTIAGO = ZoneInfo("America/Santiago")
DAYTIME = SendWindow(time(9), time(20))
WEEKENDS_ONLY = business_day_checker(None)


def local(tz: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    year, month, day, hour, minute, second = (*parts, 0, 0, 0)[:6]
    return datetime(year, month, day, hour, minute, second, tzinfo=tz, fold=fold)


def utc(*parts: int) -> datetime:
    return local(ZoneInfo("UTC"), *parts).replace(tzinfo=UTC)


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class Spec:
    """A step as timing sees it (a plan's Step is one): the plan's own offset value."""

    due: Due
    business_days: bool = False
    id: str = "step"


def spec(
    days: int = 0, hours: int = 0, minutes: int = 0, at: time | None = None, business: bool = False
) -> Spec:
    text = f"{days}d{hours}h{minutes}m" + (f" at {at:%H:%M}" if at is not None else "")
    return Spec(parse_due(text), business)


def named(name: str, step: Spec) -> Spec:
    return Spec(step.due, step.business_days, name)


def due_of(anchor: datetime, step: Spec, tz: ZoneInfo, is_business_day: DayCheck) -> datetime:
    return offset_due(anchor, step.due, tz, is_business_day if step.business_days else None)


MONDAY_3PM = local(NY, 2026, 6, 15, 15, 0)


@pytest.mark.parametrize(
    ("anchor", "due_spec", "expected"),
    [
        pytest.param(MONDAY_3PM, spec(), local(NY, 2026, 6, 15, 15, 0), id="0m"),
        pytest.param(MONDAY_3PM, spec(hours=36), local(NY, 2026, 6, 17, 3, 0), id="36h"),
        pytest.param(MONDAY_3PM, spec(days=2), local(NY, 2026, 6, 17, 15, 0), id="2d"),
        pytest.param(MONDAY_3PM, spec(1, hours=12), local(NY, 2026, 6, 17, 3, 0), id="1d12h"),
        pytest.param(MONDAY_3PM, spec(days=14), local(NY, 2026, 6, 29, 15, 0), id="2w"),
        pytest.param(
            MONDAY_3PM, spec(2, at=time(18)), local(NY, 2026, 6, 17, 18, 0), id="2d at 18:00"
        ),
        pytest.param(
            MONDAY_3PM, spec(1, at=time(9)), local(NY, 2026, 6, 16, 9, 0), id="1d at 09:00"
        ),
        pytest.param(
            MONDAY_3PM, spec(at=time(9)), local(NY, 2026, 6, 16, 9, 0), id="0d at 09:00 late"
        ),
        pytest.param(
            local(NY, 2026, 6, 15, 7, 0),
            spec(at=time(9)),
            local(NY, 2026, 6, 15, 9, 0),
            id="0d at 09:00 early",
        ),
        pytest.param(
            local(NY, 2026, 6, 15, 9, 0),
            spec(at=time(9)),
            local(NY, 2026, 6, 16, 9, 0),
            id="0d at 09:00 reported at 09:00",
        ),
    ],
)
def test_offsets(anchor: datetime, due_spec: Spec, expected: datetime) -> None:
    due = due_of(anchor.astimezone(UTC), due_spec, NY, WEEKENDS_ONLY)
    assert due == expected
    assert due.tzinfo is UTC


US = business_day_checker("US")
GB = business_day_checker("GB")


@pytest.mark.parametrize(
    ("anchor", "due_spec", "is_business_day", "expected"),
    [
        pytest.param(
            local(NY, 2026, 11, 20, 15, 0),
            spec(2, business=True),
            US,
            local(NY, 2026, 11, 24, 15, 0),
            id="Friday + 2 business days is Tuesday",
        ),
        pytest.param(
            local(NY, 2026, 11, 25, 10, 0),
            spec(1, business=True),
            US,
            local(NY, 2026, 11, 27, 10, 0),
            id="Thanksgiving skipped",
        ),
        pytest.param(
            local(NY, 2026, 11, 25, 10, 0),
            spec(1, business=True),
            WEEKENDS_ONLY,
            local(NY, 2026, 11, 26, 10, 0),
            id="no country: Thanksgiving is a business day",
        ),
        pytest.param(
            local(LONDON, 2026, 5, 1, 10, 0),
            spec(1, business=True),
            GB,
            local(LONDON, 2026, 5, 5, 10, 0),
            id="UK May Day bank holiday skipped",
        ),
        pytest.param(
            local(NY, 2026, 11, 20, 20, 0),
            spec(hours=36, business=True),
            US,
            local(NY, 2026, 11, 23, 8, 0),
            id="36h landing on Sunday moves to Monday",
        ),
        pytest.param(
            local(NY, 2026, 11, 21, 12, 0),
            spec(1, business=True),
            US,
            local(NY, 2026, 11, 23, 12, 0),
            id="Saturday + 1 business day is Monday",
        ),
        pytest.param(
            local(NY, 2026, 11, 21, 12, 0),
            spec(at=time(9), business=True),
            US,
            local(NY, 2026, 11, 23, 9, 0),
            id="0d at 09:00 on a Saturday is Monday",
        ),
        pytest.param(
            local(NY, 2026, 11, 20, 15, 0),
            spec(at=time(9), business=True),
            US,
            local(NY, 2026, 11, 23, 9, 0),
            id="0d at 09:00 late on Friday is Monday",
        ),
        pytest.param(
            local(ZoneInfo("Asia/Jerusalem"), 2026, 6, 11, 10, 0),
            spec(1, business=True),
            business_day_checker("IL"),
            local(ZoneInfo("Asia/Jerusalem"), 2026, 6, 14, 10, 0),
            id="Israel's weekend is Friday and Saturday",
        ),
    ],
)
def test_business_days(
    anchor: datetime, due_spec: Spec, is_business_day: DayCheck, expected: datetime
) -> None:
    tz = expected.tzinfo
    assert isinstance(tz, ZoneInfo)
    assert due_of(anchor.astimezone(UTC), due_spec, tz, is_business_day) == expected


def test_business_day_checker_countries() -> None:
    thanksgiving = datetime(2026, 11, 26).date()
    assert not US(thanksgiving)
    assert not business_day_checker("us")(thanksgiving)
    assert WEEKENDS_ONLY(thanksgiving)
    assert business_day_checker("XX")(thanksgiving)  # unknown country: weekends only
    assert not business_day_checker("XX")(datetime(2026, 11, 28).date())
    assert GB(thanksgiving)
    assert not GB(datetime(2026, 12, 28).date())  # Boxing Day observed


@pytest.mark.parametrize(
    ("instant", "window", "expected", "moved"),
    [
        ("2026-06-15T07:00-04:00", DAYTIME, "2026-06-15T09:00-04:00", True),
        ("2026-06-15T00:30-04:00", DAYTIME, "2026-06-15T09:00-04:00", True),
        ("2026-06-15T09:00-04:00", DAYTIME, "2026-06-15T09:00-04:00", False),
        ("2026-06-15T12:00-04:00", DAYTIME, "2026-06-15T12:00-04:00", False),
        ("2026-06-15T19:59:59-04:00", DAYTIME, "2026-06-15T19:59:59-04:00", False),
        ("2026-06-15T20:00-04:00", DAYTIME, "2026-06-16T09:00-04:00", True),
        ("2026-06-15T22:30-04:00", DAYTIME, "2026-06-16T09:00-04:00", True),
        ("2026-06-15T03:00-04:00", SendWindow.ANY, "2026-06-15T03:00-04:00", False),
        ("2026-06-15T23:59-04:00", SendWindow(time(18), None), "2026-06-15T23:59-04:00", False),
        ("2026-06-15T17:00-04:00", SendWindow(time(18), None), "2026-06-15T18:00-04:00", True),
    ],
    ids=[
        "before",
        "night",
        "at start",
        "inside",
        "last second",
        "at end",
        "after end",
        "any time",
        "until midnight",
        "until midnight, early",
    ],
)
def test_window_placement(instant: str, window: SendWindow, expected: str, moved: bool) -> None:
    placed, was_moved = place_in_window(iso(instant), NY, window)
    assert (placed, was_moved) == (iso(expected), moved)
    assert placed.tzinfo is UTC


def test_window_skips_closed_days_for_business_steps() -> None:
    friday_night = local(NY, 2026, 11, 20, 21).astimezone(UTC)
    assert place_in_window(friday_night, NY, DAYTIME, US) == (local(NY, 2026, 11, 23, 9), True)
    assert place_in_window(friday_night, NY, DAYTIME) == (local(NY, 2026, 11, 21, 9), True)
    saturday_noon = local(NY, 2026, 11, 21, 12).astimezone(UTC)
    assert place_in_window(saturday_noon, NY, SendWindow.ANY) == (saturday_noon, False)
    assert place_in_window(saturday_noon, NY, SendWindow.ANY, US) == (local(NY, 2026, 11, 23), True)


def test_next_window_opening_is_at_or_after() -> None:
    assert next_window_opening(local(NY, 2026, 6, 15, 9), NY, DAYTIME) == local(NY, 2026, 6, 15, 9)
    assert next_window_opening(local(NY, 2026, 6, 15, 12), NY, DAYTIME) == local(NY, 2026, 6, 16, 9)
    with pytest.raises(ValueError, match="never opens"):
        next_window_opening(local(NY, 2026, 6, 15, 12), NY, DAYTIME, lambda day: False)


def test_window_values() -> None:
    assert SendWindow.ANY.is_any_time
    assert not DAYTIME.is_any_time
    assert str(DAYTIME) == "09:00-20:00"
    assert str(SendWindow.ANY) == "00:00-24:00"
    with pytest.raises(ValueError, match="start before it ends"):
        SendWindow(time(20), time(9))
    with pytest.raises(ValueError, match="start before it ends"):
        SendWindow(time(9), time(9))


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_of(datetime(2026, 6, 15, 12), spec(), NY, WEEKENDS_ONLY)
    with pytest.raises(ValueError, match="naive wall time"):
        localize(MONDAY_3PM, NY)


# DST: America/New_York springs forward 2026-03-08 02:00 -> 03:00 and falls back
# 2026-11-01 02:00 -> 01:00; Europe/London 2026-03-29 01:00 -> 02:00 and 2026-10-25 02:00 -> 01:00;
# Australia/Lord_Howe moves only 30 minutes (2026-10-04 02:00 -> 02:30, 2026-04-05 02:00 -> 01:30).
@pytest.mark.parametrize(
    ("tz", "anchor", "due_spec", "expected"),
    [
        pytest.param(
            NY, "2026-03-06T15:00-05:00", spec(2), "2026-03-08T15:00-04:00", id="2d is wall time"
        ),
        pytest.param(
            NY, "2026-03-06T15:00-05:00", spec(hours=48), "2026-03-08T16:00-04:00", id="48h elapsed"
        ),
        pytest.param(
            NY, "2026-03-07T02:30-05:00", spec(1), "2026-03-08T03:30-04:00", id="gap moves forward"
        ),
        pytest.param(
            NY,
            "2026-03-07T12:00-05:00",
            spec(at=time(2, 30)),
            "2026-03-08T03:30-04:00",
            id="at gap",
        ),
        pytest.param(
            NY, "2026-10-31T01:30-04:00", spec(1), "2026-11-01T01:30-04:00", id="repeat: first"
        ),
        pytest.param(
            NY, "2026-11-01T01:30-05:00", spec(), "2026-11-01T01:30-05:00", id="0m in second 01:30"
        ),
        pytest.param(
            NY, "2026-11-01T01:30-04:00", spec(hours=1), "2026-11-01T01:30-05:00", id="1h in repeat"
        ),
        pytest.param(
            NY, "2026-10-31T12:00-04:00", spec(1), "2026-11-01T12:00-05:00", id="1d is 25h"
        ),
        pytest.param(
            NY,
            "2026-10-31T12:00-04:00",
            spec(at=time(1, 30)),
            "2026-11-01T01:30-04:00",
            id="at 01:30",
        ),
        pytest.param(
            LONDON, "2026-03-28T01:30Z", spec(1), "2026-03-29T02:30+01:00", id="London gap"
        ),
        pytest.param(
            LONDON, "2026-03-27T10:00Z", spec(2), "2026-03-29T10:00+01:00", id="London 2d"
        ),
        pytest.param(
            LONDON, "2026-10-24T01:30+01:00", spec(1), "2026-10-25T01:30+01:00", id="London repeat"
        ),
        pytest.param(
            LORD_HOWE, "2026-10-03T02:15+10:30", spec(1), "2026-10-04T02:45+11:00", id="30 min gap"
        ),
        pytest.param(
            LORD_HOWE,
            "2026-04-04T01:45+11:00",
            spec(1),
            "2026-04-05T01:45+11:00",
            id="30 min repeat",
        ),
        pytest.param(
            SANTIAGO,
            "2026-09-05T12:00-04:00",
            spec(at=time(0, 30)),
            "2026-09-06T01:30-03:00",
            id="Santiago gap at midnight",
        ),
    ],
)
def test_offsets_across_dst(tz: ZoneInfo, anchor: str, due_spec: Spec, expected: str) -> None:
    due = due_of(iso(anchor), due_spec, tz, WEEKENDS_ONLY)
    assert due == iso(expected)
    assert due.astimezone(tz).utcoffset() == iso(expected).utcoffset()


SPRING_0230 = SendWindow(time(2, 30), time(20))
FALL_0130 = SendWindow(time(1, 30), time(20))


@pytest.mark.parametrize(
    ("tz", "instant", "window", "expected"),
    [
        pytest.param(
            NY, "2026-03-08T01:00-05:00", SPRING_0230, "2026-03-08T03:00-04:00", id="gap start"
        ),
        pytest.param(
            NY, "2026-03-08T03:10-04:00", SPRING_0230, "2026-03-08T03:10-04:00", id="after gap"
        ),
        pytest.param(
            NY, "2026-03-08T00:00-05:00", DAYTIME, "2026-03-08T09:00-04:00", id="spring morning"
        ),
        pytest.param(
            NY, "2026-11-01T01:15-05:00", FALL_0130, "2026-11-01T01:30-05:00", id="second 01:15"
        ),
        pytest.param(
            NY, "2026-11-01T01:15-04:00", FALL_0130, "2026-11-01T01:30-04:00", id="first 01:15"
        ),
        pytest.param(
            NY,
            "2026-11-01T01:45-04:00",
            SendWindow(time(1), time(1, 30)),
            "2026-11-01T01:00-05:00",
            id="repeated hour reopens a short window",
        ),
        pytest.param(
            LONDON, "2026-03-29T08:30+01:00", DAYTIME, "2026-03-29T09:00+01:00", id="London BST"
        ),
        pytest.param(LONDON, "2026-10-25T08:30Z", DAYTIME, "2026-10-25T09:00Z", id="London GMT"),
        pytest.param(
            LORD_HOWE,
            "2026-10-04T01:00+10:30",
            SendWindow(time(2, 15), None),
            "2026-10-04T02:30+11:00",
            id="Lord Howe start in the gap",
        ),
    ],
)
def test_window_across_dst(tz: ZoneInfo, instant: str, window: SendWindow, expected: str) -> None:
    placed, moved = place_in_window(iso(instant), tz, window)
    assert placed == iso(expected)
    assert placed >= iso(instant)
    assert moved is (placed != iso(instant))


def test_localize_gap_and_repeat() -> None:
    assert localize(datetime(2026, 3, 8, 2, 30), NY) == local(NY, 2026, 3, 8, 3, 30)
    first = localize(datetime(2026, 11, 1, 1, 30), NY)
    assert first.utcoffset() == timedelta(hours=-4)
    assert first.replace(tzinfo=None) == datetime(2026, 11, 1, 1, 30)
    assert localize(datetime(2026, 10, 4, 2, 15), LORD_HOWE).utcoffset() == timedelta(hours=11)


def test_plan_timeline_standard_plan_over_thanksgiving() -> None:
    anchor = local(NY, 2026, 11, 25, 15).astimezone(UTC)
    steps = [
        named("grieve", spec()),
        named("reflect", spec(hours=36)),
        named("feedback", spec(2, at=time(18), business=True)),
        named("research", spec(3)),
        named("apply", spec(7)),
    ]
    timeline = plan_timeline(anchor, steps, NY, DAYTIME, "US")
    assert [(name, p.due_local, p.moved_by_window) for name, p in timeline] == [
        ("grieve", local(NY, 2026, 11, 25, 15), False),
        ("reflect", local(NY, 2026, 11, 27, 9), True),
        ("research", local(NY, 2026, 11, 28, 15), False),
        ("feedback", local(NY, 2026, 11, 30, 18), False),
        ("apply", local(NY, 2026, 12, 2, 15), False),
    ]
    reflect = timeline[1][1]
    assert reflect.offset_due_utc == utc(2026, 11, 27, 8)
    assert reflect.due_utc == utc(2026, 11, 27, 14)
    assert reflect.due_utc.tzinfo is UTC
    assert reflect.due_local.tzinfo == NY


def test_plan_timeline_spreads_a_burst_in_input_order() -> None:
    anchor = local(NY, 2026, 6, 15, 12).astimezone(UTC)
    steps = [named("late", spec(minutes=1)), named("b", spec()), named("a", spec())]
    timeline = plan_timeline(anchor, steps, NY, DAYTIME, None)
    assert [(name, p.due_local.time()) for name, p in timeline] == [
        ("b", time(12)),
        ("a", time(12, 3)),
        ("late", time(12, 6)),
    ]
    assert not any(p.moved_by_window for _, p in timeline)


def test_plan_timeline_spread_past_window_end_waits_for_next_opening() -> None:
    anchor = local(NY, 2026, 6, 15, 19, 58).astimezone(UTC)
    timeline = plan_timeline(anchor, [named("a", spec()), named("b", spec())], NY, DAYTIME, None)
    assert [(p.due_local, p.moved_by_window) for _, p in timeline] == [
        (local(NY, 2026, 6, 15, 19, 58), False),
        (local(NY, 2026, 6, 16, 9), True),
    ]


def test_plan_timeline_night_report_opens_with_spaced_steps() -> None:
    anchor = local(NY, 2026, 6, 15, 3).astimezone(UTC)
    timeline = plan_timeline(
        anchor,
        [named("a", spec()), named("b", spec()), named("c", spec(hours=1))],
        NY,
        DAYTIME,
        None,
    )
    assert [p.due_local.time() for _, p in timeline] == [time(9), time(9, 3), time(9, 6)]
    assert all(p.moved_by_window for _, p in timeline)


def test_plan_timeline_marks_a_step_the_window_held_behind_a_timed_one() -> None:
    """Reported at 3 am: "at once" waits for the window and goes out behind "at 09:00", spread
    after it. The window moved it (from 3 am), though spreading alone would place it there too
    once it is behind (hypothesis found this on New York's spring-forward night)."""
    anchor = local(NY, 2026, 6, 15, 3).astimezone(UTC)
    steps = [named("nine", spec(at=time(9))), named("at_once", spec())]
    timeline = plan_timeline(anchor, steps, NY, DAYTIME, None)
    assert [(name, p.due_local.time(), p.moved_by_window) for name, p in timeline] == [
        ("nine", time(9), False),
        ("at_once", time(9, 3), True),
    ]


def test_spread_burst_values() -> None:
    base = utc(2026, 6, 15, 16)
    assert spread_burst([base, base], NY, SendWindow.ANY, timedelta(0)) == [
        (base, False),
        (base, False),
    ]
    assert spread_burst([base, base], NY, SendWindow.ANY) == [
        (base, False),
        (base + timedelta(minutes=3), False),
    ]
    with pytest.raises(ValueError, match="negative"):
        spread_burst([base], NY, SendWindow.ANY, timedelta(minutes=-1))
    with pytest.raises(ValueError, match="one entry per instant"):
        spread_burst([base, base], NY, SendWindow.ANY, open_days=[None])

"""Pure due-time arithmetic: offsets from a rejection, send windows, DST and per-person spreading.

What these functions decide is what people see (`onward plans preview` prints it as is):

* The anchor is the aware instant the rejection was reported. An offset's day and week
  parts are calendar days on the person's local wall clock: "2d" from Monday 15:00 is
  Wednesday 15:00 local even when the clocks change in between. The hour and minute part
  is then added as elapsed time: "36h" is always 36 real hours.
* With `business_days`, the day part counts business days (skipping the country's weekend
  and public holidays; an unknown country skips Saturdays and Sundays only), and a step whose
  local date is still not a business day moves to the next one at the same wall time.
  Counting starts from the report's date: "1 business day" after a Saturday is Monday.
* "at HH:MM" puts the step on the local day the offset reaches, at HH:MM local; if that is
  at or before the anchor ("0d at 09:00" reported at 15:00), on the next (business) day.
* A wall time that does not exist (clocks spring forward) moves forward by the gap: 02:30
  becomes 03:30. A wall time that happens twice (clocks fall back) means its first occurrence.
* Send window, in local time: a step whose wall time is in [start, end) stays; any other
  waits for the next opening, the earliest later instant at the window's start (today's if
  still ahead, else the next day's, for a business-day step the next business day's). A
  start inside a DST gap opens when the gap ends (02:30 opens at 03:00 on spring-forward
  night). "00:00-24:00" means any time (for a business-day step, any time of a business day).
* One person's steps never arrive as a burst: steps landing within `spread` (3 minutes by
  default) of each other are spaced `spread` apart in plan order; one pushed past the
  window's end waits for the next opening, and that counts as moved by the window.

Every datetime returned is aware; UTC unless its name says local.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

import holidays

from onward.plans.values import Due, SendWindow

DayCheck = Callable[[date], bool]

DEFAULT_SPREAD = timedelta(minutes=3)
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Far more than any run of weekends and holidays; it only stops a calendar that never opens.
_SEARCH_DAYS = 400
_SATURDAY_SUNDAY = frozenset({5, 6})


class Timed(Protocol):
    """A step as timing sees it: a plan's `Step` is one."""

    @property
    def id(self) -> str: ...
    @property
    def due(self) -> Due: ...
    @property
    def business_days(self) -> bool: ...


class Placement(NamedTuple):
    """Where a step lands (a tuple: a new run makes one for each of its steps)."""

    due_utc: datetime
    due_local: datetime
    offset_due_utc: datetime
    moved_by_window: bool


def localize(naive_local: datetime, tz: ZoneInfo) -> datetime:
    """A wall time as an instant: one in a gap moves forward by the gap, a repeat is the first."""
    return _instant(naive_local, tz).astimezone(tz)


def business_day_checker(country: str | None) -> DayCheck:
    """A test for business days: not the country's weekend and not one of its public holidays."""
    code = (country or "").strip().upper()
    weekend = _weekend_of(code)

    def is_business_day(day: date) -> bool:
        return day.weekday() not in weekend and day not in _public_holidays(code, day.year)

    return is_business_day


def offset_due(anchor: datetime, spec: Due, tz: ZoneInfo, open_day: DayCheck | None) -> datetime:
    """When `spec` falls due for a rejection reported at `anchor`, before any send window.

    `open_day` is the business-day test for a step counted in business days, else None.
    """
    reported = _utc(anchor, "anchor")
    local = reported.astimezone(tz)
    day = local.date()
    if open_day is None:
        day += spec.days * _ONE_DAY  # calendar days: no day is skipped
    else:
        for _ in range(spec.days):
            day = _following_day(day, open_day)
    # On the report's own day keep the instant itself: re-reading its wall time would put a
    # report made during the second 01:30 of a fall-back night an hour before it was made.
    base = reported if day == local.date() else _instant(datetime.combine(day, local.time()), tz)
    reached = base + spec.delta
    if open_day is not None:
        reached = _on_open_day(reached, tz, open_day)
    if spec.at is None:
        return reached
    day = reached.astimezone(tz).date()
    due = _instant(datetime.combine(day, spec.at), tz)
    while due <= reported:
        day = _following_day(day, open_day)
        due = _instant(datetime.combine(day, spec.at), tz)
    return due


def place_in_window(
    instant: datetime, tz: ZoneInfo, window: SendWindow, is_open_day: DayCheck | None = None
) -> tuple[datetime, bool]:
    """`instant` if the window is open then, else its next opening; True when it moved."""
    moment = _utc(instant, "instant")
    if _is_open(moment, tz, window, is_open_day):
        return moment, False
    return next_window_opening(moment, tz, window, is_open_day), True


def window_closes_at(instant: datetime, tz: ZoneInfo, window: SendWindow) -> datetime | None:
    """When the window that is open at `instant` closes (None for an any-time window).

    A provider may hold a message this long at most: past it, the message would arrive at night.
    """
    if window.is_any_time:
        return None
    local = _utc(instant, "instant").astimezone(tz)
    if window.end is None:
        return localize(datetime.combine(local.date() + _ONE_DAY, time(0)), tz).astimezone(UTC)
    return localize(datetime.combine(local.date(), window.end), tz).astimezone(UTC)


def next_window_opening(
    instant: datetime, tz: ZoneInfo, window: SendWindow, is_open_day: DayCheck | None = None
) -> datetime:
    """The earliest instant at or after `instant` where the window opens (on an open day)."""
    moment = _utc(instant, "instant")
    day = moment.astimezone(tz).date()
    for _ in range(_SEARCH_DAYS):
        if is_open_day is None or is_open_day(day):
            for opening in _openings(day, window.start, tz):
                if opening >= moment and _is_open(opening, tz, window, is_open_day):
                    return opening
        day += _ONE_DAY
    raise ValueError(f"the send window {window} never opens within {_SEARCH_DAYS} days")


def spread_burst(
    instants: Sequence[datetime],
    tz: ZoneInfo,
    window: SendWindow,
    spread: timedelta = DEFAULT_SPREAD,
    open_days: Sequence[DayCheck | None] | None = None,
) -> list[tuple[datetime, bool]]:
    """Space one person's instants, given in due order, at least `spread` apart inside the window.

    Each result is the later of its own instant and `spread` after the previous result, then
    placed in the window (with that instant's open-day test); True where the window moved it.
    """
    if spread < timedelta(0):
        raise ValueError(f"spread cannot be negative, not {spread}")
    if open_days is not None and len(open_days) != len(instants):
        raise ValueError("open_days needs one entry per instant")
    spaced: list[tuple[datetime, bool]] = []
    for index, instant in enumerate(instants):
        candidate = _utc(instant, "instant")
        if spaced:
            candidate = max(candidate, spaced[-1][0] + spread)
        open_day = None if open_days is None else open_days[index]
        spaced.append(place_in_window(candidate, tz, window, open_day))
    return spaced


def plan_timeline(
    anchor: datetime,
    steps: Sequence[Timed],
    tz: ZoneInfo,
    window: SendWindow,
    country: str | None,
    spread: timedelta = DEFAULT_SPREAD,
) -> list[tuple[str, Placement]]:
    """Each step's placement for a report at `anchor`, in due order (ties keep input order)."""
    is_business_day = business_day_checker(country)
    rows: list[tuple[datetime, str, datetime, DayCheck | None]] = []
    for step in steps:
        open_day = is_business_day if step.business_days else None
        due = offset_due(anchor, step.due, tz, open_day)
        rows.append((place_in_window(due, tz, window, open_day)[0], step.id, due, open_day))
    rows.sort(key=lambda row: row[0])  # sort is stable: equal instants keep the plan's order
    spaced = spread_burst([row[0] for row in rows], tz, window, spread, [row[3] for row in rows])
    timeline: list[tuple[str, Placement]] = []
    unwindowed: datetime | None = None
    for (windowed, name, due, _), (final, _) in zip(rows, spaced, strict=True):
        # Moved by the window: its own offset was outside it, or spreading alone would have
        # placed it elsewhere (the order is the windowed one: a step held from the night can
        # follow a timed step it would otherwise precede).
        unwindowed = due if unwindowed is None else max(due, unwindowed + spread)
        moved = windowed != due or final != unwindowed
        timeline.append((name, Placement(final, final.astimezone(tz), due, moved)))
    return timeline


def _instant(naive_local: datetime, tz: ZoneInfo) -> datetime:
    """`localize`'s instant in UTC, for callers that need no local time back."""
    if naive_local.tzinfo is not None:
        raise ValueError(f"localize() takes a naive wall time, not {naive_local.isoformat()}")
    # PEP 495: fold=0 reads the wall time with the offset in force before a transition,
    # which is exactly "forward by the gap" in a gap and "first occurrence" in a repeat.
    return naive_local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is UTC:  # most values here are already: no conversion to make
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, not naive {value.isoformat()}")
    return value.astimezone(UTC)


def _is_open(
    moment: datetime, tz: ZoneInfo, window: SendWindow, is_open_day: DayCheck | None
) -> bool:
    local = moment.astimezone(tz)
    return (is_open_day is None or is_open_day(local.date())) and window.contains(local.time())


def _following_day(day: date, is_open_day: DayCheck | None) -> date:
    for _ in range(_SEARCH_DAYS):
        day += _ONE_DAY
        if is_open_day is None or is_open_day(day):
            return day
    raise ValueError(f"no business day within {_SEARCH_DAYS} days of {day.isoformat()}")


def _on_open_day(moment: datetime, tz: ZoneInfo, is_open_day: DayCheck) -> datetime:
    local = moment.astimezone(tz)
    if is_open_day(local.date()):
        return moment
    day = _following_day(local.date(), is_open_day)
    return _instant(datetime.combine(day, local.time()), tz)


def _openings(day: date, start: time, tz: ZoneInfo) -> list[datetime]:
    """Instants where the window starts on `day`: two in a repeated hour, the gap's end in a gap."""
    wall = datetime.combine(day, start)
    first = _instant(wall, tz)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if first == second:
        return [first]
    if first < second:
        return [first, second]
    return [_gap_end(wall, tz, second, first)]


def _gap_end(wall: datetime, tz: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first instant whose wall time passes `wall`, which lies in a gap.

    `before` reads `wall` with the offset after the jump, `after` with the one before it, so
    the transition lies between them; transitions fall on whole seconds.
    """
    low = (before - _EPOCH) // _ONE_SECOND
    high = -((_EPOCH - after) // _ONE_SECOND)
    while high - low > 1:
        middle = (low + high) // 2
        probe = _EPOCH + middle * _ONE_SECOND
        if probe.astimezone(tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return _EPOCH + high * _ONE_SECOND


@lru_cache(maxsize=64)
def _weekend_of(code: str) -> frozenset[int]:
    calendar = _country_calendar(code)
    return _SATURDAY_SUNDAY if calendar is None else frozenset(calendar.weekend)


@lru_cache(maxsize=512)
def _public_holidays(code: str, year: int) -> frozenset[date]:
    calendar = _country_calendar(code, year)
    return frozenset() if calendar is None else frozenset(calendar)


def _country_calendar(code: str, year: int | None = None) -> holidays.HolidayBase | None:
    if not code:
        return None
    try:
        return holidays.country_holidays(code, years=year)
    except NotImplementedError:  # a country the holidays package does not know
        return None

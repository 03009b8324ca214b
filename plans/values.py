"""The two small text formats inside a plan, due offsets and send windows, parsed into values.

Offsets are one or more ``<n><unit>`` parts with units ``w`` (weeks), ``d`` (days), ``h``
(hours) and ``m`` (minutes), written largest first (``1d12h``, not ``12h1d``) and each unit at
most once, optionally followed by `` at HH:MM`` to snap to a local time of day:
``0m``, ``36h``, ``1d12h``, ``2w``, ``2d at 18:00``. Spaces between parts are allowed and case is
ignored. An offset is never negative and never more than 365 days.

A send window is ``HH:MM-HH:MM`` in the person's local time; it must start before it ends,
``24:00`` may only end it, and ``00:00-24:00`` means any time. Windows across midnight are
refused: onward's windows exist to keep nudges out of the night, never to aim them at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from typing import ClassVar

MAX_OFFSET_DAYS = 365
# Largest first: the order in which parts must be written.
UNITS = ("w", "d", "h", "m")
_MINUTES = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
_UNIT_NAMES = "m, h, d or w"

_DUE = re.compile(r"(?P<offset>.*?)(?:\s+at(?:\s+(?P<at>.*))?)?", re.DOTALL)
_PART = re.compile(r"(\d+)([a-z]+)")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_WINDOW = re.compile(r"(?P<start>[^-]*?)\s*-\s*(?P<end>[^-]*)")


@dataclass(frozen=True, slots=True)
class Due:
    """When a step is due, relative to the rejection (or, for a reminder, to its step).

    ``days`` counts weeks as 7 days; ``delta`` is the hours-and-minutes part; ``at`` snaps the
    result to a local time of day. ``parts`` keeps the ``(n, unit)`` pairs as written.
    """

    raw: str
    days: int
    delta: timedelta
    at: time | None
    parts: tuple[tuple[int, str], ...]

    @property
    def offset(self) -> timedelta:
        """The calendar offset, ignoring ``at`` and business days (handy for ordering)."""
        return timedelta(days=self.days) + self.delta

    @property
    def uses_weeks(self) -> bool:
        return any(unit == "w" for _, unit in self.parts)

    def canonical(self) -> str:
        """The offset as onward would write it: zero parts dropped, ``at`` as ``HH:MM``."""
        text = "".join(f"{n}{unit}" for n, unit in self.parts if n) or "0m"
        return f"{text} at {self.at:%H:%M}" if self.at is not None else text

    def __str__(self) -> str:
        return self.raw


@dataclass(frozen=True, slots=True)
class SendWindow:
    """Local hours in which nudges may be sent: [start, end), ``end`` None meaning 24:00."""

    start: time
    end: time | None
    ANY: ClassVar[SendWindow]

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"a send window must start before it ends, not {self}")

    @property
    def is_any_time(self) -> bool:
        return self.start == time(0, 0) and self.end is None

    def contains(self, moment: time) -> bool:
        return self.start <= moment and (self.end is None or moment < self.end)

    def __str__(self) -> str:
        end = "24:00" if self.end is None else f"{self.end:%H:%M}"
        return f"{self.start:%H:%M}-{end}"


SendWindow.ANY = SendWindow(time(0), None)


# Where neither the operator nor the plan says otherwise: no nudges in the night.
DEFAULT_WINDOW = SendWindow(time(9), time(20))


def parse_due(text: str) -> Due:
    """Parse an offset such as ``36h`` or ``2d at 18:00``; raise ValueError saying what is wrong."""
    cleaned = text.strip().lower()
    match = _DUE.fullmatch(cleaned)
    if not cleaned or match is None:
        raise ValueError("empty offset; write something like 0m, 36h, 2d or 2d at 18:00")
    offset, at_text = match.group("offset"), match.group("at")
    if cleaned.startswith("at"):
        raise ValueError(f"give an offset before 'at', e.g. '0d {cleaned}'")
    if match.group(0) != offset and at_text is None:
        raise ValueError(f"{text.strip()!r} ends with 'at'; add a time such as 'at 18:00'")
    parts = _parse_parts(re.sub(r"\s+", "", offset), text.strip())
    at = _parse_time(at_text.strip()) if at_text is not None else None
    count = {unit: n for n, unit in parts}
    total = sum(n * _MINUTES[unit] for n, unit in parts)
    if total > MAX_OFFSET_DAYS * _MINUTES["d"]:
        raise ValueError(f"offset {text.strip()!r} is more than {MAX_OFFSET_DAYS} days")
    return Due(
        raw=text.strip(),
        days=count.get("w", 0) * 7 + count.get("d", 0),
        delta=timedelta(hours=count.get("h", 0), minutes=count.get("m", 0)),
        at=at,
        parts=tuple(parts),
    )


def _parse_parts(compact: str, shown: str) -> list[tuple[int, str]]:
    if compact.startswith("-"):
        raise ValueError(f"offset {shown!r} is negative; steps can only come after the rejection")
    if compact.isdigit():
        raise ValueError(f"offset {shown!r} has no unit; use {_UNIT_NAMES} (e.g. {compact}d)")
    if _PART.sub("", compact):
        raise ValueError(
            f"cannot read offset {shown!r}; write whole-number parts like 2d, 36h or 1d12h"
        )
    parts = [(int(n), unit) for n, unit in _PART.findall(compact)]
    seen: list[str] = []
    for _, unit in parts:
        if unit not in _MINUTES:
            raise ValueError(f"unknown unit {unit!r} in {shown!r}; use {_UNIT_NAMES}")
        if unit in seen:
            raise ValueError(f"unit {unit!r} appears twice in {shown!r}; add the parts together")
        seen.append(unit)
    if seen != sorted(seen, key=UNITS.index):
        ordered = "".join(f"{n}{u}" for n, u in sorted(parts, key=lambda p: UNITS.index(p[1])))
        raise ValueError(f"write the parts of {shown!r} largest first: {ordered!r}")
    return parts


def _parse_time(text: str) -> time:
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError(f"bad time {text!r}; use HH:MM, e.g. 18:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"bad time {text!r}; use a time from 00:00 to 23:59")
    return time(hour, minute)


def parse_window(text: str) -> SendWindow:
    """Parse ``HH:MM-HH:MM``; raise ValueError saying what is wrong."""
    match = _WINDOW.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"bad send window {text!r}; use HH:MM-HH:MM, e.g. 09:00-20:00")
    start_text, end_text = match.group("start"), match.group("end")
    if start_text == "24:00":
        raise ValueError("24:00 can only end a send window; start the day at 00:00")
    start = _parse_time(start_text)
    # 24:00 is the end of the day; there is no such datetime.time, so it is None.
    end = None if end_text == "24:00" else _parse_time(end_text)
    if end is not None and end <= start:
        raise ValueError(
            f"send window {text.strip()!r} must start before it ends "
            "(windows across midnight are not supported)"
        )
    return SendWindow(start=start, end=end)

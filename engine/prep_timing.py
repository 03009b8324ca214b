"""When the prep nudge before an interview goes: 18:00 local the day before, inside the send
window; as soon as the window allows when that evening is gone; never with under two hours to go.

An evening outside the window moves inside it that same day (to the window's last hour when it
closes before 18:00, to its opening when it opens after), rather than to the next morning,
which would often be the interview's own. Pure: aware datetimes in, an aware UTC one out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from onward.engine.timing import localize, place_in_window
from onward.plans import SendWindow

PREP_AT = time(18, 0)
# Under this, a prep nudge comes too late to help (and would crowd the interview itself).
PREP_LEAD = timedelta(hours=2)
_LAST_HOUR = timedelta(hours=1)


def prep_due(
    interview: datetime, now: datetime, tz: ZoneInfo, window: SendWindow
) -> datetime | None:
    """When to send the prep nudge for `interview`, or None when there is no good time left."""
    if interview - now < PREP_LEAD:
        return None
    evening = _evening(interview.astimezone(tz).date() - timedelta(days=1), tz, window)
    due = evening if evening > now else place_in_window(now, tz, window)[0]
    return due.astimezone(UTC) if interview - due >= PREP_LEAD else None


def _evening(day: date, tz: ZoneInfo, window: SendWindow) -> datetime:
    if window.contains(PREP_AT):
        return localize(datetime.combine(day, PREP_AT), tz)
    opens = localize(datetime.combine(day, window.start), tz)
    if window.end is not None and window.end <= PREP_AT:
        closes = localize(datetime.combine(day, window.end), tz)
        return max(opens, closes - _LAST_HOUR)
    return opens

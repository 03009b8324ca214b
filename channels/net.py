"""Small network helpers the channels share: is a host this machine, and when may we retry."""

from __future__ import annotations

import ipaddress
import math
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


def is_loopback_host(host: str | None) -> bool:
    """An address of this machine (or `localhost`). Names other than localhost are not trusted:
    `127.mail.example.com` is a name like any other."""
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


# Bigger Retry-After values are clamped so adding them to a datetime can never overflow.
_LONGEST_RETRY_AFTER = timedelta(days=366)
_DELTA_SECONDS = re.compile(r"\d{1,12}(?:\.\d{1,6})?")


def parse_retry_after(value: str | None, now: datetime | None) -> timedelta | None:
    """Read an HTTP Retry-After header: delta-seconds ("120") or an HTTP-date.

    A date in the past gives zero; junk or an absent header gives None, and so does a date
    when there is no `now` to measure it from. Fractional seconds, which some providers send,
    are rounded up so onward never comes back early.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    text = (value or "").strip()
    if not text:
        return None
    if _DELTA_SECONDS.fullmatch(text):
        return min(timedelta(seconds=math.ceil(float(text))), _LONGEST_RETRY_AFTER)
    if now is None:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC with no claim about the local zone
        when = when.replace(tzinfo=UTC)
    return min(max(when - now, timedelta(0)), _LONGEST_RETRY_AFTER)

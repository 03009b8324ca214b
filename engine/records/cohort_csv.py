"""Reading a cohort file (`onward people import FILE.csv`): each row checked on its own, with its
line number. Pure: text in, rows and refusals out; what the database knows is checked later.

Columns (a header row, names in any case and order): `phone` and/or `email`, `name`,
`consent_source` and `consent_date` (both required: who recorded the consent, and when it was
given), and optionally `timezone`. Anything else in the file is ignored.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from onward.engine.phones import InvalidPhoneNumber, canonical_timezone, normalize_phone

REQUIRED = ("consent_source", "consent_date")
KNOWN = ("phone", "email", "name", "timezone", *REQUIRED)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_NAME = 120


class CohortFileError(ValueError):
    """The file as a whole cannot be read (no header, a column missing): nothing is imported."""


@dataclass(frozen=True)
class CohortRow:
    line: int
    phone: str | None
    email: str | None
    name: str | None
    timezone: str | None
    consent_source: str
    consent_given_at: datetime


@dataclass(frozen=True)
class Refusal:
    line: int
    reason: str


def read_cohort(text: str, today: date) -> tuple[list[CohortRow], list[Refusal]]:
    """Every data row, checked: the good ones, and each refused one with its line and why."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise CohortFileError("the file is empty: expected a header row")
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED if name not in columns]
    if "phone" not in columns and "email" not in columns:
        missing.insert(0, "phone or email")
    if missing:
        raise CohortFileError(
            f"line 1: missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
            f"(expected {', '.join(KNOWN)})"
        )
    rows: list[CohortRow] = []
    refused: list[Refusal] = []
    seen: dict[str, int] = {}
    line = reader.line_num
    for record in reader:
        start, line = line + 1, reader.line_num
        values = {name: value.strip() for name, value in zip(columns, record, strict=False) if name}
        if not any(values.values()):
            continue  # a blank line
        checked = check_row(start, values, today)
        if isinstance(checked, Refusal):
            refused.append(checked)
            continue
        twin = next((seen[a] for a in (checked.phone, checked.email) if a and a in seen), None)
        if twin is not None:
            refused.append(Refusal(start, f"duplicate: the same person as line {twin}"))
            continue
        for address in (checked.phone, checked.email):
            if address:
                seen[address] = start
        rows.append(checked)
    return rows, refused


def check_row(line: int, values: dict[str, str], today: date) -> CohortRow | Refusal:
    raw_phone, raw_email = values.get("phone", ""), values.get("email", "")
    if not raw_phone and not raw_email:
        return Refusal(line, "malformed: no phone or email")
    phone = email = zone = None
    if raw_phone:
        try:
            phone = normalize_phone(raw_phone)
        except InvalidPhoneNumber as exc:
            return Refusal(line, f"malformed phone: {exc}")
    if raw_email:
        if not _EMAIL.fullmatch(raw_email):
            return Refusal(line, f"malformed email: {raw_email!r} is not an address")
        email = raw_email.lower()
    if values.get("timezone"):
        zone = canonical_timezone(values["timezone"])
        if zone is None:
            return Refusal(line, f"malformed timezone: {values['timezone']!r} is not an IANA zone")
    name = values.get("name") or None
    if name is not None and len(name) > MAX_NAME:
        return Refusal(line, f"malformed name: longer than {MAX_NAME} characters")
    source = values.get("consent_source", "")
    if not source:
        return Refusal(line, "missing consent: consent_source is empty")
    if not values.get("consent_date"):
        return Refusal(line, "missing consent: consent_date is empty")
    given = parse_consent_date(values["consent_date"])
    if given is None:
        return Refusal(line, "malformed consent_date: use YYYY-MM-DD (or an ISO date and time)")
    if given.date() > today:
        return Refusal(line, "missing consent: consent_date is in the future")
    return CohortRow(line, phone, email, name, zone, source[:200], given)


def parse_consent_date(text: str) -> datetime | None:
    """An ISO date (midnight UTC) or date and time (UTC when no offset is given)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

"""How the CLI prints: JSON for scripts, rich tables for people, one red line for errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return iso_utc(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def iso_utc(value: datetime) -> str:
    """ISO-8601 in UTC with a Z, as the contract's JSON listings use."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_text(data: object) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2)


def print_json(data: object) -> None:
    sys.stdout.write(json_text(data) + "\n")


def print_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    title: str = "",
    caption: str | None = None,
) -> None:
    """A table for people: short local times kept on one line, every cell taken literally.

    Scripts read `--json` (full ISO-8601 in UTC); a table shows times in this machine's zone,
    named in the caption, so a timestamp never wraps over several lines in 80 columns."""
    if not rows:
        stdout.print(f"[dim]no {escape(title or 'rows')}[/dim]")
        return
    # A column with nothing in it says nothing in a table (--json keeps every key).
    columns = [c for c in columns if any(row.get(c) is not None for row in rows)]
    shown = [row.get(c) for row in rows for c in columns]
    first_time = next((v for v in shown if isinstance(v, datetime)), None)
    times = {c for c in columns if any(isinstance(row.get(c), datetime) for row in rows)}
    if first_time is not None:
        zone = first_time.astimezone().tzname() or "local time"
        caption = f"{caption}; times in {zone}" if caption else f"times in {zone}"
    table = Table(
        title=escape(title) if title else None,
        caption=escape(caption) if caption else None,
        header_style="bold",
        caption_justify="left",
        box=box.SIMPLE_HEAD,  # no vertical rules: two more characters for every column
        pad_edge=False,
        show_edge=False,
    )
    for column in columns:
        if column in times or column in WHOLE:
            table.add_column(column, no_wrap=True, min_width=SHORT_TIME_WIDTH)
        else:
            table.add_column(column, overflow="fold")  # wrap, never cut, values scripts grep for
    for row in rows:
        table.add_row(*(cell(row.get(column)) for column in columns))
    stdout.print(table)


# Kept on one line: a wrapped number or address cannot be read or copied.
WHOLE = frozenset({"phone", "email", "address", "person", "who"})
SHORT_TIME_FORMAT = "%Y-%m-%d %H:%M"
SHORT_TIME_WIDTH = 16


def short_time(value: datetime) -> str:
    """A time as an operator reads it in a table: this machine's zone, to the minute."""
    return value.astimezone().strftime(SHORT_TIME_FORMAT)


def cell(value: object) -> str:
    """One table cell as rich markup that shows the value literally ("[your name]" stays)."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return short_time(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape(str(value))


def error_line(message: str) -> None:
    stderr.print(f"[red]error:[/red] {escape(message)}", highlight=False)


def warning_line(message: str) -> None:
    stderr.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)

"""How the CLI prints: JSON for scripts, rich tables for people, one red line for errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

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


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False, indent=2) + "\n")


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], title: str = "") -> None:
    if not rows:
        stdout.print(f"[dim]no {escape(title or 'rows')}[/dim]")
        return
    table = Table(title=escape(title) if title else None, header_style="bold")
    for column in columns:
        # A time is one short line; other values wrap, never cut (scripts grep for them).
        is_time = any(isinstance(row.get(column), datetime) for row in rows)
        table.add_column(
            column, overflow="fold", no_wrap=is_time, min_width=12 if is_time else None
        )
    for row in rows:
        table.add_row(*(_cell(row.get(column)) for column in columns))
    stdout.print(table)


def short_local(value: datetime) -> str:
    """A time as an operator reads it in a table: their own zone, to the minute (`--json`
    keeps the full ISO 8601 in UTC)."""
    return value.astimezone().strftime("%d %b %H:%M")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return short_local(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    # Cells hold people's words and plan texts: "[your name]" is text, never rich markup.
    return escape(str(value))


def error_line(message: str) -> None:
    stderr.print(f"[red]error:[/red] {escape(message)}", highlight=False)


def warning_line(message: str) -> None:
    stderr.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)

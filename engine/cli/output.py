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


def json_text(data: object) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False, indent=2)


def print_json(data: object) -> None:
    sys.stdout.write(json_text(data) + "\n")


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], title: str = "") -> None:
    if not rows:
        stdout.print(f"[dim]no {title or 'rows'}[/dim]")
        return
    table = Table(title=title or None, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")  # wrap, never cut, values scripts grep for
    for row in rows:
        table.add_row(*(_cell(row.get(column)) for column in columns))
    stdout.print(table)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def error_line(message: str) -> None:
    stderr.print(f"[red]error:[/red] {escape(message)}", highlight=False)


def warning_line(message: str) -> None:
    stderr.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False)

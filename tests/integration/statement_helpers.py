"""The SQL statements run on an engine while a block runs, as SQLAlchemy's statement events see
them: the statement counts' budgets, and the tests that statements run on the driver's cursor
(storage/driver_sql.py) are still seen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def counted(engine: Engine, whole: bool = False, after: bool = False) -> Iterator[list[str]]:
    """The statements run meanwhile: each one's first word, or `whole`, its whole SQL; seen
    before each runs, or `after` it has run."""
    statements: list[str] = []
    name = "after_cursor_execute" if after else "before_cursor_execute"

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        statements.append(sql if whole else sql.split(None, 1)[0].upper())

    event.listen(engine, name, count)
    try:
        yield statements
    finally:
        event.remove(engine, name, count)

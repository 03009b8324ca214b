"""SQLite statements given as text, run on the driver's own cursor with what SQLAlchemy's
connection does around a statement: its `before_cursor_execute` and `after_cursor_execute`
events fire (statement counts and logs see it as any other), and a driver error comes out as
SQLAlchemy's own exception (OperationalError, IntegrityError, ...), the driver's inside.

What it leaves out is the execution context and the result object SQLAlchemy builds anew for
every statement given as text (`exec_driver_sql`): about 30 µs a statement on a 2-core AMD
EPYC, where SQLite inserts a row in a few. The rows of the webhook's hot path and of the
dispatcher's batches are written this way (bulk_rows.py), and the router's read of a
conversation runs this way, converting its columns itself (inbound/lookup.py); other reads go
through SQLAlchemy, whose result rows convert each column's type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class Ran:
    rows: list[tuple[Any, ...]]  # what a RETURNING gave back (empty without one)
    lastrowid: int | None
    rowcount: int


def run(conn: Connection, sql: str, params: Sequence[Any], many: bool = False) -> Ran:
    """Run `sql` with `params` (with `many`, a list of rows of them) in `conn`'s transaction."""
    if not conn.in_transaction():
        # SQLAlchemy begins one first (BEGIN IMMEDIATE, storage/db.py): so does this.
        conn.begin()
    driver = conn.connection.driver_connection
    assert driver is not None, "a live connection has its driver's"
    cursor = driver.cursor()
    dispatch = conn.dispatch
    dispatch.before_cursor_execute(conn, cursor, sql, params, None, many)
    try:
        if many:
            cursor.executemany(sql, params)
        else:
            cursor.execute(sql, params)
        ran = Ran(
            cursor.fetchall() if cursor.description else [], cursor.lastrowid, cursor.rowcount
        )
    except conn.dialect.loaded_dbapi.Error as error:
        raise exc.DBAPIError.instance(
            sql,
            params,
            error,
            conn.dialect.loaded_dbapi.Error,
            hide_parameters=conn.engine.hide_parameters,
            dialect=conn.dialect,
            ismulti=many,
        ) from error
    finally:
        cursor.close()
    dispatch.after_cursor_execute(conn, cursor, sql, params, None, many)
    return ran

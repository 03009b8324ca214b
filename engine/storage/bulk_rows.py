"""Rows written through the driver's own SQL where SQLAlchemy's preparation costs more than the
statement: many rows in one statement (a dispatcher's batch, a new run's steps) and the single
rows a webhook's hot path inserts and updates.

SQLite runs a statement in-process, so what costs is SQLAlchemy preparing every parameter of
every row (about 15 µs a statement, and more a wide row's column): SQLite gets the statement's
text, built once for each shape, with each column's conversion applied only where it has one
(and once for the values alike for all rows). On PostgreSQL every statement of an executemany
is a round of parsing, planning and executing on the server, so a batch's rows travel as one
JSON document instead, which the statement reads as a table: one plan and one run for the
whole batch; a single row goes through SQLAlchemy's compiled INSERT, as before.

On SQLite every statement runs on the driver's cursor through `driver_sql.run`, which fires
SQLAlchemy's statement events (statement counts, logging see it as any other) and raises its
exceptions, without the execution context and result object `exec_driver_sql` builds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Integer, Table, bindparam, case, column, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert, Update
from sqlalchemy.sql.selectable import TableValuedAlias

from onward.engine.storage.declarative import UTCDateTime
from onward.engine.storage.driver_sql import connection_of, converter, run
from onward.engine.storage.plain_writes import defaults_besides


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _records(
    table: Table, names: Sequence[str], rows: Sequence[Sequence[object]]
) -> list[dict[str, object]]:
    """The rows as one JSON document's records, which PostgreSQL reads back as a table
    (`_given`): one parameter for the batch, serialised by the json module's C code. (A column
    of arrays instead cost psycopg a quoting check of every text value: 12 µs of the client's
    time a delivery row against 5, for a microsecond more of the server's.)"""
    stamps = {name for name in names if isinstance(table.c[name].type, UTCDateTime)}
    if stamps:
        rows = [
            [
                _instant(value) if name in stamps else value
                for name, value in zip(names, row, strict=True)
            ]
            for row in rows
        ]
    return [dict(zip(names, row, strict=True)) for row in rows]


def _instant(value: object) -> object:
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


def _given(table: Table, names: Sequence[str]) -> TableValuedAlias:
    rows = func.json_to_recordset(bindparam("bulk_rows", type_=JSON))
    typed = [column(name, table.c[name].type) for name in names]
    return rows.table_valued(*typed).render_derived(with_types=True)


def _same(table: Table, names: Sequence[str]) -> dict[str, Any]:
    return {name: bindparam(f"bulk_same_{name}", type_=table.c[name].type) for name in names}


# The statements are built once for each shape (SQLAlchemy then finds them compiled).
@lru_cache(maxsize=32)
def _pg_update(
    table: Table, names: tuple[str, ...], same: tuple[str, ...], forward: tuple[str, str] | None
) -> Update:
    given = _given(table, names)
    values: dict[str, Any] = {name: given.c[name] for name in names[1:]}
    if forward is not None:
        ahead = table.c[forward[1]] < given.c[forward[1]]
        for name in forward:
            values[name] = case((ahead, given.c[name]), else_=table.c[name])
    where = table.c[names[0]] == given.c[names[0]]
    return update(table).where(where).values({**values, **_same(table, same)})


@lru_cache(maxsize=32)
def _pg_insert(
    table: Table, names: tuple[str, ...], same: tuple[str, ...], returning: tuple[str, ...]
) -> ReturningInsert[Any]:
    given = _given(table, names)
    query = select(*[given.c[name] for name in names], *_same(table, same).values())
    back = [table.c[name] for name in returning]
    return insert(table).from_select([*names, *same], query).returning(*back)


def _pg_params(
    table: Table, names: Sequence[str], rows: Sequence[Sequence[object]], same: Mapping[str, object]
) -> dict[str, object]:
    params = {f"bulk_same_{name}": value for name, value in same.items()}
    return {"bulk_rows": _records(table, names, rows), **params}


def update_rows(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Sequence[Sequence[object]],
    same: Mapping[str, object],
    forward: tuple[str, str] | None = None,
) -> None:
    """UPDATE each row matched on its id (the first of `names`), setting the other columns
    named to its own values and the columns of `same` to the same value for all. A row that no
    longer exists (erased by FORGET meanwhile) is simply not matched.

    `forward` names a (state, rank) pair among `names` that only moves forward: a row's state
    and rank are written only where its rank is above the stored one.
    """
    if not rows:
        return
    key, columns = names[0], names[1:]
    if is_postgres(session):
        statement = _pg_update(table, tuple(names), tuple(same), forward)
        session.execute(statement, _pg_params(table, names, rows, same))
        return
    conn, convert, alike = _for_driver(session, table, columns, same)
    # Positional parameters, picked from (the row's converted values, the values alike, the
    # key) by one C call a row: cheaper than a dict of named ones.
    values = [*columns, *alike]
    picks: list[int] = []

    def assign(name: str) -> str:
        if forward is not None and name in forward:
            picks.extend((values.index(forward[1]), values.index(name)))
            return f'"{name}" = CASE WHEN "{forward[1]}" < ? THEN ? ELSE "{name}" END'
        picks.append(values.index(name))
        return f'"{name}" = ?'

    assignments = ", ".join(assign(name) for name in values)
    picks.append(len(values))
    pick = itemgetter(*picks)
    constants = tuple(alike.values())
    sql = f'UPDATE "{table.name}" SET {assignments} WHERE "{key}" = ?'
    run(conn, sql, [pick((*convert(row[1:]), *constants, row[0])) for row in rows], many=True)


def insert_rows(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Sequence[Sequence[object]],
    same: Mapping[str, object],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """INSERT the rows (the columns named, plus those of `same`, alike for all); returns the
    `returning` columns of each new row, in no particular order. A column's Python-side
    default is not applied: give every column that needs a value."""
    if not rows:
        return []
    if is_postgres(session):
        statement = _pg_insert(table, tuple(names), tuple(same), tuple(returning))
        return [
            tuple(row) for row in session.execute(statement, _pg_params(table, names, rows, same))
        ]
    conn, convert, alike = _for_driver(session, table, names, same)
    columns = ", ".join(f'"{name}"' for name in [*names, *alike])
    width = len(names) + len(alike)
    marks = "(" + ", ".join("?" * width) + ")"
    back_sql = ", ".join(f'"{name}"' for name in returning)
    constants = tuple(alike.values())
    found: list[tuple[Any, ...]] = []
    # One multi-row INSERT (the driver's executemany returns no rows), within SQLite's limit
    # of 32,766 parameters a statement.
    per_statement = max(1, 32_766 // width)
    for start in range(0, len(rows), per_statement):
        part = rows[start : start + per_statement]
        sql = (
            f'INSERT INTO "{table.name}" ({columns}) VALUES '
            + ", ".join([marks] * len(part))
            + f" RETURNING {back_sql}"
        )
        flat = [value for row in part for value in (*convert(row), *constants)]
        found += run(conn, sql, tuple(flat)).rows
    return found


def _for_driver(
    session: Session, table: Table, names: Sequence[str], same: Mapping[str, object]
) -> tuple[Connection, Callable[[Sequence[object]], tuple[object, ...]], dict[str, object]]:
    """The connection, a function converting a row of the columns named as the driver takes
    them (an aware datetime becomes SQLite's stored text; rows of integers and text, the usual
    case, pass as they are), and the values alike for all rows, converted once."""
    conn = connection_of(session)
    convert, converters = _converters(table, tuple(names), tuple(same), conn.dialect)
    return conn, convert, _alike(same, converters)


def _alike(
    values: Mapping[str, object], processors: Sequence[Callable[[Any], Any] | None]
) -> dict[str, object]:
    """Values alike for all rows, each converted once by its column's processor, if any."""
    return {
        name: process(value) if process else value
        for (name, value), process in zip(values.items(), processors, strict=True)
    }


# Looked up once for each shape of batch (asking a type for its processor is slow).
@lru_cache(maxsize=32)
def _converters(
    table: Table, names: tuple[str, ...], same: tuple[str, ...], dialect: Dialect
) -> tuple[Callable[[Sequence[object]], tuple[object, ...]], list[Callable[[Any], Any] | None]]:
    def processor(name: str) -> Callable[[Any], Any] | None:
        return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    return converter([processor(name) for name in names]), [processor(name) for name in same]


def insert_one(
    conn: Connection,
    table: Table,
    values: Mapping[str, object],
    returning: tuple[str, ...] = ("id",),
    skip_conflict: bool = False,
) -> tuple[Any, ...] | None:
    """INSERT one row: the columns of `values`, and the others their scalar default (as
    SQLAlchemy's INSERT gives them) or NULL. Returns the `returning` columns of the new row
    (None when `returning` is empty). `skip_conflict`: a row whose unique key is taken is not
    written, and None comes back (ON CONFLICT DO NOTHING, on both backends)."""
    names = tuple(values)
    if conn.dialect.name == "postgresql":
        statement = _pg_insert_one(table, names, returning, skip_conflict)
        result = conn.execute(statement, dict(values))
        row = result.first() if returning else None
        return None if row is None else tuple(row)
    sql, convert, constants = _sqlite_insert_one(
        table, names, returning, skip_conflict, conn.dialect
    )
    ran = run(conn, sql, (*convert(tuple(values.values())), *constants))
    if returning == _ROWID:  # the driver's last row id (a RETURNING's result cost more)
        return (ran.lastrowid,) if ran.rowcount else None
    return tuple(ran.rows[0]) if ran.rows else None


# On SQLite an integer primary key is the row id, which the driver gives after an INSERT: a
# RETURNING of it would cost its result set (about 15 µs of SQLAlchemy's, for one value).
_ROWID = ("id",)


@lru_cache(maxsize=64)
def _pg_insert_one(
    table: Table, names: tuple[str, ...], returning: tuple[str, ...], skip_conflict: bool
) -> Any:
    statement = pg_insert(table).values({name: bindparam(name) for name in names})
    if skip_conflict:
        statement = statement.on_conflict_do_nothing()
    return statement.returning(*[table.c[name] for name in returning]) if returning else statement


@lru_cache(maxsize=64)
def _sqlite_insert_one(
    table: Table,
    names: tuple[str, ...],
    returning: tuple[str, ...],
    skip_conflict: bool,
    dialect: Dialect,
) -> tuple[str, Callable[[Sequence[object]], tuple[object, ...]], tuple[object, ...]]:
    """The statement's text, the conversion of the values given, and the defaults of the
    columns not given, converted once."""
    defaults = defaults_besides(table, names)
    convert, alike = _converters(table, names, tuple(defaults), dialect)
    constants = tuple(_alike(defaults, alike).values())
    columns = ", ".join(f'"{name}"' for name in (*names, *defaults))
    marks = ", ".join("?" * (len(names) + len(defaults)))
    conflict = " ON CONFLICT DO NOTHING" if skip_conflict else ""
    back = ", ".join(f'"{name}"' for name in returning)
    sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks}){conflict}'
    if returning == _ROWID:
        key = table.c.id
        if not (key.primary_key and isinstance(key.type, Integer)):
            raise ValueError(f"{table.name}.id is not its integer primary key (the row id)")
        return sql, convert, constants
    return (f"{sql} RETURNING {back}" if returning else sql), convert, constants


def update_one(conn: Connection, table: Table, row_id: int, values: Mapping[str, object]) -> None:
    """UPDATE the row whose id is `row_id`, setting the columns of `values`: the driver's own
    SQL on SQLite (its values converted as their columns convert them, as `insert_one`'s), a
    compiled UPDATE on PostgreSQL. A row that no longer exists is simply not matched."""
    names = tuple(values)
    if conn.dialect.name == "postgresql":
        params = {f"new_{name}": value for name, value in values.items()}
        conn.execute(_pg_update_one(table, names), {"row_id": row_id, **params})
        return
    sql, convert = _sqlite_update_one(table, names, conn.dialect)
    run(conn, sql, (*convert(tuple(values.values())), row_id))


@lru_cache(maxsize=64)
def _pg_update_one(table: Table, names: tuple[str, ...]) -> Update:
    assigned = {name: bindparam(f"new_{name}", type_=table.c[name].type) for name in names}
    return update(table).where(table.c.id == bindparam("row_id")).values(assigned)


@lru_cache(maxsize=64)
def _sqlite_update_one(
    table: Table, names: tuple[str, ...], dialect: Dialect
) -> tuple[str, Callable[[Sequence[object]], tuple[object, ...]]]:
    convert, _alike = _converters(table, names, (), dialect)
    assignments = ", ".join(f'"{name}" = ?' for name in names)
    return f'UPDATE "{table.name}" SET {assignments} WHERE "id" = ?', convert

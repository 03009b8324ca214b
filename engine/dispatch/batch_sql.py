"""Many rows in one statement, and plans made for the values given: a batch's SQL on both backends.

SQLite runs an executemany (or a multi-row INSERT) in-process, so the statement count costs
little there; what costs is SQLAlchemy preparing every parameter of every row, so SQLite gets
the driver's own executemany, with each column's conversion applied only where it has one (and
once for the values alike for all rows). On PostgreSQL every statement of an executemany is a
round of parsing, planning and executing on the server, so the rows travel as one JSON document
instead, which the statement reads as a table: one plan and one run for the whole batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Table,
    any_,
    bindparam,
    case,
    column,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert, Update
from sqlalchemy.sql.selectable import TableValuedAlias

from onward.engine.storage.db import UTCDateTime

T = TypeVar("T")


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


Match = Callable[[ColumnElement[Any]], ColumnElement[bool]]


def _json_list(column: ColumnElement[Any]) -> ColumnElement[bool]:
    return column.in_(select(literal_column("value")).select_from(func.json_each(_IDS_JSON)))


# One parameter, the list as JSON text (SQLite reads it with json_each).
_IDS_JSON = bindparam("ids", type_=JSON)


def _one_array(column: ColumnElement[Any]) -> ColumnElement[bool]:
    return column == any_(bindparam("ids", type_=ARRAY(column.type)))


class ByBackend(Generic[T]):
    """A statement that matches a column against a list given as `ids`, built for each backend
    with the list as one parameter (rather than an IN list of one a value, which SQLAlchemy
    renders and converts at each call: about 3 µs of the client's time a value): a JSON text
    that SQLite reads with `json_each`, an array that PostgreSQL matches with `= ANY(:ids)`.
    The statement's text, hence its prepared plan, is the same whatever the count."""

    def __init__(self, build: Callable[[Match], T]) -> None:
        self.sqlite, self.postgresql = build(_json_list), build(_one_array)

    def on(self, session: Session) -> T:
        return self.postgresql if is_postgres(session) else self.sqlite


@contextmanager
def fresh_plans(session: Session) -> Iterator[None]:
    """On PostgreSQL, plan the statements inside for the values they are given, by key.

    A generic plan, cached once a statement has run a few times, is costed with the statistics
    of that moment; and statistics taken while `deliveries` was small (a fresh database, a
    burst right after ANALYZE of an empty table) make a hundred lookups look like thousands of
    rows, long after the table has grown: worth reading the whole table, or starting a
    parallel worker (3 ms), for each batch of the burst. The statements inside look their rows
    up by key: they are planned afresh, never with a scan of the table or a parallel worker.
    Not for everything: planning afresh costs a fraction of a millisecond, and an INSERT would
    pay it again for each foreign key of each row.
    """
    if not is_postgres(session):
        yield
        return
    before = session.execute(_BY_KEY).one()
    yield
    session.execute(_AS_BEFORE, dict(zip(_KEYED_PLANS, before[: len(_KEYED_PLANS)], strict=True)))


_KEYED_PLANS = {
    "plan_cache_mode": "force_custom_plan",
    "enable_seqscan": "off",
    "max_parallel_workers_per_gather": "0",
}
# One round trip each way, the settings as they were read before they change (a select list
# runs left to right); each lasts until the transaction ends at most.
_BY_KEY = text(
    "SELECT "
    + ", ".join(f"current_setting('{name}')" for name in _KEYED_PLANS)
    + ", "
    + ", ".join(f"set_config('{name}', '{value}', true)" for name, value in _KEYED_PLANS.items())
)
_AS_BEFORE = text(
    "SELECT " + ", ".join(f"set_config('{name}', :{name}, true)" for name in _KEYED_PLANS)
)


def answers_only(session: Session) -> None:
    """On PostgreSQL, for a transaction that only writes what providers answered, at its start:
    plan by key for the values given (as `fresh_plans`, until the transaction ends), and commit
    without waiting for the disk. Such a commit lost in a crash of PostgreSQL itself leaves its
    sends in doubt, exactly as a dispatcher killed after sending leaves them: never sent twice,
    settled with the provider where it can tell. One round trip for all the settings."""
    if is_postgres(session):
        session.execute(_ANSWERS_ONLY)


_ANSWERS_ONLY = text(
    "SELECT "
    + ", ".join(
        f"set_config('{name}', '{value}', true)"
        for name, value in {**_KEYED_PLANS, "synchronous_commit": "off"}.items()
    )
)


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
    conn.exec_driver_sql(sql, [pick((*convert(row[1:]), *constants, row[0])) for row in rows])


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
        found += [tuple(row) for row in conn.exec_driver_sql(sql, tuple(flat))]
    return found


def _for_driver(
    session: Session, table: Table, names: Sequence[str], same: Mapping[str, object]
) -> tuple[Connection, Callable[[Sequence[object]], tuple[object, ...]], dict[str, object]]:
    """The connection, a function converting a row of the columns named as the driver takes
    them (an aware datetime becomes SQLite's stored text; rows of integers and text, the usual
    case, pass as they are), and the values alike for all rows, converted once."""
    conn = session.connection()
    convert, converters = _converters(table, tuple(names), tuple(same), conn.dialect)
    alike = {
        name: process(value) if process else value
        for (name, value), process in zip(same.items(), converters, strict=True)
    }
    return conn, convert, alike


# Looked up once for each shape of batch (asking a type for its processor is slow).
@lru_cache(maxsize=32)
def _converters(
    table: Table, names: tuple[str, ...], same: tuple[str, ...], dialect: Dialect
) -> tuple[Callable[[Sequence[object]], tuple[object, ...]], list[Callable[[Any], Any] | None]]:
    def processor(name: str) -> Callable[[Any], Any] | None:
        return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    processors = [processor(name) for name in names]
    alike = [processor(name) for name in same]
    if not any(processors):
        return tuple, alike
    pairs = list(enumerate(processors))
    return (lambda row: tuple(p(row[i]) if p else row[i] for i, p in pairs)), alike

"""SQLite statements given as text, run on the driver's own cursor with what SQLAlchemy's
connection does around a statement: its `before_cursor_execute` and `after_cursor_execute`
events fire (statement counts and logs see it as any other), and a driver error comes out as
SQLAlchemy's own exception (OperationalError, IntegrityError, ...), the driver's inside.

What it leaves out is the execution context and the result object SQLAlchemy builds anew for
every statement given as text (`exec_driver_sql`): about 30 µs a statement on a 2-core AMD
EPYC, where SQLite inserts a row in a few. The rows of the webhook's hot path and of the
dispatcher's batches are written this way (bulk_rows.py). `select_rows` and `write` run a
SELECT, an UPDATE or a DELETE built with SQLAlchemy this way, compiled once, its bound values
and its columns converted by their types' own processors as SQLAlchemy's execution converts
them: the router's read of a conversation (95 µs through SQLAlchemy, 23 in SQLite), a
REJECTED's plan facts, the columns `plain_writes.write_now` sets. Other statements go through
SQLAlchemy. `connection_of` is the connection these run on: the session's, remembered for its
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple, cast

from sqlalchemy import Delete, Select, Update, exc
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session, SessionTransaction


class Ran(NamedTuple):
    """What a statement gave back. (A tuple: made for every statement, a frozen dataclass
    cost twice as much to build.)"""

    rows: list[tuple[Any, ...]]  # what a RETURNING gave back (empty without one)
    lastrowid: int | None
    rowcount: int


_CONNECTION = "onward_connection"


def connection_of(session: Session) -> Connection:
    """What `session.connection()` gives, the connection of its transaction (begun if it has
    none), remembered for that transaction: a REJECTED asks a dozen times, and the ORM's answer
    cost 6 µs each time. Remembered for the innermost transaction: a savepoint's SAVEPOINT is
    only sent when the ORM is first asked for the connection inside it. A transaction no longer
    active gets the ORM's own answer (its error)."""
    known = session.info.get(_CONNECTION)
    transaction = _innermost(session)
    if known is not None and known[0] is transaction and transaction and transaction.is_active:
        return cast(Connection, known[1])
    conn = session.connection()  # begins the transaction when there is none
    session.info[_CONNECTION] = (_innermost(session), conn)
    return conn


def _innermost(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


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


def select_rows(
    conn: Connection, statement: Select[Any], params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of `statement` with `params` (its bound values by name), as SQLAlchemy's own
    execution gives them; on SQLite through `run`."""
    if conn.dialect.name != "sqlite":
        return [tuple(row) for row in conn.execute(statement, dict(params)).all()]
    ready = _prepared(statement, tuple(params), conn.dialect)
    return [ready.convert(row) for row in run(conn, ready.sql, ready.values(params)).rows]


def write(conn: Connection, statement: Update | Delete, params: Mapping[str, Any]) -> int:
    """Run an UPDATE or DELETE built with SQLAlchemy with `params` (its bound values by name),
    on SQLite through `run`, compiled once; returns how many rows it matched."""
    if conn.dialect.name != "sqlite":
        return conn.execute(statement, dict(params)).rowcount
    ready = _prepared(statement, tuple(params), conn.dialect)
    return run(conn, ready.sql, ready.values(params)).rowcount


Convert = Callable[[Any], Any]
ConvertRow = Callable[[Sequence[Any]], tuple[Any, ...]]


def converter(processors: Sequence[Convert | None]) -> ConvertRow:
    """A row's values, each converted by the processor at its position (None: as it is).

    Only the positions with a processor are visited: a person's row has 21 columns, 4 of them
    instants (a tuple rebuilt value by value cost three times as much)."""
    converted = tuple((index, process) for index, process in enumerate(processors) if process)
    if not converted:
        return tuple

    def convert(row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for index, process in converted:
            values[index] = process(values[index])
        return tuple(values)

    return convert


@dataclass(frozen=True)
class _Prepared:
    sql: str
    template: tuple[Any, ...]  # the values fixed in the statement, converted once
    given: tuple[tuple[int, str, Convert | None], ...]  # (position, name, its conversion)
    convert: ConvertRow  # a row read, each column by its type's result processor

    def values(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = list(self.template)
        for index, name, process in self.given:
            value = params[name]
            values[index] = process(value) if process is not None else value
        return tuple(values)


# Statements are module constants (or built once for each shape), each asked with the same
# names every time.
@lru_cache(maxsize=128)
def _prepared(
    statement: Select[Any] | Update | Delete, names: tuple[str, ...], dialect: Dialect
) -> _Prepared:
    compiled = statement.compile(dialect=dialect)
    order = compiled.positiontup or []
    binds = [compiled.binds[name] for name in order]
    if any(bind.expanding or bind.literal_execute for bind in binds):
        raise ValueError("a statement whose SQL depends on its values cannot be compiled once")
    if compiled.insert_prefetch or compiled.update_prefetch:  # a default made at each run
        raise ValueError(
            "a statement with a column default computed in Python cannot be compiled once"
        )
    fixed = compiled.construct_params(dict.fromkeys(names))

    def processor(index: int) -> Convert | None:
        return binds[index].type.dialect_impl(dialect).bind_processor(dialect)

    template = []
    for index, name in enumerate(order):
        process = None if name in names else processor(index)
        template.append(fixed[name] if process is None else process(fixed[name]))
    given = tuple((i, name, processor(i)) for i, name in enumerate(order) if name in names)
    selected = statement.selected_columns if isinstance(statement, Select) else ()
    columns = [
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected
    ]
    return _Prepared(str(compiled), tuple(template), given, converter(columns))

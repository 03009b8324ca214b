"""Many rows in one statement, and plans made for the values given: a batch's SQL on both backends.

SQLite runs an executemany (or a multi-row INSERT) in-process, so the statement count costs
little there. On PostgreSQL every statement of an executemany is a round of parsing, planning
and executing on the server, so each column travels as one array instead, and the statement
joins `unnest()` of them: one plan and one run for the whole batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TableValuedAlias


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def fresh_plans(session: Session) -> Iterator[None]:
    """On PostgreSQL, plan the statements inside for the values they are given.

    A generic plan, cached once a statement has run a few times, is costed with the statistics
    of that moment: made while `deliveries` was small (a fresh database, a burst right after
    ANALYZE of an empty table), it scans the whole table for every row looked up, long after
    the table has grown. Not for everything: planning afresh costs a fraction of a millisecond,
    and an INSERT would pay it again for each foreign key of each row.
    """
    if not is_postgres(session):
        yield
        return
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    yield
    session.execute(text("SET LOCAL plan_cache_mode TO DEFAULT"))


def _arrays(
    table: Table, names: Sequence[str], rows: Sequence[Sequence[object]]
) -> TableValuedAlias:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    unnested = func.unnest(
        *[
            bindparam(f"bulk_{name}", list(values), type_=ARRAY(table.c[name].type))
            for name, values in zip(names, columns, strict=True)
        ]
    )
    return unnested.table_valued(*names).render_derived()


def update_rows(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Sequence[Sequence[object]],
    same: Mapping[str, object],
) -> None:
    """UPDATE each row matched on its id (the first of `names`), setting the other columns
    named to its own values and the columns of `same` to the same value for all. A row that no
    longer exists (erased by FORGET meanwhile) is simply not matched."""
    if not rows:
        return
    key, columns = names[0], names[1:]
    if is_postgres(session):
        given = _arrays(table, names, rows)
        session.execute(
            update(table)
            .where(table.c[key] == given.c[key])
            .values({**{name: given.c[name] for name in columns}, **same})
        )
        return
    session.execute(
        update(table).where(table.c[key] == bindparam("bulk_key")).values(**same),
        [{"bulk_key": row[0], **dict(zip(columns, row[1:], strict=True))} for row in rows],
    )


def insert_rows(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Sequence[Sequence[object]],
    same: Mapping[str, object],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """INSERT the rows (the columns named, plus those of `same`, alike for all); returns the
    `returning` columns of each new row, in no particular order."""
    if not rows:
        return []
    back = [table.c[name] for name in returning]
    if is_postgres(session):
        given = _arrays(table, names, rows)
        constants = [
            bindparam(f"bulk_same_{name}", value, type_=table.c[name].type)
            for name, value in same.items()
        ]
        query = select(*[given.c[name] for name in names], *constants)
        statement = insert(table).from_select([*names, *same], query).returning(*back)
        return [tuple(row) for row in session.execute(statement)]
    params = [{**dict(zip(names, row, strict=True)), **same} for row in rows]
    return [tuple(row) for row in session.execute(insert(table).returning(*back), params)]

"""Rows written by plain (Core) statements while the ORM objects stay as the session loaded them:
a hot path writes a row for a fraction of what the ORM's flush costs (its unit of work runs for
any object with a change, about 0.1 ms even for one column), and still hands its callers the
objects they expect.

`row_values` gives a new row every column (the given value, else the column's own default, else
NULL), so the object `as_loaded` puts in the session is wholly loaded: reading any attribute runs
no query, and changing one is flushed as an UPDATE, as for any object the session loaded.
`write_now` updates columns of a loaded object at once and leaves it clean for the flush.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import Table, Update, bindparam, update
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

Model = TypeVar("Model", bound=DeclarativeBase)


@cache
def _defaults(table: Table) -> dict[str, Any]:
    """Every column but the integer primary key, with the value an INSERT would give it."""
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.primary_key and column.autoincrement is not False:
            continue
        default = column.default
        scalar = default is not None and default.is_scalar
        defaults[column.key] = default.arg if scalar else None  # type: ignore[union-attr]
    return defaults


def row_values(table: Table, given: Mapping[str, Any]) -> dict[str, Any]:
    """The values of a new row: `given`, and for every other column its default or None."""
    unknown = set(given) - set(_defaults(table))
    if unknown:
        raise KeyError(f"{table.name} has no column {sorted(unknown)}")
    return {**_defaults(table), **given}


def as_loaded(
    session: Session, model: type[Model], row_id: int, values: Mapping[str, Any]
) -> Model:
    """The ORM object of a row just inserted with `values` (from `row_values`) and `row_id`, in
    the session as if it had been loaded: no flush writes it again."""
    obj = model(id=row_id, **values)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


@cache
def _update(table: Table, columns: tuple[str, ...]) -> Update:
    values: dict[str, Any] = {name: bindparam(f"new_{name}") for name in columns}
    return update(table).where(table.c.id == bindparam("row_id")).values(values)


def write_now(session: Session, obj: DeclarativeBase, **values: Any) -> None:
    """Set columns of `obj` (loaded, with an integer `id`) with one plain UPDATE now; the object
    shows the new values and has nothing more to flush for them."""
    table = cast(Table, obj.__table__)
    statement = _update(table, tuple(sorted(values)))
    params = {f"new_{name}": value for name, value in values.items()}
    session.connection().execute(statement, {"row_id": cast(Any, obj).id, **params})
    for name, value in values.items():
        set_committed_value(obj, name, value)

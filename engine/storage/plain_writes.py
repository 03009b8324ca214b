"""Rows written by plain (Core) statements while the ORM objects stay as the session loaded them:
a hot path writes a row for a fraction of what the ORM's flush costs (its unit of work runs for
any object with a change, about 0.1 ms even for one column), and still hands its callers the
objects they expect.

`row_values` gives a new row every column (the given value, else the column's own default, else
NULL), so the object `as_loaded` puts in the session is wholly loaded: reading any attribute runs
no query, and changing one is flushed as an UPDATE, as for any object the session loaded.
`write_now` updates columns of a loaded object at once and leaves it clean for the flush.
`as_read` makes the object of a row read as plain values, when a caller first needs it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import cache
from typing import Any, TypeVar, cast

from sqlalchemy import Table, Update, bindparam, inspect, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value
from sqlalchemy.orm.instrumentation import ClassManager
from sqlalchemy.orm.util import identity_key

from onward.engine.storage.driver_sql import connection_of, write

Model = TypeVar("Model", bound=DeclarativeBase)


# What `column_defaults` says of a column whose default is computed at each INSERT.
COMPUTED = object()


@cache
def column_defaults(table: Table) -> dict[str, Any]:
    """The columns with a default, and the value SQLAlchemy's INSERT gives each one left out
    (COMPUTED for a default computed at each INSERT: such a column must be given)."""
    return {
        column.key: column.default.arg if column.default.is_scalar else COMPUTED  # type: ignore[attr-defined]
        for column in table.columns
        if column.default is not None
    }


def defaults_besides(table: Table, given: Collection[str]) -> dict[str, Any]:
    """The defaults of the columns not `given`; a computed one left out is refused."""
    defaults = {k: v for k, v in column_defaults(table).items() if k not in given}
    computed = sorted(k for k, v in defaults.items() if v is COMPUTED)
    if computed:
        raise ValueError(f"{table.name}.{computed[0]} has a computed default: give its value")
    return defaults


@cache
def _columns(table: Table) -> dict[str, None]:
    """Every column but the integer primary key."""
    return dict.fromkeys(
        c.key for c in table.columns if not (c.primary_key and c.autoincrement is not False)
    )


def row_values(table: Table, given: Mapping[str, Any]) -> dict[str, Any]:
    """The values of a new row: `given`, and for every other column its default or None."""
    unknown = set(given) - set(_columns(table))
    if unknown:
        raise KeyError(f"{table.name} has no column {sorted(unknown)}")
    return {**_columns(table), **defaults_besides(table, given), **given}


def as_loaded(
    session: Session, model: type[Model], row_id: int, values: Mapping[str, Any]
) -> Model:
    """The ORM object of a row just inserted with `values` (from `row_values`) and `row_id`, in
    the session as if it had been loaded: no flush writes it again."""
    # Made as the ORM's loading makes an object (its class manager's new instance, the values
    # in its dict), not through the constructor, whose instrumented setting of each attribute
    # cost two thirds of the whole: 30 µs against 11 for a person. As for a loaded row, no
    # attribute event runs (onward's models have none).
    manager, known = _made_by(model)
    unknown = values.keys() - known
    if unknown:
        raise KeyError(f"{model.__name__} has no column {sorted(unknown)}")
    obj = cast(Model, manager.new_instance())
    state = instance_state(obj)
    state.dict.update(values)
    state.dict["id"] = row_id
    # Put in the session as a query's loading puts a row's object (orm/loading.py): its
    # identity key, the session's id, the identity map, every value committed. The public way,
    # make_transient_to_detached() and then add(), cost three times as much: add() walks every
    # relationship for a cascade, and a new row has nothing loaded to cascade to.
    # (tests/integration/test_plain_writes.py holds the object to a loaded one's behaviour.)
    key = state.mapper.identity_key_from_primary_key((row_id,))
    if key in session.identity_map:
        raise InvalidRequestError(f"{model.__name__} {row_id} is already in the session")
    state.key = key
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, key)
    state._commit_all(state.dict, session.identity_map)
    return obj


@cache
def _made_by(model: type[DeclarativeBase]) -> tuple[ClassManager[Any], frozenset[str]]:
    """The model's class manager, and the names of its mapped columns."""
    mapper = inspect(model)
    return mapper.class_manager, frozenset(mapper.column_attrs.keys())


@cache
def _update(table: Table, columns: tuple[str, ...]) -> Update:
    values: dict[str, Any] = {name: bindparam(f"new_{name}") for name in columns}
    return update(table).where(table.c.id == bindparam("row_id")).values(values)


def as_read(session: Session, model: type[Model], values: Mapping[str, Any]) -> Model:
    """The ORM object of a row this transaction read as plain values (every column, the key
    `id` among them): the session's own if it has one, else made from them as if loaded, with
    no statement."""
    found = session.identity_map.get(identity_key(model, values["id"]))
    if found is not None:
        return found
    return as_loaded(session, model, values["id"], {k: v for k, v in values.items() if k != "id"})


def write_now(session: Session, obj: DeclarativeBase, **values: Any) -> None:
    """Set columns of `obj` (loaded, with an integer `id`) with one plain UPDATE now; the object
    shows the new values and has nothing more to flush for them."""
    table = cast(Table, obj.__table__)
    statement = _update(table, tuple(sorted(values)))
    params = {f"new_{name}": value for name, value in values.items()}
    write(connection_of(session), statement, {"row_id": cast(Any, obj).id, **params})
    for name, value in values.items():
        set_committed_value(obj, name, value)

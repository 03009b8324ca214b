"""A batch's SQL on both backends: lists of ids as one parameter, and plans made for the values
given. (The rows a batch writes go through `storage.bulk_rows`.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from onward.engine.storage.bulk_rows import is_postgres

T = TypeVar("T")


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

"""PostgreSQL connections are pinged before use only after sitting idle: one that sat out a
restart of its server process is replaced without failing the request that takes it, and one
in constant use (a draining dispatcher) is not pinged at all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError

from onward.engine.storage import db
from onward.engine.storage.db import create_db_engine
from tests.conftest import drop_postgres_database, fresh_postgres_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres_admin: Engine) -> Iterator[Engine]:
    url = fresh_postgres_url(postgres_admin)
    engine = create_db_engine(url, pool_size=1)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_postgres_database(postgres_admin, url)


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT pg_backend_pid()")) or 0)


def _terminate(admin: Engine, pid: int) -> None:
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def _pings(engine: Engine) -> list[str]:
    """The pings the pool sends from now on (the dialect's own ping, counted as it runs)."""
    seen: list[str] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: DBAPIConnection) -> bool:
        seen.append("ping")
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    return seen


def test_an_idle_connection_whose_server_process_died_is_replaced(
    engine: Engine, postgres_admin: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend(engine)
    _terminate(postgres_admin, first)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)  # "idle for a while" is now

    second = _backend(engine)  # no error: the ping failed and the pool connected again

    assert second != first


def test_a_connection_in_constant_use_is_not_pinged(engine: Engine) -> None:
    pings = _pings(engine)
    for _ in range(20):
        _backend(engine)
    assert pings == []


def test_a_connection_idle_past_the_limit_is_pinged_once_per_checkout(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _backend(engine)
    pings = _pings(engine)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_S", 0.0)
    _backend(engine)
    _backend(engine)
    assert pings == ["ping", "ping"]


def test_a_recently_used_connection_meets_a_dead_server_once_then_recovers(
    engine: Engine, postgres_admin: Engine
) -> None:
    """The trade-off of not pinging busy connections, pinned: the one operation that takes a
    connection killed within the last second fails, and the next one gets a new connection."""
    first = _backend(engine)
    _terminate(postgres_admin, first)
    with pytest.raises(OperationalError):
        _backend(engine)
    assert _backend(engine) != first

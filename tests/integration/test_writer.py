"""The webhooks' write transactions: in arrival order, and on SQLite they take the write lock
from a busy writer elsewhere without giving up, then leave the connection as they found it."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, text

from onward.engine.storage.db import READ_ONLY, session_factory
from onward.engine.storage.models import AppSetting
from onward.engine.storage.write_queue import FairLock, InboundFirst, concurrent_writers, write_lock


def test_the_lock_is_taken_in_the_order_it_was_asked_for() -> None:
    lock, order = FairLock(), list[int]()
    lock.__enter__()
    threads = []
    for n in range(8):
        thread = threading.Thread(target=lambda n=n: _take(lock, order, n))
        thread.start()
        threads.append(thread)
        time.sleep(0.02)  # each one queued before the next asks
    lock.__exit__()
    for thread in threads:
        thread.join(timeout=5)
    assert order == list(range(8))


def _take(lock: FairLock, order: list[int], n: int) -> None:
    with lock:
        order.append(n)


def test_a_transaction_waits_for_a_busy_writer_then_commits(sqlite_engine: Engine) -> None:
    sessions = session_factory(sqlite_engine)
    other = sqlite_engine.connect()
    other.execute(text("select 1"))  # BEGIN IMMEDIATE: the other connection holds the lock
    releaser = threading.Timer(0.3, other.commit)
    releaser.start()
    started = time.monotonic()
    with write_lock(sessions), sessions.begin() as session:
        session.add(AppSetting(key="k", value="v"))
    assert time.monotonic() - started >= 0.25
    releaser.join()
    other.close()
    with sessions() as session:
        assert session.get(AppSetting, "k") is not None
    with sqlite_engine.connect() as conn:  # the connection went back with its own busy timeout
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_a_failure_rolls_the_whole_transaction_back(sqlite_engine: Engine) -> None:
    sessions = session_factory(sqlite_engine)
    with pytest.raises(RuntimeError), write_lock(sessions), sessions.begin() as session:
        session.add(AppSetting(key="k", value="v"))
        session.flush()
        raise RuntimeError("half-way")
    with sessions() as session:
        assert session.get(AppSetting, "k") is None


def test_a_read_only_session_reads_while_another_connection_holds_the_write_lock(
    sqlite_engine: Engine,
) -> None:
    """The daemon's wake-up query must not queue behind a busy writer (it used to, taking the
    write lock for a MIN() and holding up the webhooks behind it)."""
    sessions = session_factory(sqlite_engine)
    with sessions.begin() as session:
        session.add(AppSetting(key="k", value="v"))
    other = sqlite_engine.connect()
    other.execute(text("select 1"))  # BEGIN IMMEDIATE: the write lock is taken, and kept
    try:
        other.execute(text("PRAGMA busy_timeout = 0"))
        with sessions() as session:
            session.connection(execution_options=READ_ONLY)
            # Had this begun IMMEDIATE, it would fail here with "database is locked".
            assert session.get(AppSetting, "k") is not None
    finally:
        other.rollback()
        other.close()


def test_one_thread_writes_on_sqlite_and_as_many_as_the_pool_on_postgresql(
    sqlite_engine: Engine, db_engine: Engine
) -> None:
    assert concurrent_writers(session_factory(sqlite_engine), pool_size=5) == 1
    expected = 5 if db_engine.dialect.name == "postgresql" else 1
    assert concurrent_writers(session_factory(db_engine), pool_size=5) == expected


def test_the_dispatcher_waits_for_inbound_messages_being_handled() -> None:
    first = InboundFirst(max_wait=10.0)
    assert first.wait_turn() is True  # nothing in hand: no wait at all
    waited: list[bool] = []
    with first.handling():
        waiter = threading.Thread(target=lambda: waited.append(first.wait_turn()))
        waiter.start()
        waiter.join(timeout=0.2)
        assert waiter.is_alive()  # still waiting while a message is handled
    waiter.join(timeout=5)
    assert waited == [True]


def test_a_steady_stream_of_messages_only_delays_the_dispatcher() -> None:
    first = InboundFirst(max_wait=0.05)
    with first.handling():
        assert first.wait_turn() is False  # gave up waiting: the sends go on


def test_before_a_single_send_the_dispatcher_waits_only_a_moment() -> None:
    first = InboundFirst(max_wait=10.0, send_wait=0.01)
    assert first.wait_send_turn() is True  # nothing in hand
    with first.handling():
        started = time.monotonic()
        assert first.wait_send_turn() is False  # gave up after its moment, not the 10 s
        assert time.monotonic() - started < 5

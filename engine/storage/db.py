"""Database engine and sessions: SQLite pragmas, BEGIN IMMEDIATE, PostgreSQL timeouts."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from onward.engine.storage import sealing

# SQLite: how long a transaction may wait for the write lock, and how often it asks for it.
BUSY_TIMEOUT_MS = 30_000
BUSY_POLL_S = 0.0005
# Set on a session whose transaction erased someone (engine/people.py): checkpoint after it.
ERASED = "onward_erased"
ERASURE_CHECKPOINT_WAIT_MS = 5_000
# An execution option for a connection that only reads: on SQLite it begins without asking
# for the write lock (WAL readers never wait for the writer, nor it for them).
READ_ONLY = {"onward_read_only": True}
# An execution option for a transaction that must not wait for SQLite's write lock: when another
# connection holds it, BEGIN raises OperationalError at once ("database is locked"; see
# `is_busy`).
NO_WAIT = {"onward_no_wait": True}


def create_db_engine(
    url: str,
    *,
    pool_size: int = 5,
    statement_timeout_ms: int = 15000,
    echo: bool = False,
    journal_keys: Sequence[bytes] = (),
) -> Engine:
    """An engine for `url`, with the keyring that seals people's words (sealing.py)."""
    engine = _engine(url, pool_size, statement_timeout_ms, echo)
    sealing.attach(engine, journal_keys, READ_ONLY)
    return engine


def _engine(url: str, pool_size: int, statement_timeout_ms: int, echo: bool) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    connect_args: dict[str, Any] = {"connect_timeout": 5}
    if statement_timeout_ms:
        connect_args["options"] = f"-c statement_timeout={statement_timeout_ms}"
    engine = create_engine(
        url,
        echo=echo,
        hide_parameters=True,  # errors reach logs: never with what a person wrote
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args=connect_args,
    )
    _ping_when_idle(engine)
    return engine


_IDLE_SINCE = "onward_idle_since"
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use when it has been idle for a while: one that sat out
    a database restart is replaced instead of failing the request that takes it. Not before
    every use (`pool_pre_ping`): a draining dispatcher takes a connection three times a batch,
    and each ping is a round trip. A connection used within the last second that meets a
    restart fails that one operation; SQLAlchemy then replaces the pool's older connections."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failed ping: the pool takes another connection
            raise DisconnectionError(f"a pooled connection failed its ping: {error}") from error


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    if database and database != ":memory:":
        parent = Path(database).expanduser().parent
        if not parent.exists():
            raise FileNotFoundError(f"folder for the SQLite database does not exist: {parent}")
    # Errors reach logs and stored error text: never with what a person wrote.
    engine = create_engine(url, echo=echo, hide_parameters=True, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so that we can BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A checkpoint every 10,000 pages (about 40 MB of WAL), not SQLite's 1,000: a drain's
        # commits paid for one (and its fsync) every few batches, and the same hot pages were
        # copied again each time. Side by side, a burst of 10,010 steps through `onward serve`
        # took 6% less time (bench/README, stop 29). An erasure still empties the WAL at once.
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        # Deleted content is overwritten, not left in free pages: FORGET must mean it.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Every transaction takes the write lock up front: a read that later writes can then
        # never fail half-way with SQLITE_BUSY, and the dispatcher's claim is serialised.
        # Only a connection that says it will not write begins a plain read.
        options = conn.get_execution_options()
        if options.get("onward_read_only"):
            conn.exec_driver_sql("BEGIN")
        else:
            _begin_immediate(conn, wait=not options.get("onward_no_wait"))

    return engine


def _begin_immediate(conn: Any, wait: bool = True) -> None:
    """BEGIN IMMEDIATE, asking for the write lock every half millisecond for up to the busy
    timeout. SQLite's own busy handler sleeps longer and longer between tries (1, 2, 5, ... up
    to 100 ms), so a writer that has waited a while keeps losing to one that just asked; and a
    dispatcher draining a burst leaves the lock free for well under a millisecond between its
    transactions. Asking often, for every transaction, lets webhooks and dispatchers, in one
    process or several, take turns (a failed try costs about 10 us). Without `wait`, one try.
    """
    raw = conn.connection.driver_connection
    deadline = time.monotonic() + (BUSY_TIMEOUT_MS / 1000 if wait else 0)
    with _answering_busy_at_once(raw):
        try:
            while not _took_write_lock(raw):
                if time.monotonic() >= deadline:
                    break  # SQLAlchemy raises "database is locked", wrapped, below
                time.sleep(BUSY_POLL_S)
            else:
                return
        except sqlite3.OperationalError:
            pass  # another error: SQLAlchemy raises it, wrapped, below
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def write_lock_free(engine: Engine) -> bool:
    """SQLite: is the write lock free at this instant (no other connection writing)? One try
    on a pooled connection through the driver, BEGIN IMMEDIATE then ROLLBACK: about 20 us,
    where a session whose transaction finds the lock taken fails through SQLAlchemy's error
    handling, the session and the pool, about 150 us. Always True on other backends."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        with _answering_busy_at_once(raw):
            if not _took_write_lock(raw):
                return False
            raw.execute("ROLLBACK")
            return True


@contextmanager
def _answering_busy_at_once(raw: Any) -> Iterator[None]:
    """The driver's connection says "busy" at once instead of waiting (the callers ask again
    themselves, more often than SQLite's own busy handler would)."""
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _took_write_lock(raw: Any) -> bool:
    """BEGIN IMMEDIATE once: True if it took the write lock, False if another connection
    holds it; any other error is raised."""
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
            raise
        return False
    return True


def is_busy(error: BaseException) -> bool:
    """Is this SQLite's "database is locked" (another connection holds the write lock)?"""
    orig = getattr(error, "orig", None)
    if not isinstance(orig, sqlite3.OperationalError):
        return False
    return orig.sqlite_errorcode == sqlite3.SQLITE_BUSY


def session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(engine, expire_on_commit=False)
    if engine.dialect.name == "sqlite":
        event.listen(factory, "after_commit", _checkpoint_after_erasure)
    return factory


def _checkpoint_after_erasure(session: Session) -> None:
    """After a commit that erased someone: copy the WAL into the file and empty it, so the
    erased words no longer sit in earlier frames of the `-wal` file.

    In a thread of its own: the caller may still hold a read transaction (an outer session)
    whose snapshot the checkpoint has to wait out.
    """
    if not session.info.pop(ERASED, False):
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    threading.Thread(target=checkpoint_wal, args=(engine,), name="onward-erasure").start()


def checkpoint_wal(engine: Engine) -> bool:
    """PRAGMA wal_checkpoint(TRUNCATE), waiting a little for readers; True when it emptied."""
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.execute(f"PRAGMA busy_timeout = {ERASURE_CHECKPOINT_WAIT_MS}")
        busy, _frames, _copied = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        driver.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return not busy
    finally:
        raw.close()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def database_exists(url: str) -> bool:
    """False only for a SQLite file not created yet (connecting would create it)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return True
    return Path(parsed.database).expanduser().exists()

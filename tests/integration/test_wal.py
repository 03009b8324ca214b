"""SQLite's log is written back to the database file by a thread of the daemon's, not inside
the dispatcher's commits; connections only do it themselves past a backstop."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert

from onward.engine.storage import wal
from onward.engine.storage.db import create_db_engine
from onward.engine.storage.models import AppSetting


def _in_file(engine: Engine) -> int:
    """The settings rows in the database file itself, the log left aside (immutable=1)."""
    path = Path(str(engine.url.database))
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as reader:
        return int(reader.execute("SELECT count(*) FROM app_settings").fetchone()[0])


def _write(engine: Engine, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(AppSetting), [{"key": f"k{n}", "value": "v" * 500} for n in range(rows)]
        )


def test_connections_leave_the_log_to_the_writer_up_to_the_backstop(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    assert pages == wal.BACKSTOP_PAGES
    wal.write_back(sqlite_engine)
    before = _in_file(sqlite_engine)
    _write(sqlite_engine, 8_000)  # over 4 MB of log: past SQLite's default, not the backstop
    assert _in_file(sqlite_engine) == before
    assert wal.write_back(sqlite_engine) > 0
    assert _in_file(sqlite_engine) == before + 8_000


def test_the_writer_thread_writes_the_log_back_and_stops(sqlite_engine: Engine) -> None:
    wal.write_back(sqlite_engine)
    before = _in_file(sqlite_engine)
    writer = wal.LogWriter(sqlite_engine, every=0.01)
    writer.start()
    try:
        _write(sqlite_engine, 50)
        deadline = time.monotonic() + 10
        while _in_file(sqlite_engine) != before + 50:
            assert time.monotonic() < deadline, "the log was never written back"
            time.sleep(0.01)
    finally:
        writer.stop()
    assert writer._thread is None


def test_no_writer_without_a_sqlite_file(tmp_path: Path) -> None:
    memory = create_engine("sqlite://")
    writer = wal.LogWriter(memory)
    writer.start()
    assert writer._thread is None
    writer.stop()
    assert wal.is_sqlite_file(create_db_engine(f"sqlite:///{tmp_path / 'a.db'}"))

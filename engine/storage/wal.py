"""SQLite's write-ahead log, written back to the database file in the background.

By default the connection whose commit takes the log past 1,000 pages (4 MB) copies it back
into the database file there and then, inside its commit: for a daemon draining a burst of
due steps (2.5 KB of log a step) that is the dispatcher, once every 1,600 steps or so, a few
tens of milliseconds each time on a busy disk. Instead a daemon's own thread writes the log
back every second (a PASSIVE checkpoint: it waits for nobody, and writers carry on meanwhile;
SQLite lets go of the interpreter lock while it copies), and a connection only does it itself
past `BACKSTOP_PAGES`, should that thread fall behind or a process run without one (the CLI:
its last connection to close writes the log back anyway).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

log = logging.getLogger("onward.storage")  # storage sits below engine/logs.py

# 40 MB of log: the most a busy daemon's writers let it grow before writing it back themselves.
BACKSTOP_PAGES = 10_000
EVERY_SECONDS = 1.0


def is_sqlite_file(engine: Engine) -> bool:
    database = engine.url.database
    return engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")


def write_back(engine: Engine) -> int:
    """One PASSIVE checkpoint; returns the pages of log it copied into the database file."""
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        _busy, _in_log, copied = driver.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return max(int(copied), 0)
    finally:
        raw.close()


class LogWriter:
    """The thread that writes a SQLite file's log back every `every` seconds (none for
    PostgreSQL or an in-memory database)."""

    def __init__(self, engine: Engine, every: float = EVERY_SECONDS) -> None:
        self.engine = engine
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not is_sqlite_file(self.engine) or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="onward-wal", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                write_back(self.engine)
            except Exception:  # a full disk, a file gone: the writers' backstop still holds
                log.warning("writing the log back failed; trying again", exc_info=True)

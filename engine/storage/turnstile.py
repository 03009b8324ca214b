"""Webhooks first on one SQLite file, whichever process handles them.

SQLite has one write lock and no queue for it: a dispatcher draining a burst starts its next
transaction the instant it commits the last, and a webhook in another process (a second daemon
on the same file) catches the lock only in the gaps. Within a daemon `InboundFirst` counts the
messages in hand; across processes this file says the same: every process holds a shared
`flock` on `<database>-webhooks` while it has inbound messages in hand, and a dispatcher asks
for an exclusive one, without waiting, to learn whether anyone does. (A lock, not a counter
written to the file: a process that dies lets go of its lock, and nothing is left to clean.)
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from onward.engine.storage.db import BUSY_POLL_S

SUFFIX = "-webhooks"


class Turnstile:
    """The cross-process sign that inbound messages are in hand on one SQLite file. Its
    owner (InboundFirst) counts the messages and calls `hold` at the first, `release` after
    the last."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # Opened once: two descriptors, because flock conflicts between open files, so the
        # probe sees this process's own shared lock too (as InboundFirst's counter does) and
        # never converts it. A file that cannot be opened leaves the sign out.
        self._held = _open(path)
        self._probe = _open(path)
        self._probing = threading.Lock()  # two threads probing would see each other's lock

    @classmethod
    def for_database(cls, url: str) -> Turnstile | None:
        """The turnstile of a SQLite file; None for PostgreSQL (no single write lock) and for
        an in-memory database (one process)."""
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
            return None
        database = Path(parsed.database)
        return cls(database.with_name(database.name + SUFFIX))

    def hold(self) -> None:
        """This process has inbound messages in hand."""
        if self._held is not None:
            fcntl.flock(self._held, fcntl.LOCK_SH)

    def release(self) -> None:
        """It has none left."""
        if self._held is not None:
            fcntl.flock(self._held, fcntl.LOCK_UN)

    def busy(self) -> bool:
        """Has any process, this one included, inbound messages in hand? Never waits."""
        if self._probe is None:
            return False
        with self._probing:
            try:
                fcntl.flock(self._probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(self._probe, fcntl.LOCK_UN)
            return False

    def wait_until_free(self, seconds: float) -> bool:
        """Until no process has inbound messages in hand, at most `seconds`; True if none had."""
        deadline = time.monotonic() + seconds
        while self.busy():
            if time.monotonic() >= deadline:
                return False
            time.sleep(BUSY_POLL_S)  # as often as a SQLite writer asks for the write lock
        return True

    def close(self) -> None:
        for fd in (self._held, self._probe):
            if fd is not None:
                os.close(fd)
        self._held = self._probe = None


def _open(path: Path) -> int | None:
    # Read-only: flock needs no write access, and a file open for writing would keep its disk
    # from being remounted read-only. A file that cannot be opened (a read-only disk, a folder
    # that does not exist) leaves the sign out, never the webhook.
    try:
        return os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None

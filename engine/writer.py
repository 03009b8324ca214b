"""Write transactions for the webhooks. On SQLite (one writer at a time) they queue in-process
in arrival order, so that only the one at the head asks SQLite for its write lock (every few
milliseconds: see db.py). PostgreSQL needs none of this."""

from __future__ import annotations

import threading
from collections import deque
from contextlib import AbstractContextManager, nullcontext

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker


class FairLock:
    """A lock taken in the order it was asked for (threading.Lock wakes its waiters in any
    order: with 16 webhooks queued, an unlucky one waited several rounds, tripling the p99)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._queue: deque[threading.Lock] = deque()
        self._held = False

    def __enter__(self) -> FairLock:
        with self._mutex:
            if not self._held:
                self._held = True
                return self
            turn = threading.Lock()
            turn.acquire()
            self._queue.append(turn)
        turn.acquire()  # released by the holder before us, which hands the lock over
        return self

    def __exit__(self, *exc: object) -> None:
        with self._mutex:
            if self._queue:
                self._queue.popleft().release()  # still held: now by the next in line
            else:
                self._held = False


def write_lock(sessions: sessionmaker[Session]) -> AbstractContextManager[object]:
    """What a webhook holds around its transaction: on SQLite a FairLock, so that only the one
    at the head of the queue asks SQLite for its write lock; nothing on PostgreSQL."""
    bind = sessions.kw.get("bind")
    sqlite = isinstance(bind, Engine) and bind.dialect.name == "sqlite"
    return FairLock() if sqlite else nullcontext()

"""Write transactions for the webhooks, and their turn before the daemon's sends.

On SQLite (one writer at a time) they queue in-process in arrival order, so that only the one
at the head asks SQLite for its write lock (every half millisecond: see db.py), and one thread
works on them; on PostgreSQL as many threads as the pool has connections. A dispatcher waits
for the inbound messages in hand before each batch (InboundFirst): its own daemon's, and on
SQLite, for a moment, another process's (turnstile.py)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from onward.engine.storage.turnstile import Turnstile


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
        self.release()

    @property
    def held(self) -> bool:
        """Held at this instant (a look, no promise: it may be taken a moment later)."""
        return self._held

    def try_acquire(self) -> bool:
        """Take the lock if it is free (then nobody waits for it either); never waits."""
        with self._mutex:
            if self._held:
                return False
            self._held = True
            return True

    def release(self) -> None:
        with self._mutex:
            if self._queue:
                self._queue.popleft().release()  # still held: now by the next in line
            else:
                self._held = False


def _is_sqlite(sessions: sessionmaker[Session]) -> bool:
    bind = sessions.kw.get("bind")
    return isinstance(bind, Engine) and bind.dialect.name == "sqlite"


def write_lock(sessions: sessionmaker[Session]) -> AbstractContextManager[object]:
    """What a webhook holds around its transaction: on SQLite a FairLock, so that only the one
    at the head of the queue asks SQLite for its write lock; nothing on PostgreSQL."""
    return FairLock() if _is_sqlite(sessions) else nullcontext()


def concurrent_writers(sessions: sessionmaker[Session], pool_size: int) -> int:
    """How many webhooks' transactions can make progress at once, and so how many threads
    should work on them: one on SQLite (one writer at a time), as many as the connection pool
    holds on PostgreSQL. More threads only take turns at the interpreter lock: 16 webhooks in
    16 threads on SQLite cost 8.4 ms of CPU each, against 5.1 ms in one thread."""
    return 1 if _is_sqlite(sessions) else max(pool_size, 1)


class InboundFirst:
    """Webhooks before scheduled sends. Someone who just wrote is waiting for the answer; a
    nudge has hours of grace. The web app counts the inbound messages it is handling, and the
    dispatcher waits for none to be left before each batch, never longer than `max_wait`
    seconds, and before each send, never longer than `send_wait`, so that a steady stream of
    messages slows the sends without stopping them. (They share one interpreter lock: a batch
    of Twilio sends made webhooks answered meanwhile take twice as long, and the slowest 1% of
    them a third longer during a burst of sends.)

    On a SQLite file the `turnstile` carries the same sign between processes: before each
    batch a dispatcher also lets another process's webhooks have the write lock, for at most
    `others_wait` (it asks every half millisecond; nothing wakes it across processes). A second
    daemon draining a burst on the same file had left them only the gaps between its
    transactions."""

    def __init__(
        self,
        max_wait: float = 1.0,
        send_wait: float = 0.005,
        turnstile: Turnstile | None = None,
        others_wait: float = 0.02,
    ) -> None:
        self.max_wait = max_wait
        self.send_wait = send_wait
        self.turnstile = turnstile
        self.others_wait = others_wait
        self._changed = threading.Condition()
        self._handling = 0

    @classmethod
    def for_database(cls, url: str) -> InboundFirst:
        """With the turnstile of `url`'s SQLite file (none on PostgreSQL)."""
        return cls(turnstile=Turnstile.for_database(url))

    @contextmanager
    def handling(self) -> Iterator[None]:
        with self._changed:
            self._handling += 1
            if self._handling == 1 and self.turnstile is not None:
                self.turnstile.hold()
        try:
            yield
        finally:
            with self._changed:
                self._handling -= 1
                if not self._handling:
                    if self.turnstile is not None:
                        self.turnstile.release()
                    self._changed.notify_all()

    def wait_turn(self) -> bool:
        """Wait until no inbound message is being handled (or `max_wait` has passed; another
        process's, `others_wait`); True if none was left."""
        if not self._wait(self.max_wait):
            return False
        if self.turnstile is None:
            return True
        return self.turnstile.wait_until_free(self.others_wait)

    def wait_send_turn(self) -> bool:
        """The same before a single send, within this process: at most `send_wait`."""
        return self._wait(self.send_wait)

    def _wait(self, seconds: float) -> bool:
        # Asked before every send of a drain: when nothing is being handled, say so without
        # taking the lock (reading an int is atomic; a message that starts a moment later
        # waits for the next turn, as it would have after a wait that had just ended).
        if not self._handling:
            return True
        with self._changed:
            return self._changed.wait_for(lambda: not self._handling, seconds)

"""Threads for the webhooks' database work, which take one message after another without waiting
for the event loop in between: the loop hands a message over and awaits its result; a thread
that finishes one takes the next at once. (With a thread borrowed per call and a limiter taken
in turn, each next message waited for the loop to notice the last one had finished: under load
the one SQLite writer stood idle a third of the time.)

A thread with nothing to do for `idle_seconds` ends; the next message starts one again.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

Result = TypeVar("Result")
IDLE_SECONDS = 5.0

_Item = tuple[Callable[[], Any], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


class Workers:
    """At most `threads` threads running what `run` is given, in the order given."""

    def __init__(
        self, threads: int, name: str = "onward-inbound", idle_seconds: float = IDLE_SECONDS
    ) -> None:
        self.threads = max(1, threads)
        self.name = name
        self.idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = 0  # threads started and not ended
        self._waiting = 0  # of those, how many wait for work

    @property
    def running(self) -> int:
        return self._running

    async def run(self, work: Callable[[], Result]) -> Result:
        return await self.submit(work)

    def submit(self, work: Callable[[], Result]) -> asyncio.Future[Result]:
        """`work()` in one of the threads, its result in the future (awaited in the running
        loop). Cancelled before its turn (the request timed out), it never runs; cancelled once
        started, it runs to its end, its result dropped."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._queue.put((work, loop, future))
        with self._lock:
            start = not self._waiting and self._running < self.threads
            if start:
                self._running += 1
        if start:
            threading.Thread(target=self._serve, name=self.name, daemon=True).start()
        return future

    def _serve(self) -> None:
        while (item := self._next()) is not None:
            work, loop, future = item
            if future.cancelled():
                continue
            try:
                outcome: tuple[Any, Exception | None] = (work(), None)
            except Exception as exc:
                outcome = (None, exc)
            # A loop that has closed meanwhile has nobody left waiting for the answer.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, *outcome)

    def _next(self) -> _Item | None:
        """The next item, or None when this thread should end (idle for too long)."""
        with self._lock:
            self._waiting += 1
        while True:
            try:
                item = self._queue.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    # Under the lock `run` takes: an item put after this check finds this
                    # thread gone (neither waiting nor running) and starts another.
                    if self._queue.empty():
                        self._waiting -= 1
                        self._running -= 1
                        return None
                continue
            with self._lock:
                self._waiting -= 1
            return item


def _settle(future: asyncio.Future[Any], result: Any, error: Exception | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)

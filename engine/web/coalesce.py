"""Follow-up work after many events, run at most once for all the events that came while it
waited, and spaced: under load, one query and one reschedule a tenth of a second instead of one
per webhook."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Coalesced:
    """`request()` after each event; when it says True, wait `delay()` seconds, then `run()`
    (in a thread).

    A request made while a run is waiting to start is left to that run: it starts after the
    request was made, so it sees everything the event wrote. Only one run waits at a time, and
    one starts no sooner than `spacing` seconds after the last one started.
    """

    def __init__(
        self,
        work: Callable[[], None],
        spacing: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._work = work
        self._spacing = spacing
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._waiting = False
        self._last_start: float | None = None

    def request(self) -> bool:
        with self._lock:
            if self._waiting:
                return False
            self._waiting = True
            return True

    def delay(self) -> float:
        """Seconds until the run that was requested may start."""
        with self._lock:
            if self._last_start is None:
                return 0.0
            return max(0.0, self._last_start + self._spacing - self._monotonic())

    def run(self) -> None:
        with self._lock:
            # From here on, a new event needs a run of its own: this one may read the database
            # before that event has written.
            self._waiting = False
            self._last_start = self._monotonic()
        # Not under the webhooks' writer lock: on SQLite this waits in the busy handler, and
        # during a burst of sends that can take a second, which no webhook should wait for.
        self._work()

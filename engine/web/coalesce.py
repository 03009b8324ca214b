"""Follow-up work after many events, run at most once for all the events that came while it
waited: under load, one query and one reschedule instead of one per webhook."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Coalesced:
    """`request()` after each event; when it says True, schedule `run()` (in a thread).

    A request made while a run is waiting to start is left to that run: it starts after the
    request was made, so it sees everything the event wrote. Only one run waits at a time.
    """

    def __init__(self, work: Callable[[], None]) -> None:
        self._work = work
        self._lock = threading.Lock()
        self._waiting = False

    def request(self) -> bool:
        with self._lock:
            if self._waiting:
                return False
            self._waiting = True
            return True

    def run(self) -> None:
        with self._lock:
            # From here on, a new event needs a run of its own: this one may read the database
            # before that event has written.
            self._waiting = False
        # Not under the webhooks' writer lock: on SQLite this waits in the busy handler, and
        # during a burst of sends that can take a second, which no webhook should wait for.
        self._work()

"""Per-channel pacing (bursts queue at the provider's rate) and channel health (held channels)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from onward.engine.clock import Clock

Sleep = Callable[[float], None]


class Pacer:
    """Hands out send slots `1 / rate` seconds apart and waits for the caller's slot.

    The wait goes through an injected `sleep` (real in the daemon; tests pass one that moves a
    FakeClock), so pacing is measured in the clock's time, like everything else. An infinite
    rate (a provider that sets no pace) never waits.
    """

    def __init__(self, rate_per_sec: float, clock: Clock, sleep: Sleep = time.sleep) -> None:
        if rate_per_sec <= 0:
            raise ValueError("a channel's rate must be positive")
        self.unpaced = math.isinf(rate_per_sec)
        self.interval = timedelta(seconds=1 / rate_per_sec)
        self.clock = clock
        self.sleep = sleep
        self._next: datetime | None = None
        self._lock = threading.Lock()

    def reserve(self) -> timedelta:
        """Take the next slot; returns how long until it comes (zero if it is now)."""
        with self._lock:
            now = self.clock.now()
            slot = now if self._next is None or self._next < now else self._next
            self._next = slot + self.interval
            return slot - now

    def wait_turn(self) -> None:
        if self.unpaced:
            return
        delay = self.reserve()
        if delay > timedelta(0):
            self.sleep(delay.total_seconds())


class ChannelHealth:
    """Channels an operator must look at (credentials refused): no sends, /readyz says why."""

    def __init__(self) -> None:
        self._disabled: dict[str, str] = {}
        self._lock = threading.Lock()

    def disable(self, channel: str, reason: str) -> None:
        with self._lock:
            self._disabled[channel] = reason

    def enable(self, channel: str) -> None:
        with self._lock:
            self._disabled.pop(channel, None)

    def reason(self, channel: str) -> str | None:
        with self._lock:
            return self._disabled.get(channel)

    def problems(self) -> dict[str, str]:
        with self._lock:
            return dict(self._disabled)

"""When to try a failed send again: a retry policy as a plain value.

The backoff after the n-th failed attempt is `base * factor ** (n - 1)`, capped at `max_wait`.
Jitter then spreads retries so a provider outage doesn't end in a thundering herd: the wait is
drawn uniformly from `[(1 - jitter) * backoff, backoff]`. `jitter=1.0` is AWS's "full jitter",
`0.5` its "equal jitter"; the default 0.2 keeps waits predictable for a person waiting on a
nudge while still spreading a burst. A provider's Retry-After is a floor: onward never retries
sooner than it says, even past `max_wait`, up to `HARD_CAP` (24 hours), beyond which a nudge is
stale anyway and retrying after a day is the most onward will wait. (Channels read the header
itself with `onward.channels.net.parse_retry_after`.)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

HARD_CAP = timedelta(hours=24)


@dataclass(frozen=True)
class RetryDecision:
    retry_at: datetime
    wait: timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with proportional jitter, honouring a provider's Retry-After.

    `max_attempts` counts every attempt, the first included: with 6, a send is tried at most
    six times and `decide(6, ...)` is None.
    """

    max_attempts: int = 6
    base: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    max_wait: timedelta = timedelta(hours=1)
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base <= timedelta(0):
            raise ValueError("base must be positive")
        if not self.factor >= 1.0:
            raise ValueError("factor must be at least 1, so waits never shrink")
        if self.max_wait < self.base:
            raise ValueError("max_wait must be at least base")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")

    def backoff(self, attempts: int) -> timedelta:
        """The wait before jitter after `attempts` failures: exponential, capped at max_wait."""
        if attempts < 1:
            raise ValueError("attempts counts failed attempts, so it is at least 1")
        try:
            seconds = self.base.total_seconds() * self.factor ** (attempts - 1)
        except OverflowError:
            seconds = math.inf
        return min(timedelta(seconds=min(seconds, self.max_wait.total_seconds())), self.max_wait)

    def decide(
        self,
        attempts: int,
        now: datetime,
        retry_after: timedelta | None = None,
        rand: Callable[[], float] = random.random,
    ) -> RetryDecision | None:
        """When to retry after `attempts` failed attempts, or None once they are used up.

        `rand` returns a float in [0, 1); tests pass a constant to pin the jitter.
        """
        if attempts >= self.max_attempts:
            return None
        backoff = self.backoff(attempts)
        spread = min(max(rand(), 0.0), 1.0) * self.jitter
        wait = backoff * (1.0 - self.jitter) + backoff * spread
        if retry_after is not None:
            wait = max(wait, min(max(retry_after, timedelta(0)), HARD_CAP))
        return RetryDecision(retry_at=now + wait, wait=wait)

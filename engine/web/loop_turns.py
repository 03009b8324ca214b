"""SQLite's webhooks wait for the write lock on the event loop, in arrival order, and are then
handled there.

SQLite takes one writer at a time. A message that found the lock taken (another process's
dispatcher draining a burst, the daemon's own, a CLI command) used to go to a worker thread,
where each of its statements traded the interpreter lock with the loop's thread: more CPU a
message just when the lock is wanted most. Now the messages that find it taken queue on an
asyncio lock (first come, first served) and the first in line looks again every millisecond
(a look costs a tenth of a try that fails: `Inbox.lock_free`) and tries when it is free;
a message that arrives while others queue joins the line rather than overtaking it. Nothing is
done until the lock is had: a message still waiting when its time is up is handed back, to be
stored by a worker thread that can wait as long as it takes (a provider may never retry).
"""

from __future__ import annotations

import asyncio

from onward.channels import InboundMessage
from onward.engine.inbound.inbox import LOCK_TAKEN, Inbox, LockTaken, Received

# How often the first message in line asks for the lock: a failed ask costs tens of
# microseconds; a writer holds the lock for milliseconds.
POLL_SECONDS = 0.001


class LoopTurns:
    def __init__(self, inbox: Inbox, poll: float = POLL_SECONDS) -> None:
        self.inbox = inbox
        self.poll = poll
        self._line = asyncio.Lock()

    def now(self, message: InboundMessage, inline: bool) -> Received | LockTaken | None:
        """The message handled at once (no awaiting: no task, no timer), or LOCK_TAKEN when it
        has to queue (`wait_turn`), or None for a worker thread (see `Inbox.try_receive`)."""
        if self._line.locked():
            return LOCK_TAKEN  # others are in line: behind them
        return self.inbox.try_receive(message, inline)

    async def wait_turn(
        self, message: InboundMessage, inline: bool, seconds: float
    ) -> Received | LockTaken | None:
        """The message handled on the loop once the lock is free; LOCK_TAKEN, nothing done, if
        it was not free within `seconds`; None: a worker thread's (see `Inbox.try_receive`)."""
        try:
            async with asyncio.timeout(seconds), self._line:
                # Polled: the lock may be another process's, which no event of ours announces.
                while True:
                    if self.inbox.lock_free():
                        got = self.inbox.try_receive(message, inline)
                        if not isinstance(got, LockTaken):
                            break
                    await asyncio.sleep(self.poll)
        except TimeoutError:
            return LOCK_TAKEN
        return got

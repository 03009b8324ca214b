"""SQLite's webhooks are handled on the event loop, in arrival order, several in one
transaction when they arrive together, and wait there for the write lock when it is taken.

SQLite takes one writer at a time. Handled in a worker thread, each of a message's statements
traded the interpreter lock with the loop's thread: more CPU a message. So the messages join
one line on the loop; a moment later (the next turn of the loop, when those that came in with
it have joined too) the first ones in line, up to `most`, are stored and acted on in one
transaction (`Inbox.try_receive_together`): one commit instead of one each, which is about a
fifth of a REJECTED's CPU with 16 together. When the lock is taken (another process's
dispatcher draining a burst, the daemon's own, a CLI command) the line looks again every
millisecond (a look costs a tenth of a try that fails: `Inbox.lock_free`) and tries when it is
free; a message that arrives meanwhile joins the line rather than overtaking it. Nothing is
done until the lock is had: a message still waiting when its time is up is handed back, to be
stored by a worker thread that can wait as long as it takes (a provider may never retry).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from onward.channels import InboundMessage
from onward.engine.inbound.inbox import LOCK_TAKEN, Inbox, LockTaken, Received
from onward.engine.storage.write_queue import FairLock

# How often the line asks for the lock when it was taken: a failed ask costs tens of
# microseconds; a writer holds the lock for milliseconds.
POLL_SECONDS = 0.001
# At most this many messages in one transaction: the loop serves nobody else meanwhile
# (16 REJECTEDs: about 60 ms), and the other process's dispatcher waits for the lock.
MOST_TOGETHER = 16

Answer = Received | LockTaken | None


@dataclass
class _Turn:
    message: InboundMessage
    inline: bool
    deadline: float  # the loop's time
    answer: asyncio.Future[Answer]


class LoopTurns:
    def __init__(self, inbox: Inbox, poll: float = POLL_SECONDS, most: int = MOST_TOGETHER):
        self.inbox = inbox
        self.poll = poll
        self.most = most
        # PostgreSQL takes many writers: its webhooks go to worker threads at once.
        self.on_loop = isinstance(inbox.write_lock, FairLock)
        self._line: deque[_Turn] = deque()
        self._serving = False

    async def take(self, message: InboundMessage, inline: bool, seconds: float) -> Answer:
        """The message handled on the loop (a Received); LOCK_TAKEN, nothing done, if the lock
        was not had within `seconds`; None: a worker thread's (see `Inbox.try_receive_together`)."""
        if not self.on_loop:
            return None
        loop = asyncio.get_running_loop()
        turn = _Turn(message, inline, loop.time() + seconds, loop.create_future())
        self._line.append(turn)
        if not self._serving:
            self._serving = True
            loop.call_soon(self._serve)  # after those that arrived with it have joined
        return await turn.answer

    def _serve(self) -> None:
        """Handle the first ones in line if the lock can be had; else wait for it."""
        loop = asyncio.get_running_loop()
        self._drop_finished(loop.time())
        if not self._line:
            self._serving = False
            return
        group = [self._line[index] for index in range(min(self.most, len(self._line)))]
        got: list[Received | None] | LockTaken | Exception
        try:
            got = self.inbox.try_receive_together([(t.message, t.inline) for t in group])
        except Exception as exc:  # the database failed them (full, gone): each answers 503
            got = exc
        if isinstance(got, LockTaken):
            loop.call_later(self.poll, self._wait)
            return
        for index, turn in enumerate(group):
            self._line.popleft()
            if turn.answer.done():
                continue
            if isinstance(got, Exception):
                turn.answer.set_exception(got)
            else:
                turn.answer.set_result(got[index])
        # The answers go out first: their tasks were woken before this call.
        loop.call_soon(self._serve)

    def _wait(self) -> None:
        """Polled: the lock may be another process's, which no event of ours announces."""
        try:
            free = self.inbox.lock_free()
        except Exception as exc:  # the database is gone: everyone in line answers 503
            while self._line:
                turn = self._line.popleft()
                if not turn.answer.done():
                    turn.answer.set_exception(exc)
            self._serving = False
            return
        if free:
            self._serve()
            return
        loop = asyncio.get_running_loop()
        self._drop_finished(loop.time())
        if self._line:
            loop.call_later(self.poll, self._wait)
        else:
            self._serving = False

    def _drop_finished(self, now: float) -> None:
        """Out of the line: whoever stopped waiting (their request was cancelled) and whoever
        waited their time, handed back with nothing done."""
        if not any(turn.answer.done() or turn.deadline <= now for turn in self._line):
            return
        for turn in list(self._line):
            if turn.answer.done():
                self._line.remove(turn)
            elif turn.deadline <= now:
                self._line.remove(turn)
                turn.answer.set_result(LOCK_TAKEN)

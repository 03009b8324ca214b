"""Admission control for connections: a ceiling under the open-file limit, idle ones shed first.

uvicorn accepts every connection it is offered and keeps one that sends headers and then
nothing for as long as the client likes. A thousand of those use up the process's files: then
`/healthz`, a provider's webhook and the sends to providers all fail (EMFILE). Here, past the
ceiling, a new connection makes room by closing the one that has waited longest without
getting an answer under way (idle, still sending its request, or never having sent one): an
attacker's stalled connections go, a real request gets in. When every connection is busy being
answered, the newcomer gets 503 and Retry-After instead.
"""

from __future__ import annotations

import asyncio
import resource

from uvicorn.protocols.http.h11_impl import H11Protocol

from onward.engine.logs import get_logger

log = get_logger("onward.web")

# Files onward needs besides its connections: the database pool, SMTP and provider calls,
# logs, the SQLite files and their journals.
RESERVED_FILES = 128
_BUSY_BODY = b'{"error": "busy, retry later"}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"retry-after: 5\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)


def connection_ceiling(wanted: int) -> int:
    """`wanted`, lowered to fit the open-file limit (raised to its hard limit first)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):  # a container may forbid it: live with the soft limit
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - RESERVED_FILES))


class AdmittingH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a ceiling on open connections (set by `admitting`)."""

    ceiling = 1000

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.waiting_since = self.loop.time()
        # A connection that never sends a request is closed like an idle keep-alive one.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )
        if len(self.connections) <= self.ceiling:
            return
        victim = self._stalest()
        if victim is not None:
            victim.transport.abort()
            return
        log.warning("connection refused: every connection is busy", ceiling=self.ceiling)
        transport.write(_BUSY)
        transport.close()

    def on_response_complete(self) -> None:
        self.waiting_since = self.loop.time()  # idle from now on
        super().on_response_complete()

    def is_waiting(self) -> bool:
        """Nothing under way for it: no request yet, idle between requests, or body still due."""
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            return True
        return cycle.more_body and not cycle.response_started

    def _stalest(self) -> AdmittingH11Protocol | None:
        waiting = [
            c
            for c in self.connections
            if c is not self and isinstance(c, AdmittingH11Protocol) and c.is_waiting()
        ]
        return min(waiting, key=lambda c: c.waiting_since, default=None)


def admitting(ceiling: int) -> type[AdmittingH11Protocol]:
    """The protocol class uvicorn builds each connection with, for this ceiling."""
    return type("Admitting", (AdmittingH11Protocol,), {"ceiling": ceiling})

"""What every fake provider shares: a real HTTP server on 127.0.0.1 in a thread, the requests it
received, and faults queued for the next requests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, TypeVar

Provider = TypeVar("Provider", bound="FakeProvider")


@dataclass
class FakeProvider:
    """Subclasses set `handler` (a BaseHTTPRequestHandler whose `fake` is the instance) and
    `fault_type` (the dataclass `fail_next` builds)."""

    handler: ClassVar[type[BaseHTTPRequestHandler]]
    fault_type: ClassVar[type[Any]]

    requests: list[Any] = field(default_factory=list)
    faults: list[Any] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the fake is not running"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail_next(self, times: int = 1, **fault: Any) -> None:
        with self._lock:
            self.faults.extend(self.fault_type(**fault) for _ in range(times))

    def start(self) -> None:
        handler = type("Handler", (self.handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll keeps stop() quick: shutdown() waits for the serving loop to notice.
        serve = self._server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()  # releases any hanging request
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _take_fault(self) -> Any:
        with self._lock:
            return self.faults.pop(0) if self.faults else None

    def _record(self, request: Any) -> None:
        with self._lock:
            self.requests.append(request)


@contextmanager
def running(fake: Provider) -> Iterator[Provider]:
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


class QuietHandler(BaseHTTPRequestHandler):
    fake: Any

    def log_message(self, format: str, *args: Any) -> None:  # the test output stays quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        raise NotImplementedError

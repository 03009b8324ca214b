"""Browser fixtures: Debian's Chromium driven by Playwright, and onward served by a real uvicorn.

Without /usr/bin/chromium (the `chromium` Debian package; `make test` installs it) the browser
tests skip with a loud reason; with CI set they fail instead, as PostgreSQL's do.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette

CHROMIUM = Path("/usr/bin/chromium")
_problem: list[str] = []


def _unavailable(reason: str) -> None:
    message = f"browser tests cannot run: {reason}"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI is set, so this is a failure, not a skip")
    _problem.append(message)
    pytest.skip(message)


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, and later tests that call asyncio.run() in the same thread must not find it.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium, or run make test)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed ({exc})")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield launched
        finally:
            launched.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Served:
    """An ASGI app under a real uvicorn on 127.0.0.1, in a thread."""

    def __init__(self, app: Starlette) -> None:
        self.port = free_port()
        # As `onward serve` does: uvicorn keeps its hands off logging (no handlers of its own,
        # nothing stopped from reaching onward's JSON root handler in later tests).
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", log_config=None
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)  # waiting for a server thread, not for a schedule
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _problem:
        terminalreporter.section("Browser tests were SKIPPED", sep="!", red=True, bold=True)
        terminalreporter.write_line(_problem[0], red=True, bold=True)

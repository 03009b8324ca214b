"""The real daemon tells the on-call person at once, and warns at start-up if nobody is on call."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow
ONWARD = [sys.executable, "-m", "onward.engine.cli"]
ON_CALL = "+14155550199"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ONWARD, *args], env=env, capture_output=True, text=True, timeout=60)


def _wait_until(predicate: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the daemon")


def _serve(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[str]]:
    assert _run(["db", "upgrade"], env).returncode == 0
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*ONWARD, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        base = f"http://127.0.0.1:{env['ONWARD_PORT']}"

        def healthy() -> bool:
            try:
                return httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200
            except httpx.HTTPError:
                return process.poll() is not None

        try:
            _wait_until(healthy)
            assert process.poll() is None, log_path.read_text()
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ONWARD_", "TWILIO_", "SENDGRID_"))
    }
    env.update(
        ONWARD_DATABASE_URL=f"sqlite:///{tmp_path}/serve.db",
        ONWARD_PORT=str(_free_port()),
        ONWARD_TICK_SECONDS="0.3",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def test_words_of_crisis_reach_the_on_call_phone_at_once(tmp_path: Path) -> None:
    env = _env(tmp_path, ONWARD_ESCALATION_SMS=ON_CALL)
    log_path = tmp_path / "daemon.out"
    for _process in _serve(env, log_path):
        assert "nobody is on call" not in log_path.read_text()
        assert (
            _run(["simulate", "sms", "--from", "+14155550100", "REJECTED Acme"], env).returncode
            == 0
        )
        texted = _run(["simulate", "sms", "--from", "+14155550100", "i cant go on"], env)
        assert "988" in texted.stdout
        # No housekeeping pass needed (that is a minute away): the alert follows the message.
        _wait_until(lambda: "someone may be in crisis" in log_path.read_text(), seconds=10)
        out = log_path.read_text()
        assert ON_CALL in out and "/console/people/" in out


def test_serve_warns_at_start_up_when_nobody_is_on_call(tmp_path: Path) -> None:
    log_path = tmp_path / "daemon.out"
    for _process in _serve(_env(tmp_path), log_path):
        assert "nobody is on call" in log_path.read_text()

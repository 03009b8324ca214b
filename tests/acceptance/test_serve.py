"""The real daemon as a subprocess: text it with `onward simulate`, see a nudge go out, stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from onward.engine.clock import SystemClock
from onward.engine.storage.db import create_db_engine
from onward.engine.storage.models import Person, Step

pytestmark = pytest.mark.slow
ONWARD = [sys.executable, "-m", "onward.engine.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ONWARD, *args], env=env, capture_output=True, text=True, timeout=60)


def _wait_until(predicate: object, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the daemon")


@pytest.fixture
def daemon_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ONWARD_", "TWILIO_", "SENDGRID_"))
    }
    env.update(
        ONWARD_DATABASE_URL=f"sqlite:///{tmp_path}/serve.db",
        ONWARD_PORT=str(_free_port()),
        ONWARD_TICK_SECONDS="0.3",
        ONWARD_SEND_WINDOW="00:00-24:00",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def serving(
    daemon_env: dict[str, str], tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    assert _run(["db", "upgrade"], daemon_env).returncode == 0
    log_path = tmp_path / "daemon.out"
    log = log_path.open("w")
    process = subprocess.Popen(
        [*ONWARD, "serve"], env=daemon_env, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{daemon_env['ONWARD_PORT']}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return process.poll() is not None

    _wait_until(healthy)
    assert process.poll() is None, log_path.read_text()
    try:
        yield process, log_path
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def test_texting_the_daemon_and_receiving_a_nudge(
    serving: tuple[subprocess.Popen[str], Path], daemon_env: dict[str, str]
) -> None:
    process, log_path = serving
    texted = _run(
        ["simulate", "sms", "--from", "+14155550100", "REJECTED Acme - Data Analyst"], daemon_env
    )
    assert texted.returncode == 0, texted.stderr
    assert "Acme" in texted.stdout and "Next:" in texted.stdout

    # Let a day pass in the database: the check-in falls due now, and the running daemon sends it.
    # (The operator's per-person window lets it go whatever the real time of day is.)
    engine = create_db_engine(daemon_env["ONWARD_DATABASE_URL"])
    now = SystemClock().now()  # the daemon runs on real time
    with engine.begin() as conn:
        conn.execute(update(Person).values(send_window="00:00-24:00"))
        conn.execute(update(Step).where(Step.step_key == "checkin").values(due_at=now))
    engine.dispose()
    _wait_until(lambda: "Just checking in" in log_path.read_text())
    assert "+14155550100" in log_path.read_text()

    stop = _run(["simulate", "sms", "--from", "+14155550100", "STOP"], daemon_env)
    assert "unsubscribed" in stop.stdout

    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert time.monotonic() - started < 10


def test_simulate_without_a_daemon_says_so(daemon_env: dict[str, str]) -> None:
    result = _run(["simulate", "sms", "--from", "+14155550100", "HELP"], daemon_env)
    assert result.returncode == 1
    assert "no onward daemon answers" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_an_old_schema_with_one_line(daemon_env: dict[str, str]) -> None:
    result = _run(["serve"], daemon_env)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "onward db upgrade" in lines[0]


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_idle_daemon_stops_cleanly_on_either_signal(
    serving: tuple[subprocess.Popen[str], Path], stop_with: signal.Signals
) -> None:
    process, log_path = serving
    started = time.monotonic()
    process.send_signal(stop_with)
    assert process.wait(timeout=10) == 0, log_path.read_text()
    assert time.monotonic() - started < 10
    assert "Traceback" not in log_path.read_text()

"""`onward serve` under an attacker's and an operator's mistakes: stalled connections by the
thousand with the systemd default of 1,024 open files, a taken port, placeholder credentials.
Loopback only; every loop is bounded."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, sign

pytestmark = pytest.mark.slow
ONWARD = [sys.executable, "-m", "onward.engine.cli"]
STALLED = 1_100
FILES = 1_024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ONWARD_", "TWILIO_", "SENDGRID_"))
    }
    port = _free_port()
    env.update(
        ONWARD_DATABASE_URL=f"sqlite:///{tmp_path}/limits.db",
        ONWARD_PORT=str(port),
        ONWARD_PUBLIC_URL=f"http://127.0.0.1:{port}",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ONWARD, *args], env=env, capture_output=True, text=True, timeout=60)


def _few_files() -> None:
    """In the child, before exec: the systemd default limit on open files."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (FILES, FILES))


@pytest.fixture
def twilio_daemon(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    env = _env(
        tmp_path,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        ONWARD_TWILIO_FROM="+15005550006",
        ONWARD_TWILIO_API_BASE=f"http://127.0.0.1:{_free_port()}",  # nobody: no sends here
        ONWARD_EMAIL_CHANNEL="console",
        ONWARD_LOG_FORMAT="json",
        ONWARD_BODY_TIMEOUT_SECONDS="3",
    )
    assert _run(["db", "upgrade"], env).returncode == 0
    log_path = tmp_path / "daemon.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*ONWARD, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_few_files
        )
    base = env["ONWARD_PUBLIC_URL"]
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                assert process.poll() is None, log_path.read_text()
            time.sleep(0.1)
        else:
            raise AssertionError("the daemon never answered /healthz")
        yield env, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stall(port: int, count: int) -> list[socket.socket]:
    """Connections that send a webhook's headers and then nothing of the body they announce."""
    head = (
        b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400\r\n\r\n"
    )
    opened = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(head)
        opened.append(sock)
    return opened


def _signed_sms(base: str, sid: str) -> httpx.Response:
    url = f"{base}/webhooks/twilio/sms"
    params = {"MessageSid": sid, "From": "+14155550100", "To": "+15005550006", "Body": "HELP"}
    return httpx.post(
        url,
        content=urlencode(params).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign(url, params),
        },
        timeout=10,
    )


def test_stalled_connections_cannot_take_the_daemon_offline(
    twilio_daemon: tuple[dict[str, str], Path],
) -> None:
    env, log_path = twilio_daemon
    base, port = env["ONWARD_PUBLIC_URL"], int(env["ONWARD_PORT"])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < STALLED + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, STALLED + 500), hard))
    stalled = _stall(port, STALLED)
    try:
        started = time.monotonic()
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        assert time.monotonic() - started < 2
        started = time.monotonic()
        answered = _signed_sms(base, "SM" + "1" * 32)
        assert time.monotonic() - started < 2
        assert answered.status_code == 200 and "<Response>" in answered.text
        # And again a few seconds later, while the flood goes on.
        more = _stall(port, 200)
        stalled += more
        started = time.monotonic()
        assert _signed_sms(base, "SM" + "2" * 32).status_code == 200
        assert time.monotonic() - started < 2
    finally:
        for sock in stalled:
            sock.close()
    assert log_path.stat().st_size < 10 * 1024 * 1024
    for line in log_path.read_text().splitlines():
        json.loads(line)  # every record is JSON, uvicorn's and asyncio's included


def test_a_body_that_stops_arriving_gets_408(twilio_daemon: tuple[dict[str, str], Path]) -> None:
    env, _log = twilio_daemon
    (sock,) = _stall(int(env["ONWARD_PORT"]), 1)
    try:
        sock.sendall(b"From=%2B1415")  # a little of the body, then nothing
        sock.settimeout(10)
        started = time.monotonic()
        answer = sock.recv(4096)
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert 2.5 < time.monotonic() - started < 6


def test_an_idle_connection_is_closed_after_the_keep_alive_time(
    twilio_daemon: tuple[dict[str, str], Path],
) -> None:
    env, _log = twilio_daemon
    with socket.create_connection(("127.0.0.1", int(env["ONWARD_PORT"])), timeout=15) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b""  # closed by the daemon, having said nothing
        assert time.monotonic() - started < 10


def test_a_taken_port_is_one_line_naming_it_and_exit_1(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _run(["db", "upgrade"], env).returncode == 0
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", int(env["ONWARD_PORT"])))
        holder.listen()
        result = _run(["serve"], env)
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert env["ONWARD_PORT"] in lines[0] and "ONWARD_PORT" in lines[0]
    assert "onward serving" not in result.stdout + result.stderr


def test_placeholder_credentials_stop_the_daemon_at_start(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN="CHANGE-ME",
        ONWARD_TWILIO_FROM="+15005550006",
    )
    assert _run(["db", "upgrade"], env).returncode == 0
    result = _run(["serve"], env)
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and "TWILIO_AUTH_TOKEN" in lines[0], lines
    assert "CHANGE-ME" not in lines[0]

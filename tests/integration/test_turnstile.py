"""Webhooks first across processes on one SQLite file: a process with inbound messages in hand
holds the turnstile, and a dispatcher in any process lets them have the write lock for a moment
before its next batch. Another process is a real one here: a lock held by a process that dies
must not stay behind."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from onward.engine.clock import SystemClock
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings
from onward.engine.storage.turnstile import SUFFIX, Turnstile
from onward.engine.storage.write_queue import InboundFirst

# Another process with a message in hand until its stdin closes (or it is killed).
HOLDER = """
import sys
from onward.engine.storage.turnstile import Turnstile
turnstile = Turnstile.for_database(sys.argv[1])
turnstile.hold()
print("holding", flush=True)
sys.stdin.read()
turnstile.release()
print("left", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'onward.db'}"


@pytest.fixture
def turnstile(database: str) -> Iterator[Turnstile]:
    """This process's turnstile on the test's database file."""
    opened = Turnstile.for_database(database)
    assert opened is not None
    yield opened
    opened.close()


@pytest.fixture
def holder(database: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "holding"
    yield proc
    proc.kill()
    proc.wait(timeout=10)


def test_a_sqlite_file_has_a_turnstile_beside_it_and_postgresql_none(tmp_path: Path) -> None:
    turnstile = Turnstile.for_database(f"sqlite:///{tmp_path / 'onward.db'}")
    assert turnstile is not None
    assert turnstile.path == tmp_path / f"onward.db{SUFFIX}"
    assert Turnstile.for_database("sqlite://") is None  # in memory: one process
    assert Turnstile.for_database("sqlite:///:memory:") is None
    assert Turnstile.for_database("postgresql+psycopg://postgres@127.0.0.1:5432/test") is None
    turnstile.close()


def test_messages_in_hand_in_this_process_show_and_stop_showing(turnstile: Turnstile) -> None:
    first = InboundFirst(turnstile=turnstile)
    assert turnstile.busy() is False
    with first.handling():
        with first.handling():
            assert turnstile.busy() is True  # the probe sees this process's own lock
        assert turnstile.busy() is True  # one message still in hand
    assert turnstile.busy() is False


def test_another_process_with_a_message_in_hand_is_seen(
    turnstile: Turnstile, holder: subprocess.Popen[str]
) -> None:
    assert turnstile.busy() is True
    assert holder.stdin is not None and holder.stdout is not None
    holder.stdin.close()  # the other process is done with its message
    assert holder.stdout.readline().strip() == "left"
    assert turnstile.busy() is False


def test_a_process_that_dies_holding_the_turnstile_leaves_nothing_behind(
    turnstile: Turnstile, holder: subprocess.Popen[str]
) -> None:
    assert turnstile.busy() is True
    holder.kill()
    holder.wait(timeout=10)
    assert turnstile.busy() is False


def test_a_dispatcher_gives_another_process_s_webhooks_a_moment_not_more(
    database: str, holder: subprocess.Popen[str]
) -> None:
    first = InboundFirst.for_database(database)
    first.others_wait = 0.2
    started = time.monotonic()
    assert first.wait_turn() is False  # they were still at it: the batch goes on
    waited = time.monotonic() - started
    assert 0.2 <= waited < 5
    assert first.wait_send_turn() is True  # a send waits only for this process's own


def test_a_dispatcher_goes_on_as_soon_as_the_other_process_is_done(
    database: str, holder: subprocess.Popen[str]
) -> None:
    first = InboundFirst.for_database(database)
    first.others_wait = 30.0
    assert holder.stdin is not None
    # The other process finishes its message while the dispatcher waits.
    closer = threading.Timer(0.1, holder.stdin.close)
    started = time.monotonic()
    closer.start()
    assert first.wait_turn() is True
    closer.join(timeout=10)
    assert time.monotonic() - started < 10  # not the 30 s it was allowed


def test_a_daemon_s_webhooks_hold_the_turnstile_while_in_hand(database: str) -> None:
    runtime = Runtime(load_settings({"ONWARD_DATABASE_URL": database}), SystemClock())
    try:
        first = runtime.inbound_first
        assert first.turnstile is not None
        other = Turnstile.for_database(database)
        assert other is not None
        with first.handling():
            assert other.busy() is True
        assert other.busy() is False
        other.close()
    finally:
        runtime.close()


def test_a_turnstile_that_cannot_be_opened_leaves_the_sign_out_not_the_webhook(
    tmp_path: Path,
) -> None:
    turnstile = Turnstile.for_database(f"sqlite:///{tmp_path / 'gone' / 'onward.db'}")
    assert turnstile is not None  # its folder does not exist: the file cannot be made
    turnstile.hold()
    assert turnstile.busy() is False
    turnstile.release()
    first = InboundFirst(turnstile=turnstile)
    with first.handling():
        pass
    assert first.wait_turn() is True
    turnstile.close()


def test_the_turnstile_is_never_open_for_writing(turnstile: Turnstile) -> None:
    """A file open for writing would keep its disk from being remounted read-only."""
    turnstile.hold()
    assert turnstile.busy() is True
    opened = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target == str(turnstile.path):
            flags = int(Path(f"/proc/self/fdinfo/{fd}").read_text().split()[3], 8)
            assert flags & (os.O_WRONLY | os.O_RDWR) == 0
            opened += 1
    assert opened == 2  # the lock held and the probe
    turnstile.release()

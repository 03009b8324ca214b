"""The SQLite default on a disk that fills up or turns read-only: webhooks get a clear 503 so the
provider retries, the database is never corrupted, and everything works again once it is fixed.

A small tmpfs is mounted for the test; where mounting is not allowed (not root), it is skipped.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from onward.engine.clock import FakeClock
from onward.engine.storage.db import create_db_engine
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import InboundMessage
from tests.integration.web_helpers import WebRig, build_rig

pytestmark = pytest.mark.slow
SMS = "/webhooks/console/sms"


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk))
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"cannot mount a small filesystem here ({exc}); disk-fault tests need root")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False, capture_output=True)


@pytest.fixture
def rig(small_disk: Path, clock: FakeClock) -> Iterator[WebRig]:
    url = f"sqlite:///{small_disk / 'onward.db'}"
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    rig = build_rig(url, clock)
    yield rig
    rig.client.close()
    rig.runtime.close()


def _stored(rig: WebRig) -> int:
    with rig.runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage)) or 0


def _intact(rig: WebRig) -> bool:
    with rig.runtime.engine.connect() as conn:
        return conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def _text(rig: WebRig, body: str, message_id: str) -> int:
    headers = {"X-Console-Message-Id": message_id}
    return rig.client.post(
        SMS, json={"from": "+14155550100", "body": body}, headers=headers
    ).status_code


def test_a_full_disk_gives_503_and_loses_nothing(rig: WebRig, small_disk: Path) -> None:
    assert _text(rig, "REJECTED Acme", "m-1") == 200
    filler = small_disk / "filler"
    with filler.open("wb") as out:  # fill every byte that is left
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    statuses = {
        _text(rig, f"the interview went well {n} " + "x" * 2000, f"m-{n}") for n in range(2, 40)
    }
    assert 503 in statuses and not statuses - {200, 503}
    filler.unlink()
    assert _intact(rig)
    assert _text(rig, "NEXT", "m-retry") == 200  # the provider's retry, once there is room
    assert rig.client.get("/readyz").status_code == 200


def test_a_read_only_disk_gives_503_then_recovers(rig: WebRig, small_disk: Path) -> None:
    assert _text(rig, "REJECTED Acme", "m-1") == 200
    rig.runtime.engine.dispose()  # SQLite must reopen its files to notice the remount
    _mount("-o", "remount,ro", str(small_disk))
    try:
        assert _text(rig, "NEXT", "m-2") == 503
        assert rig.client.get("/healthz").status_code == 200
    finally:
        _mount("-o", "remount,rw", str(small_disk))
    rig.runtime.engine.dispose()
    assert _intact(rig)
    assert _text(rig, "NEXT", "m-2") == 200
    assert _stored(rig) == 2

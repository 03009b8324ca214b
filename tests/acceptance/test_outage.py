"""The database goes away under a running daemon and comes back: liveness holds, readiness and
webhooks say 503 so providers retry, nothing is lost, and dispatch resumes with no restart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.engine import make_url

from onward.engine.clock import SystemClock
from onward.engine.storage.db import create_db_engine
from onward.engine.storage.models import InboundMessage, Person, Step
from tests.acceptance.test_replicas import Replica
from tests.conftest import drop_postgres_database, fresh_postgres_url

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def database(postgres_admin: Engine) -> Iterator[str]:
    url = fresh_postgres_url(postgres_admin)
    try:
        yield url
    finally:
        _allow(postgres_admin, url, True)
        drop_postgres_database(postgres_admin, url)


def _allow(admin: Engine, url: str, allowed: bool) -> None:
    name = make_url(url).database
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                {"d": name},
            )


def test_a_database_outage_loses_nothing_and_heals_by_itself(
    database: str, postgres_admin: Engine, tmp_path: Path
) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("ONWARD_", "TWILIO_", "SENDGRID_"))
    }
    env.update(ONWARD_DATABASE_URL=database, ONWARD_TICK_SECONDS="0.3", PYTHONUNBUFFERED="1")
    cli = [sys.executable, "-m", "onward.engine.cli"]
    assert subprocess.run([*cli, "db", "upgrade"], env=env, capture_output=True).returncode == 0
    replica = Replica(env, tmp_path / "daemon.log")
    engine = create_db_engine(database)
    try:
        replica.wait_healthy()
        assert replica.text("+14155550100", "REJECTED Acme", "m-1").status_code == 200
        with engine.begin() as conn:  # the check-in falls due a few seconds from now
            conn.execute(update(Person).values(send_window="00:00-24:00"))
            soon = SystemClock().now() + timedelta(seconds=3)
            conn.execute(update(Step).where(Step.step_key == "checkin").values(due_at=soon))
        engine.dispose()

        _allow(postgres_admin, database, False)
        time.sleep(0.5)
        assert httpx.get(f"{replica.base}/healthz", timeout=5).status_code == 200
        assert httpx.get(f"{replica.base}/readyz", timeout=10).status_code == 503
        refused = replica.text("+14155550100", "NEXT", "m-2")
        assert refused.status_code == 503 and refused.headers["retry-after"]
        time.sleep(4)  # the check-in falls due while the database is gone
        assert replica.process.poll() is None

        _allow(postgres_admin, database, True)
        retried = replica.text("+14155550100", "NEXT", "m-2")  # the provider's retry
        assert retried.status_code == 200 and "Next" in retried.text
        deadline = time.monotonic() + 20
        while "Just checking in" not in replica.log.read_text():
            assert time.monotonic() < deadline, replica.log.read_text()[-2000:]
            time.sleep(0.2)
        assert httpx.get(f"{replica.base}/readyz", timeout=5).status_code == 200
        with engine.connect() as conn:
            stored = conn.scalars(select(InboundMessage.provider_message_id)).all()
        assert sorted(stored) == ["m-1", "m-2"]
    finally:
        replica.stop()
        engine.dispose()

"""Build the real web app over a real database, with the console channel printing to a buffer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from onward.engine.clock import FakeClock
from onward.engine.daemon import Daemon
from onward.engine.plan_store import install_shipped_plans
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings

LOOPBACK_CLIENT = ("127.0.0.1", 50000)


@dataclass
class WebRig:
    runtime: Runtime
    daemon: Daemon
    client: TestClient
    printed: io.StringIO


def build_rig(url: str, clock: FakeClock, install_plans: bool = True, **env: str) -> WebRig:
    settings = load_settings({"ONWARD_DATABASE_URL": url, **env})
    printed = io.StringIO()
    runtime = Runtime(settings, clock, output=printed)
    if install_plans:
        with runtime.sessions.begin() as session:
            install_shipped_plans(session, clock)
    daemon = Daemon(runtime)
    client = TestClient(daemon.app(), client=LOOPBACK_CLIENT)
    return WebRig(runtime, daemon, client, printed)


def engine_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def rig(db_engine: Engine, clock: FakeClock) -> Iterator[WebRig]:
    """The web app over the test's database, closed after the test."""
    rig = build_rig(engine_url(db_engine), clock)
    yield rig
    rig.client.close()
    rig.runtime.close()

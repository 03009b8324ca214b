"""Records test kit: the CLI on the module's shared database (SQLite or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from onward.engine.cli.state import state
from onward.engine.clock import FakeClock
from onward.engine.plan_store import install_shipped_plans
from onward.engine.runtime import Runtime
from onward.engine.settings import load_settings

MakeRuntime = Callable[..., Runtime]


@pytest.fixture
def make_runtime(engine: Engine, clock: FakeClock) -> Iterator[MakeRuntime]:
    """A CLI runtime on the test's database, with extra settings if given."""
    made: list[Runtime] = []

    def make(**settings: str) -> Runtime:
        url = engine.url.render_as_string(hide_password=False)
        runtime = Runtime(load_settings({"ONWARD_DATABASE_URL": url, **settings}), clock=clock)
        with runtime.sessions.begin() as session:
            install_shipped_plans(session, clock)
        state.use(runtime)
        made.append(runtime)
        return runtime

    yield make
    state.use(None)
    for runtime in made:
        runtime.close()


@pytest.fixture
def records(make_runtime: MakeRuntime) -> Runtime:
    return make_runtime()

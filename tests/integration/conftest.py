"""Integration fixtures: one migrated database per backend and module, emptied for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from onward.engine.clock import FakeClock
from tests.integration.inbound_helpers import BACKENDS, Talk, cleared, shared_database
from tests.integration.records_helpers import make_runtime, records  # noqa: F401 (fixtures)


@pytest.fixture(scope="module", params=BACKENDS)
def shared_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    yield from shared_database(request, tmp_path_factory)


@pytest.fixture
def engine(shared_engine: Engine) -> Engine:
    return cleared(shared_engine)


@pytest.fixture
def talk(engine: Engine, clock: FakeClock) -> Talk:
    return Talk(engine, clock)

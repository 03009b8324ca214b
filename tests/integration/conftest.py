"""Integration fixtures: one migrated database per backend and module, emptied for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from onward.engine.clock import FakeClock
from tests.integration.dispatch_helpers import Harness
from tests.integration.inbound_helpers import BACKENDS, Talk, cleared, shared_database


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


@pytest.fixture
def world(db_engine: Engine, clock: FakeClock) -> Harness:
    """A fresh migrated database (each backend) with the shipped plans, for dispatcher tests."""
    return Harness(db_engine, clock)

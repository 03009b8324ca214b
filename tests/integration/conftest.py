"""Integration fixtures: the inbound kit over the suite's database (tests/conftest.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from onward.engine.clock import FakeClock
from tests.integration.dispatch_helpers import Harness
from tests.integration.inbound_helpers import Talk
from tests.integration.records_helpers import make_runtime, records  # noqa: F401 (fixtures)
from tests.integration.web_helpers import rig  # noqa: F401 (a fixture; modules may define their own)


# lead: `engine` is the inbound and dispatch tests' name for `db_engine`; one name after the merge.
@pytest.fixture
def engine(db_engine: Engine) -> Engine:
    return db_engine


@pytest.fixture
def talk(engine: Engine, clock: FakeClock) -> Talk:
    return Talk(engine, clock)


@pytest.fixture
def world(db_engine: Engine, clock: FakeClock) -> Harness:
    """A fresh migrated database (each backend) with the shipped plans, for dispatcher tests."""
    return Harness(db_engine, clock)

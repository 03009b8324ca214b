"""Shared fixtures: the clock and a real database on each backend (a SQLite file and a PostgreSQL
database of its own), migrated once per module and emptied for each test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from onward.engine.clock import FakeClock
from onward.engine.storage.db import create_db_engine
from onward.engine.storage.declarative import Base
from onward.engine.storage.migrate import upgrade
from onward.engine.storage.models import AppSetting
from onward.engine.storage.sealing import STORED_KEY

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

# The CLI tests give each command its own terminal width (COLUMNS in CliRunner's environment).
# A width inherited from the shell or set by pytest-xdist's workers would instead be frozen into
# rich's consoles when the CLI is first imported, and tables would cut what the tests look for.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)


def postgres_admin_url() -> str:
    return os.environ.get("ONWARD_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _postgres_unavailable(reason: str) -> None:
    message = (
        f"PostgreSQL tests cannot run: {reason} (ONWARD_TEST_POSTGRES_URL={postgres_admin_url()})"
    )
    if os.environ.get("CI"):
        pytest.fail(message + "; CI is set, so this is a failure, not a skip")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    engine = create_engine(
        postgres_admin_url(), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        engine.dispose()
        _postgres_unavailable(str(exc.orig).splitlines()[0] if exc.orig else str(exc))
    yield engine
    engine.dispose()


def fresh_postgres_url(admin: Engine) -> str:
    name = f"onward_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin: Engine, url: str) -> None:
    name = make_url(url).database
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty, unmigrated database on each backend, fresh for the test: a SQLite file or a new
    PostgreSQL database. Only for tests of the migrations themselves; everything else uses
    `db_engine`."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'onward.db'}"
        return
    admin = request.getfixturevalue("postgres_admin")
    url = fresh_postgres_url(admin)
    try:
        yield url
    finally:
        drop_postgres_database(admin, url)


# The one database strategy of the suite: a database migrated once per test module and backend
# (migrating, and creating a PostgreSQL database, for every test was most of the suite's time),
# emptied of every row before each test that asks for it, so no test sees another's rows.


def _migrated(url: str) -> Engine:
    engine = create_db_engine(url)
    upgrade(engine)
    return engine


def cleared(engine: Engine) -> Engine:
    """The database emptied of every row (children first, so foreign keys hold), but for the
    key that seals people's words: a process that starts later must open what a test wrote."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table is AppSetting.__table__:
                conn.execute(delete(AppSetting).where(AppSetting.key.not_like(f"{STORED_KEY}%")))
            else:
                conn.execute(delete(table))
    return engine


@pytest.fixture(scope="module", params=BACKENDS)
def shared_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The module's migrated database on each backend (ask for `db_engine`: it is emptied)."""
    if request.param == "sqlite":
        engine = _migrated(f"sqlite:///{tmp_path_factory.mktemp('db') / 'onward.db'}")
        yield engine
        engine.dispose()
        return
    admin = request.getfixturevalue("postgres_admin")
    url = fresh_postgres_url(admin)
    try:
        engine = _migrated(url)
        yield engine
        engine.dispose()
    finally:
        drop_postgres_database(admin, url)


@pytest.fixture
def db_engine(shared_engine: Engine) -> Engine:
    """A migrated, empty database on each backend."""
    return cleared(shared_engine)


@pytest.fixture(scope="module")
def shared_sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = _migrated(f"sqlite:///{tmp_path_factory.mktemp('db') / 'onward.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(shared_sqlite_engine: Engine) -> Engine:
    """A migrated, empty SQLite database (for what only SQLite does: WAL, its one writer)."""
    return cleared(shared_sqlite_engine)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Read from the skip reports, not from this process: under pytest-xdist the skips happen in
    # the workers and only their reports come back here.
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        if "PostgreSQL tests cannot run" in reason:
            terminalreporter.section("PostgreSQL tests were SKIPPED", sep="!", red=True, bold=True)
            terminalreporter.write_line(reason.removeprefix("Skipped: "), red=True, bold=True)
            return

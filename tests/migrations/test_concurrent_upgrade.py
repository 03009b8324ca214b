"""`onward db upgrade` started by several deploys at once (a migration Job retried while another
runs, two operators): one migrates, the others wait and find the schema current."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import Engine, func, select

from onward.engine.storage.db import create_db_engine
from onward.engine.storage.models import PlanVersion
from onward.plans import shipped_plan_names
from tests.conftest import drop_postgres_database, fresh_postgres_url

pytestmark = pytest.mark.postgres


def test_concurrent_upgrades_migrate_once_and_all_succeed(postgres_admin: Engine) -> None:
    url = fresh_postgres_url(postgres_admin)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONWARD_")}
    env["ONWARD_DATABASE_URL"] = url
    try:
        upgrades = [
            subprocess.Popen(
                [sys.executable, "-m", "onward.engine.cli", "db", "upgrade"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        outputs = [upgrade.communicate(timeout=60) for upgrade in upgrades]
        for upgrade, (_, err) in zip(upgrades, outputs, strict=True):
            assert upgrade.returncode == 0, err
        first_lines = [out.splitlines()[0] for out, _ in outputs]
        assert sum(line.startswith("database upgraded from empty") for line in first_lines) == 1
        assert sum(line.startswith("database already at") for line in first_lines) == 2
        engine = create_db_engine(url)
        try:
            with engine.connect() as conn:
                stored = conn.scalar(select(func.count()).select_from(PlanVersion))
            assert stored == len(shipped_plan_names())
        finally:
            engine.dispose()
    finally:
        drop_postgres_database(postgres_admin, url)

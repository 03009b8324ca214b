"""A real install, both ways, in fresh virtual environments: names, package data, console script."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.acceptance.venvs import fresh_venv, installed_tree, pip_install, source_copy

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


PROBE = """
import sys
from onward.plans import load_shipped_plan, shipped_plan_names
from onward.engine.storage.migrate import head_revision
import onward.engine.cli, onward.channels.console
assert {"standard", "gentle"} <= set(shipped_plan_names()), shipped_plan_names()
assert load_shipped_plan("standard").apply_goal == 5
print(head_revision())
for generic in ("engine", "channels", "plans"):
    try:
        __import__(generic)
    except ImportError:
        continue
    sys.exit(f"a generic top-level package {generic!r} is importable")
"""


def _probe(python: Path, tmp_path: Path) -> None:
    # Run from elsewhere, so nothing resolves through the source tree on the path.
    probe = subprocess.run([python, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    script = python.parent / "onward"
    version = subprocess.run([script, "--version"], cwd=tmp_path, capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("onward "), version.stderr
    env = {**os.environ, "ONWARD_DATABASE_URL": f"sqlite:///{tmp_path}/installed.db"}
    upgrade = subprocess.run(
        [script, "db", "upgrade"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert "installed plan standard v1" in upgrade.stdout


def test_a_normal_install_ships_every_package_and_the_plans(tmp_path: Path) -> None:
    python = fresh_venv(tmp_path / "venv")
    source = source_copy(ROOT, tmp_path / "source")
    pip_install(python, str(source), cwd=source)
    site = installed_tree(python)
    assert (
        not (site / "engine").exists()
        and not (site / "channels").exists()
        and not (site / "plans").exists()
    )
    for source_package in ROOT.glob("*/**/__init__.py"):
        relative = source_package.parent.relative_to(ROOT)
        if relative.parts[0] in ("engine", "channels", "plans"):
            assert (site / "onward" / relative / "__init__.py").exists(), (
                f"{relative} is not installed"
            )
    assert (site / "onward" / "plans" / "standard.yaml").exists()
    assert list((site / "onward" / "engine" / "migrations" / "versions").glob("0001_*.py"))
    _probe(python, tmp_path)


def test_an_editable_install_works_from_anywhere(tmp_path: Path) -> None:
    python = fresh_venv(tmp_path / "venv")
    pip_install(python, "-e", str(ROOT), cwd=ROOT)
    _probe(python, tmp_path)

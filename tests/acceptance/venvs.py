"""Fresh virtual environments for install tests: onward goes in for real, its dependencies are
borrowed from the test's own environment (a .pth file), so no test needs the network."""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
import venv
from pathlib import Path


def fresh_venv(where: Path) -> Path:
    """A new venv that borrows onward's dependencies from the test's environment via a .pth."""
    venv.EnvBuilder(with_pip=True).create(where)
    python = where / "bin" / "python"
    (installed_tree(python) / "borrowed_deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    return python


# What a checkout holds besides its source: a build folder left by an earlier build keeps
# files since renamed (a migration), and pip would ship them.
_NOT_SOURCE = shutil.ignore_patterns(
    "build", ".venv", ".git", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "docs"
)


def source_copy(root: Path, where: Path) -> Path:
    """The project's source as a clean checkout has it, to install from."""
    shutil.copytree(root, where, ignore=_NOT_SOURCE)
    return where


def pip_install(python: Path, *args: str, cwd: Path) -> None:
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", *args],
        check=True,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )


def installed_tree(python: Path) -> Path:
    out = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return Path(out)

"""Fresh virtual environments for install tests: onward goes in for real, its dependencies are
borrowed from the test's own environment (a .pth file), so no test needs the network."""

from __future__ import annotations

import os
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

"""The direction of imports that the design promises, checked on the source: plans and channels
never import the engine; the pure core imports no database; only the shell imports the web
framework, the CLI toolkit and the scheduler."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHELL = {"engine/web/app.py", "engine/web/request.py", "engine/daemon.py"}
PURE = {
    "engine/timing.py",
    "engine/inbound/classify.py",
    "engine/dispatch/retry.py",
    "engine/crisis.py",
    "engine/phones.py",
    "engine/replies.py",
    "engine/clock.py",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _uses(imports: set[str], prefixes: tuple[str, ...]) -> set[str]:
    return {name for name in imports if name.startswith(prefixes)}


@pytest.mark.parametrize(
    "path", _modules("plans") + _modules("channels"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_plans_and_channels_never_import_the_engine(path: Path) -> None:
    assert not _uses(_imports(path), ("onward.engine",))


@pytest.mark.parametrize("path", _modules("channels"), ids=lambda p: str(p.relative_to(ROOT)))
def test_channels_know_no_database_and_no_web_framework(path: Path) -> None:
    assert not _uses(_imports(path), ("sqlalchemy", "starlette", "fastapi", "uvicorn"))


@pytest.mark.parametrize("name", sorted(PURE))
def test_the_pure_core_has_no_io_framework(name: str) -> None:
    assert not _uses(_imports(ROOT / name), ("sqlalchemy", "starlette", "httpx", "apscheduler"))


@pytest.mark.parametrize("path", _modules("engine"), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_shell_imports_web_cli_and_scheduler(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    used = _uses(_imports(path), ("starlette", "uvicorn", "apscheduler", "typer", "rich"))
    if relative in SHELL or relative.startswith("engine/web/"):
        assert not _uses(used, ("typer", "rich"))
    elif relative.startswith("engine/cli/"):
        assert not _uses(used, ("starlette", "uvicorn", "apscheduler"))
    else:
        assert not used, relative

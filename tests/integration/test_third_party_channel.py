"""A third party adds a channel with a package of its own, and onward finds it unchanged."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from onward.channels.registry import ChannelRegistry
from tests.acceptance.venvs import installed_tree

FIXTURE = Path(__file__).parent.parent / "fixtures" / "thirdparty_channel"

# Runs inside the fresh virtual environment, where only pip put the pigeon package.
PROBE = """
import io, json
from onward.channels import Channel, ChannelContext, ChannelNotConfigured, OutboundMessage
from onward.channels.registry import ChannelRegistry

registry = ChannelRegistry()
try:
    registry.create("pigeon", ChannelContext())
    missing = None
except ChannelNotConfigured as exc:
    missing = exc.setting
out = io.StringIO()
channel = registry.create("pigeon", ChannelContext(settings={"PIGEON_LOFT": "Leith"}, output=out))
result = channel.send(OutboundMessage(delivery_id=7, medium="sms", to="+15550100", body="hi"))
info = registry.describe("pigeon")
print(json.dumps({
    "names": registry.names(),
    "is_channel": isinstance(channel, Channel),
    "missing": missing,
    "result": [result.provider_id, result.status],
    "printed": out.getvalue(),
    "check": channel.check(),
    "media": list(info.media),
    "source": info.source,
}))
"""


def build_wheel(project: Path, dest: Path) -> Path:
    """A wheel of the fixture project, zipped by hand so no build backend is needed offline."""
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    dist, version = meta["name"].replace("-", "_"), meta["version"]
    info = f"{dist}-{version}.dist-info"
    files = {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in sorted(project.rglob("*.py"))
    }
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {meta['name']}\nVersion: {version}\n".encode()
    )
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: onward-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{info}/entry_points.txt"] = "".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in entries.items())
        for group, entries in meta["entry-points"].items()
    ).encode()
    record = [
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for name, data in files.items()
    ]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    wheel = dest / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def fresh_venv_seeing_onward(root: Path) -> Path:
    """A new virtual environment whose own site-packages is empty but which can import onward."""
    venv.EnvBuilder(with_pip=False).create(root)
    python = root / "bin" / "python"
    purelib = installed_tree(python)
    # addsitedir (unlike a bare path line) runs onward's own .pth files, editable finder included.
    host = sysconfig.get_paths()["purelib"]
    Path(purelib, "onward-host.pth").write_text(f"import site; site.addsitedir({host!r})\n")
    return python


def run(*command: str | Path, env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{str(command[1:])[:60]} failed:\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_a_pip_installed_distribution_adds_a_channel(tmp_path: Path) -> None:
    pytest.importorskip("pip")
    wheel = build_wheel(FIXTURE, tmp_path)
    python = fresh_venv_seeing_onward(tmp_path / "venv")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYTHONNOUSERSITE": "1",
    }
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel), env=env)

    seen = json.loads(run(python, "-c", PROBE, env=env))
    assert "pigeon" in seen["names"] and "console" in seen["names"]
    assert seen["is_channel"] is True
    assert seen["missing"] == "PIGEON_LOFT"
    assert seen["result"] == ["pigeon-1", "sent"]
    assert seen["printed"] == "pigeon from Leith to +15550100: hi\n"
    assert seen["check"] == "loft Leith has pigeons"
    assert seen["media"] == ["sms"]
    assert seen["source"] == "onward_pigeon:PigeonChannel"


def test_onward_itself_knows_no_pigeon() -> None:
    # The pigeon above came from the installed package alone, not from anything in onward.
    assert "pigeon" not in ChannelRegistry().names()
    assert sys.modules.get("onward_pigeon") is None

"""deploy/ hangs together: the image builds from the packages, migrations run once before the
replicas, the unit starts `onward serve`. (No Docker engine runs here; these read the files.)"""

from __future__ import annotations

from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_image_installs_every_package_with_the_tested_constraints() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for folder in ("engine", "channels", "plans"):
        assert f"COPY {folder} {folder}" in dockerfile
    assert "-c constraints.txt" in dockerfile
    assert 'ENTRYPOINT ["onward"]' in dockerfile and "USER onward" in dockerfile


def test_compose_migrates_once_then_starts_several_replicas() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["onward"]["deploy"]["replicas"] >= 2
    assert (
        services["onward"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    )
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    urls = {
        s["environment"]["ONWARD_DATABASE_URL"] for s in (services["migrate"], services["onward"])
    }
    assert len(urls) == 1 and next(iter(urls)).startswith("postgresql+psycopg://")


def test_the_systemd_unit_serves_and_stops_gracefully() -> None:
    unit = (DEPLOY / "onward.service").read_text()
    assert "ExecStart=/opt/onward/.venv/bin/onward serve" in unit
    assert "KillSignal=SIGTERM" in unit


def test_the_example_environment_names_only_real_settings() -> None:
    from onward.engine.settings import Settings

    known = {field.alias for field in Settings.model_fields.values()}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        line = line.lstrip("# ").strip()
        if "=" in line and line.split("=", 1)[0].isupper():
            assert line.split("=", 1)[0] in known, line

"""deploy/ hangs together: the image builds from the packages, migrations run once before the
replicas, the unit starts `onward serve`. (No Docker engine runs here; these read the files.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_image_installs_every_package_with_the_tested_constraints() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for folder in ("engine", "channels", "plans"):
        assert f"COPY {folder} {folder}" in dockerfile
    assert "-c constraints.txt" in dockerfile
    assert 'ENTRYPOINT ["onward"]' in dockerfile and "USER 10001:10001" in dockerfile


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


def test_the_daemon_gets_room_for_its_connections_above_the_1024_default() -> None:
    from onward.engine.settings import Settings

    default_connections = Settings.model_fields["max_connections"].default
    unit = (DEPLOY / "onward.service").read_text()
    limit = re.search(r"^LimitNOFILE=(\d+)$", unit, re.MULTILINE)
    assert limit is not None and int(limit[1]) > default_connections + 1024
    onward = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["onward"]
    assert onward["ulimits"]["nofile"]["soft"] > default_connections + 1024


def test_plan_templates_run_on_a_jinja2_without_known_sandbox_escapes() -> None:
    import tomllib
    from importlib.metadata import version

    root = DEPLOY.parent
    dependencies = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    (jinja,) = [d for d in dependencies if d.lower().startswith("jinja2")]
    assert jinja.replace(" ", "") == "Jinja2>=3.1.6"
    pinned = re.search(r"^Jinja2==([\d.]+)$", (root / "constraints.txt").read_text(), re.M)
    assert pinned is not None
    for found in (pinned[1], version("jinja2")):
        assert tuple(int(part) for part in found.split(".")[:3]) >= (3, 1, 6)


def test_the_example_environment_names_only_real_settings() -> None:
    from onward.engine.settings import Settings

    known = {field.alias for field in Settings.model_fields.values()}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        line = line.lstrip("# ").strip()
        if "=" in line and line.split("=", 1)[0].isupper():
            assert line.split("=", 1)[0] in known, line


# --- Kubernetes -------------------------------------------------------------------------------

KUBE = DEPLOY / "kubernetes"


def _manifests() -> dict[str, dict[str, Any]]:
    """Every resource of the kustomization, by kind."""
    listed = yaml.safe_load((KUBE / "kustomization.yaml").read_text())["resources"]
    files = [p.name for p in KUBE.glob("*.yaml") if p.stem != "kustomization"]
    assert sorted(listed) == sorted(files)
    docs = [yaml.safe_load((KUBE / name).read_text()) for name in listed]
    return {doc["kind"]: doc for doc in docs}


def _settings_names() -> set[str]:
    from onward.engine.settings import Settings

    return {field.alias for field in Settings.model_fields.values() if field.alias}


def test_every_manifest_is_valid_kubernetes_with_no_unknown_field() -> None:
    import kubernetes_validate

    for doc in _manifests().values():
        kubernetes_validate.validate(doc, "1.30.0", strict=True)


def test_an_unknown_field_would_fail_the_validation() -> None:
    import kubernetes_validate

    deployment = _manifests()["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.30.0", strict=True)


def test_the_manifests_name_only_real_settings_and_their_own_objects() -> None:
    found = _manifests()
    known = _settings_names()
    assert set(found["ConfigMap"]["data"]) <= known
    assert set(found["Secret"]["stringData"]) <= known
    assert "ONWARD_DATABASE_URL" in found["Secret"]["stringData"]  # credentials in the Secret
    for workload in (found["Deployment"], found["Job"]):
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        assert {e["name"] for e in container.get("env", [])} <= known
        refs = container["envFrom"]
        secret_refs = [r["secretRef"]["name"] for r in refs if "secretRef" in r]
        assert secret_refs == [found["Secret"]["metadata"]["name"]]
        config_refs = [r["configMapRef"]["name"] for r in refs if "configMapRef" in r]
        assert config_refs in ([], [found["ConfigMap"]["metadata"]["name"]])


def test_the_migration_job_and_the_replicas_run_the_same_commands_as_compose() -> None:
    found = _manifests()
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    (job,) = found["Job"]["spec"]["template"]["spec"]["containers"]
    (serve,) = found["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert job["args"] == services["migrate"]["command"] == ["db", "upgrade"]
    assert serve["args"] == services["onward"]["command"] == ["serve"]
    assert found["Deployment"]["spec"]["replicas"] >= 2


def test_the_probes_hit_readyz_and_healthz_on_the_port_onward_listens_on() -> None:
    pod = _manifests()["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    (port,) = container["ports"]
    assert container["readinessProbe"]["httpGet"]["port"] == port["name"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["ONWARD_PORT"]) == port["containerPort"]
    assert env["ONWARD_HOST"] == "0.0.0.0"
    # onward exits within 10 s of SIGTERM (tests/acceptance); the pod waits longer than that.
    assert pod["terminationGracePeriodSeconds"] > 10


def test_pods_run_as_the_images_own_non_root_user() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    uid = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.MULTILINE)
    assert uid is not None, "the image's USER must be numeric for runAsNonRoot"
    for kind in ("Deployment", "Job"):
        security = _manifests()[kind]["spec"]["template"]["spec"]["securityContext"]
        assert security["runAsNonRoot"] is True
        assert security["runAsUser"] == int(uid[1]) and security["runAsGroup"] == int(uid[2])


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_builds_the_whole_set() -> None:
    built = subprocess.run(
        ["kubectl", "kustomize", str(KUBE)], check=True, capture_output=True, text=True
    ).stdout
    kinds = sorted(doc["kind"] for doc in yaml.safe_load_all(built))
    assert kinds == sorted(_manifests())


# --- the proxy and the systemd unit, checked by their own tools where installed ---------------


def test_the_proxy_looks_up_the_replicas_by_their_compose_service_name() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    assert re.search(r"dynamic a \{\s*name onward\s*port 8000", caddyfile)
    assert "onward" in services


@pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed")
def test_caddy_accepts_the_caddyfile() -> None:
    checked = subprocess.run(
        ["caddy", "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit_without_a_warning(tmp_path: Path) -> None:
    # verify checks that ExecStart exists: point it at this environment's onward.
    onward = Path(sys.executable).parent / "onward"
    unit = (DEPLOY / "onward.service").read_text()
    (tmp_path / "onward.service").write_text(
        unit.replace("/opt/onward/.venv/bin/onward", str(onward))
    )
    checked = subprocess.run(
        [str(SYSTEMD_ANALYZE), "verify", str(tmp_path / "onward.service")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0 and checked.stderr.strip() == "", checked.stderr


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")
def test_the_unit_is_hardened() -> None:
    scored = subprocess.run(
        [str(SYSTEMD_ANALYZE), "security", "--offline=true", str(DEPLOY / "onward.service")],
        capture_output=True,
        text=True,
    )
    level = re.search(r"Overall exposure level for onward.service: ([\d.]+)", scored.stdout)
    assert level is not None, scored.stdout + scored.stderr
    assert float(level[1]) <= 2.0, scored.stdout  # systemd calls <= 2 "OK"; a bare unit is 9.6


# --- alerting rules -------------------------------------------------------------------------


def _exposed_metric_names() -> set[str]:
    from prometheus_client import generate_latest

    from onward.engine.metrics import REGISTRY

    names: set[str] = set()
    for line in generate_latest(REGISTRY).decode().splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            names.add(name)
            if kind == "counter":  # the TYPE line names the family, samples add _total
                names.add(f"{name}_total")
            if kind == "histogram":
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
    return names


def test_the_alerting_rules_use_only_metrics_onward_exposes() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus-alerts.yaml").read_text())
    exposed = _exposed_metric_names()
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {"OnwardCrisisMessage", "OnwardNotReady"} <= {rule["alert"] for rule in alerts}
    for rule in alerts:
        used = set(re.findall(r"\bonward_[a-z_]+\b", rule["expr"]))
        assert used and used <= exposed, (rule["alert"], used - exposed)

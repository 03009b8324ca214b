"""deploy/ tried as far as a machine without a Docker engine allows.

The image's build stage runs on the host from exactly the files the Dockerfile copies; the
compose services run as processes with the image's ENV, ENTRYPOINT and the services' own
commands and environment: the one-shot migration, then the replicas, then Caddy with
deploy/Caddyfile in front. Signed Twilio webhooks go through the proxy; the Dockerfile's own
HEALTHCHECK and the Kubernetes probes are run against each replica; SIGTERM must end each one
within compose's stop_grace_period. Three things differ from a container, and only these:
the database host (compose's `db` is this machine's PostgreSQL), one port per replica (each
container would have its own network), and Caddy's upstreams (a fixed list instead of the DNS
name `onward`)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import Engine, func, select

from onward.engine.storage.db import create_db_engine
from onward.engine.storage.models import Person, Run
from tests.acceptance.venvs import fresh_venv, pip_install
from tests.conftest import drop_postgres_database, fresh_postgres_url
from tests.fakes.smtp_server import free_port
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FakeTwilioApi, running_fake, sign

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OUR_NUMBER = "+15005550006"


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), one list per FROM."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def instruction(stage: list[str], name: str) -> list[str]:
    return [line[len(name) + 1 :].strip() for line in stage if line.startswith(name + " ")]


def image_env(stage: list[str], prefix: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in instruction(stage, "ENV"):
        for pair in shlex.split(line):
            key, _, value = pair.partition("=")
            value = value.replace("/opt/onward", str(prefix))
            env[key] = value.replace("$PATH", os.environ["PATH"])
    return env


def build_image(tmp: Path) -> tuple[Path, list[str]]:
    """The build stage on the host: its COPY sources only, then its pip install."""
    build, final = dockerfile_stages()
    context = tmp / "context"
    context.mkdir()
    for copy in instruction(build, "COPY"):
        *sources, _ = copy.split()
        for source in sources:
            origin = ROOT / source
            target = context / source
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(origin, target)
    (run,) = instruction(build, "RUN")
    pip_args = shlex.split(run.split("pip install", 1)[1])
    prefix = tmp / "opt-onward"
    python = fresh_venv(prefix)
    pip_install(python, *[a for a in pip_args if a != "--no-cache-dir"], cwd=context)
    (entrypoint,) = instruction(final, "ENTRYPOINT")
    return prefix, json.loads(entrypoint)


@dataclass
class Stack:
    prefix: Path
    env: dict[str, str]
    entrypoint: list[str]
    replicas: list[tuple[subprocess.Popen[bytes], int]]
    database_url: str
    proxy_url: str | None
    twilio: FakeTwilioApi


def _wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"replica on {port} never answered /healthz:\n{log.read_text()}")


def _service_env(service: dict[str, Any], image: dict[str, str], db_url: str) -> dict[str, str]:
    env = {**image, **service["environment"]}
    assert env["ONWARD_DATABASE_URL"].startswith("postgresql+psycopg://")
    env["ONWARD_DATABASE_URL"] = db_url  # compose's `db` is this machine's PostgreSQL
    return env


def _start_proxy(tmp: Path, ports: list[int]) -> tuple[subprocess.Popen[bytes], str] | None:
    caddy = shutil.which("caddy")
    if caddy is None:
        return None
    adapted = subprocess.run(
        [caddy, "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        check=True,
        capture_output=True,
        text=True,
    )
    config = json.loads(adapted.stdout)
    listen = free_port()
    config["admin"] = {"disabled": True}
    for server in config["apps"]["http"]["servers"].values():
        server["listen"] = [f"127.0.0.1:{listen}"]
        for route in server["routes"]:
            for handler in route["handle"]:
                if handler["handler"] == "reverse_proxy":
                    assert handler.pop("dynamic_upstreams")["name"] == "onward"
                    handler["upstreams"] = [{"dial": f"127.0.0.1:{p}"} for p in ports]
    (tmp / "caddy.json").write_text(json.dumps(config))
    env = {**os.environ, "HOME": str(tmp), "XDG_DATA_HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp)}
    proxy = subprocess.Popen(
        [caddy, "run", "--config", str(tmp / "caddy.json")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp / "caddy.log").open("w"),
    )
    return proxy, f"http://127.0.0.1:{listen}"


@pytest.fixture(scope="module")
def stack(postgres_admin: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("deploy")
    prefix, entrypoint = build_image(tmp)
    image = image_env(dockerfile_stages()[-1], prefix)
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    db_url = fresh_postgres_url(postgres_admin)
    ports = [free_port() for _ in range(services["onward"]["deploy"]["replicas"])]
    started: list[tuple[subprocess.Popen[bytes], int]] = []
    proxy = None
    with running_fake() as twilio:
        try:
            proxy = _start_proxy(tmp, ports)
            public = proxy[1] if proxy else f"http://127.0.0.1:{ports[0]}"
            # What an operator puts in deploy/.env (env_file) for Twilio.
            dotenv = {
                "ONWARD_PUBLIC_URL": public,
                "ONWARD_SMS_CHANNEL": "twilio",
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "ONWARD_TWILIO_FROM": OUR_NUMBER,
                "ONWARD_TWILIO_API_BASE": twilio.base_url,
            }
            migrate = {**_service_env(services["migrate"], image, db_url), **dotenv}
            upgraded = subprocess.run(
                [*entrypoint, *services["migrate"]["command"]],
                env=migrate,
                capture_output=True,
                text=True,
                cwd=tmp,
            )
            assert upgraded.returncode == 0, upgraded.stderr
            assert "database upgraded from empty" in upgraded.stdout
            serve_env = {**_service_env(services["onward"], image, db_url), **dotenv}
            for n, port in enumerate(ports):
                log = tmp / f"replica{n}.log"
                # Each container has its own network; on one host each replica needs a port.
                env = {**serve_env, "ONWARD_HOST": "127.0.0.1", "ONWARD_PORT": str(port)}
                process = subprocess.Popen(
                    [*entrypoint, *services["onward"]["command"]],
                    env=env,
                    cwd=tmp,
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                )
                started.append((process, port))
                _wait_healthy(port, process, log)
            yield Stack(prefix, serve_env, entrypoint, started, db_url, proxy and proxy[1], twilio)
        finally:
            for process, _ in started:
                if process.poll() is None:
                    process.kill()
                    process.wait()
            if proxy:
                proxy[0].terminate()
                proxy[0].wait()
            drop_postgres_database(postgres_admin, db_url)


def test_the_images_healthcheck_and_the_kubernetes_probes_pass_on_every_replica(
    stack: Stack,
) -> None:
    (healthcheck,) = instruction(dockerfile_stages()[-1], "HEALTHCHECK")
    command = healthcheck.split(" CMD ", 1)[1]
    deployment = yaml.safe_load((DEPLOY / "kubernetes" / "deployment.yaml").read_text())
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    probes = [container["readinessProbe"], container["livenessProbe"]]
    for _, port in stack.replicas:
        # The HEALTHCHECK names the image's port; each replica here has its own.
        local = command.replace(":8000/", f":{port}/")
        assert local != command
        checked = subprocess.run(["sh", "-c", local], env=stack.env, capture_output=True)
        assert checked.returncode == 0, checked.stderr
        for probe in probes:
            path = probe["httpGet"]["path"]
            answer = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5)
            assert answer.status_code == 200, (path, answer.text)


def test_signed_webhooks_through_the_proxy_reach_every_replica(stack: Stack) -> None:
    if stack.proxy_url is None:
        pytest.skip("LOUD SKIP: `caddy` is not installed (Debian: apt install caddy)")
    url = f"{stack.proxy_url}/webhooks/twilio/sms"
    people = 6
    for n in range(people):
        params = {
            "MessageSid": f"SM{n:032d}",
            "AccountSid": ACCOUNT_SID,
            "From": f"+1415555{n:04d}",
            "To": OUR_NUMBER,
            "Body": f"REJECTED Company{n}",
        }
        answer = httpx.post(url, data=params, headers={"X-Twilio-Signature": sign(url, params)})
        assert answer.status_code == 200 and "<Message>" in answer.text, answer.text
    for _, port in stack.replicas:
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        served = sum(
            float(line.rsplit(" ", 1)[1])
            for line in metrics.splitlines()
            if line.startswith("onward_inbound_messages_total{")
        )
        assert served >= 1, f"the proxy never sent a webhook to the replica on {port}"
    engine = create_db_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Person)) == people
            assert conn.scalar(select(func.count()).select_from(Run)) == people
    finally:
        engine.dispose()


def test_sigterm_ends_every_replica_within_the_stop_grace_period(stack: Stack) -> None:
    grace = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]["onward"]
    seconds = float(grace["stop_grace_period"].removesuffix("s"))
    for process, _ in stack.replicas:
        process.send_signal(signal.SIGTERM)
    for process, port in stack.replicas:
        assert process.wait(timeout=seconds) == 0, f"replica on {port} exited badly"

"""``docker-compose.yml`` against the Compose specification (no Docker engine runs here)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from compose_pydantic.models import ComposeSpecification

from tests.conftest import REPO_ROOT

LONG_RUNNING = ("postgres", "redis", "api", "worker", "beat")
RESTART_VALUES = {"no", "always", "on-failure", "unless-stopped"}  # the spec's four


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def test_the_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    # The spec allows top-level ``x-`` extension fields; the models reject any unknown key.
    spec = {k: v for k, v in compose.items() if not k.startswith("x-")}
    parsed = ComposeSpecification(**spec)
    assert parsed.services is not None
    assert set(parsed.services) == {*LONG_RUNNING, "migrate"}


def test_long_running_services_restart_unless_stopped(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in LONG_RUNNING:
        assert services[name].get("restart") == "unless-stopped", name
    assert services["migrate"]["restart"] in RESTART_VALUES - {"always", "unless-stopped"}


def test_health_checks_probe_each_service_its_own_way(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api = " ".join(services["api"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz" in api
    worker = services["worker"]
    assert "inspect ping -d forma@$$HOSTNAME" in worker["healthcheck"]["test"][1]
    assert worker["command"][-2:] == ["--hostname", "forma@%h"]  # the name the ping asks for
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    for name in ("api", "worker", "beat"):
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}


def test_exactly_one_beat_writes_its_schedule_to_a_volume(compose: dict[str, Any]) -> None:
    services = compose["services"]
    beats = [n for n, s in services.items() if "beat" in (s.get("command") or [])]
    assert beats == ["beat"]
    command = services["beat"]["command"]
    schedule = command[command.index("--schedule") + 1]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in services["beat"]["volumes"]}
    assert schedule.startswith("/var/lib/forma/") and mounts["/var/lib/forma"] in compose["volumes"]

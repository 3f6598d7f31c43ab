"""One ``forma up`` for every notebook of the run, prepared as a data scientist finds it.

The stack runs against the machine's PostgreSQL and Redis when ``FORMA_DATABASE_URL`` /
``FORMA_REDIS_URL`` are set (a fresh database of its own), embedded ones otherwise (what
``tests/conftest.py`` started). On it: the demo population at a small scale
(``forma demo``), a real Strong export imported over HTTP by an athlete of its own (the
largest one in the shared real data: five years of lifting, so that athlete has the
most history of all), the coach trained once by an admin through the API and promoted,
the batch scoring it triggers, and the imported athlete's answers to the prescriptions
they were given (so ``recommendation_feedback`` holds real forecasts with intervals).
The notebooks log in as an analyst: the demo's own when the demo creates one, else an
account given the role with ``forma users grant``.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from pipelines.demo.seed import engine_for
from tests.conftest import REAL_DATA, REPO_ROOT
from tests.support.forma_up import FormaUp, forma_up, wait_for_batch_scores
from tests.support.http import PASSWORD

#: the real athlete: Strong's current format, in lb, 2020-12 → 2026-02, 1,163 workouts
STRONG_EXPORT = REAL_DATA / "strong" / "strong-lbs-large-set-types.csv"
STRONG_FORM = {"weight_unit": "lb", "distance_unit": "mi"}
#: the demo at a small scale: a few athletes over a year (the coach needs ≥ 100
#: training examples and a hold-out; ten athletes over a year give thousands)
DEMO_ATHLETES, DEMO_YEARS, DEMO_SEED = 10, 1.0, 7
DEMO_ANALYST = ("analyst@forma.example", "forma-analyst-password")
MODEL = "next_e1rm"
IMPORT_TIMEOUT_S = 240.0
TRAIN_TIMEOUT_S = 300.0
POLL_S = 0.25


@dataclass(frozen=True)
class NotebookStack:
    """What the notebooks need of the stack, and what their outputs must never show."""

    up: FormaUp
    analyst_email: str
    analyst_password: str
    champion: int

    @property
    def url(self) -> str:
        return self.up.base_url

    def env(self) -> dict[str, str]:
        """The notebooks' environment: where to log in, and as whom."""
        return {
            "FORMA_URL": self.url,
            "FORMA_EMAIL": self.analyst_email,
            "FORMA_PASSWORD": self.analyst_password,
        }

    def identities(self) -> list[str]:
        """Every user's e-mail and id (with and without hyphens), read now."""
        engine = engine_for(self.up.env["FORMA_DATABASE_URL"])
        try:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT id, email FROM users")).all()
        finally:
            engine.dispose()
        out: list[str] = []
        for user_id, email in rows:
            out += [email, str(user_id), uuid.UUID(str(user_id)).hex]
        return out


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


def _cli(up: FormaUp, *args: str, timeout: float = 300) -> str:
    """``forma ARGS`` on the stack's database (the operator's commands)."""
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "--data-dir", str(up.data_dir), *args],
        env={**up.env, "PYTHONPATH": str(REPO_ROOT)},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"forma {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _login(http: httpx.Client, email: str, password: str) -> dict[str, str] | None:
    token = http.post("/v1/auth/token", data={"username": email, "password": password})
    if token.status_code != 200:
        return None
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _account(http: httpx.Client, prefix: str) -> tuple[dict[str, str], str]:
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    _ok(http.post("/v1/auth/register", json={"email": email, "password": PASSWORD}), 201)
    headers = _login(http, email, PASSWORD)
    assert headers is not None
    return headers, email


def _import(http: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    with STRONG_EXPORT.open("rb") as fh:
        job = _ok(
            http.post(
                "/v1/imports",
                headers=headers,
                files={"file": (STRONG_EXPORT.name, fh, "text/csv")},
                data=STRONG_FORM,
            ),
            202,
        )
    deadline = time.monotonic() + IMPORT_TIMEOUT_S
    while job["status"] not in ("succeeded", "partial", "failed"):
        assert time.monotonic() < deadline, f"import still {job['status']}"
        time.sleep(POLL_S)
        job = _ok(http.get(f"/v1/imports/{job['id']}", headers=headers))
    assert job["status"] in ("succeeded", "partial"), job
    assert job["counts"]["sets_created"] > 10_000, job
    return job


def _train(http: httpx.Client, admin: dict[str, str]) -> int:
    """One training run through the API, to its end; the champion version it made."""
    run = _ok(http.post(f"/v1/models/{MODEL}/train", headers=admin), 202)
    deadline = time.monotonic() + TRAIN_TIMEOUT_S
    while run["status"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, f"training still {run['status']}"
        time.sleep(POLL_S)
        run = _ok(http.get(f"/v1/models/{MODEL}/runs/{run['id']}", headers=admin))
    assert run["status"] == "succeeded", run
    models = _ok(http.get("/v1/models", headers=admin))["items"]
    champion = {m["name"]: m["champion"] for m in models}.get(MODEL)
    assert champion == run["version"], (models, run["message"])
    return int(champion)


def _answer_prescriptions(http: httpx.Client, athlete: dict[str, str]) -> int:
    """The athlete answers each prescription: done, skipped, or done lighter."""
    items = _ok(http.get("/v1/recommendations", headers=athlete))["items"]
    assert items, "the imported athlete got no prescription"
    for i, item in enumerate(items):
        body: dict[str, Any] = {"outcome": ("done_as_prescribed", "skipped", "changed")[i % 3]}
        if body["outcome"] == "changed":
            body["sets"] = [
                {"weight_kg": max(s["weight_kg"] - 2.5, 0), "reps": s["reps"]} for s in item["sets"]
            ]
        _ok(
            http.post(f"/v1/recommendations/{item['id']}/feedback", headers=athlete, json=body), 201
        )
    return len(items)


def _analyst(up: FormaUp, http: httpx.Client) -> tuple[str, str]:
    """The demo's analyst login, or an account made analyst by the operator's command."""
    if _login(http, *DEMO_ANALYST) is not None:
        return DEMO_ANALYST
    _, email = _account(http, "analyst")
    assert f"{email} is now analyst" in _cli(up, "users", "grant", email, "analyst")
    return email, PASSWORD


@pytest.fixture(scope="session")
def notebook_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NotebookStack]:
    # the nightly training and rebuild stay off: the notebooks compare against one version;
    # the gate's synthetic hold-out at a quarter of its size (a fit of 20 s, not 50)
    env = {
        "FORMA_TRAIN_HOUR_UTC": "off",
        "FORMA_REBUILD_HOUR_UTC": "off",
        "FORMA_TRAIN_SYNTHETIC_ATHLETES": "50",
    }
    started = time.monotonic()
    with (
        forma_up(tmp_path_factory.mktemp("notebooks-stack"), env) as up,
        httpx.Client(base_url=up.base_url, timeout=60) as http,
    ):
        _cli(
            up,
            "demo",
            f"--athletes={DEMO_ATHLETES}",
            f"--years={DEMO_YEARS}",
            f"--seed={DEMO_SEED}",
        )
        athlete, _ = _account(http, "lifter")
        _import(http, athlete)
        admin, admin_email = _account(http, "coach-admin")
        assert f"{admin_email} is now admin" in _cli(up, "users", "grant", admin_email, "admin")
        champion = _train(http, admin)
        wait_for_batch_scores(up, TRAIN_TIMEOUT_S, POLL_S)
        answered = _answer_prescriptions(http, athlete)
        analyst_email, analyst_password = _analyst(up, http)
        print(
            f"\nnotebook stack ready in {time.monotonic() - started:.1f} s: champion "
            f"{MODEL} v{champion}, {answered} prescriptions answered",
            flush=True,
        )
        yield NotebookStack(up, analyst_email, analyst_password, champion)

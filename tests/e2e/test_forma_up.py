"""``forma up`` end to end: a real API, worker and beat as subprocesses, driven over HTTP.

Every real Strong export is uploaded by its own user; the test waits for the import and
then for the analytics refresh, measures the delay, and checks rep-max PRs, the best
e1RM and one exercise's progress series against values it computes from the CSV itself
(:mod:`tests.support.reference_prs`). Then a re-import adds nothing, and another user's
import id answers 404. ``forma up`` gets its own database on the test server, its own
queue and key prefix, and a 2-second beat sweep (:mod:`tests.support.forma_up`).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REAL_DATA, STRONG_FILES
from tests.support import reference_prs as ref
from tests.support.forma_up import forma_up
from tests.support.http import PASSWORD
from tests.support.strong_reference import LB

pytestmark = pytest.mark.e2e

STRONG = REAL_DATA / "strong"
IMPORT_TIMEOUT_S = 60.0
ANALYTICS_TIMEOUT_S = 60.0
LARGEST_TARGET_S = 10.0
POLL_S = 0.05
EQUIPMENT = ("Barbell", "Dumbbell", "Machine", "Cable")


@dataclass
class Case:
    """One export file, the form fields its upload needs and the kg factor of bare weights."""

    name: str
    form: dict[str, str]
    bare_weight_factor: float | None
    headers: dict[str, str] = field(default_factory=dict)
    job: dict[str, Any] = field(default_factory=dict)
    import_s: float = 0.0
    analytics_s: float = 0.0
    progress_seen: list[float] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return STRONG / self.name


CASES = (
    Case("strong-kg-swedish-names.csv", {"weight_unit": "kg"}, 1.0),
    Case("strong-zh-cn-localized-header.csv", {"weight_unit": "lb"}, LB),
    Case("strong-semicolon-weight-unit-column.csv", {}, None),  # a Weight Unit column
    Case("strong6-semicolon-quoted-kg.csv", {}, None),  # "Weight (kg)" header
    Case("strong-lbs-large-set-types.csv", {"weight_unit": "lb", "distance_unit": "mi"}, LB),
)


# --------------------------------------------------------------------------- HTTP


def _register(http: httpx.Client) -> dict[str, str]:
    """A fresh athlete without a unit system; returns its bearer header."""
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    created = http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201, created.text
    assert created.json().get("unit_system") is None, created.text
    token = http.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _get(http: httpx.Client, url: str, headers: dict[str, str], **params: Any) -> Any:
    response = http.get(url, headers=headers, params=params)
    assert response.status_code == 200, f"GET {url}: {response.status_code} {response.text}"
    return response.json()


def _upload(http: httpx.Client, case: Case) -> str:
    with case.path.open("rb") as fh:
        response = http.post(
            "/v1/imports",
            headers=case.headers,
            files={"file": (case.name, fh, "text/csv")},
            data=case.form,
        )
    assert response.status_code == 202, f"{case.name}: {response.text}"
    body = response.json()
    assert body["status"] == "queued", body
    return str(body["id"])


def _import_and_wait(http: httpx.Client, case: Case) -> dict[str, Any]:
    """Upload, poll the job to its end (`succeeded` or `partial`), then the summary to fresh."""
    started = time.monotonic()
    job_id = _upload(http, case)
    progress: list[float] = []
    deadline = started + IMPORT_TIMEOUT_S
    while True:
        job = _get(http, f"/v1/imports/{job_id}", case.headers)
        progress.append(job["progress"])
        assert 0.0 <= job["progress"] <= 1.0, f"{case.name}: progress {job['progress']}"
        assert job["status"] != "failed", f"{case.name}: import failed: {job}"
        if job["status"] in ("succeeded", "partial"):
            # partial exactly when rows were rejected (the semicolon file's 877777 reps)
            assert (job["status"] == "partial") == bool(job["errors"]), job
            break
        assert time.monotonic() < deadline, f"{case.name}: still {job['status']}: {job}"
        time.sleep(POLL_S)
    imported = time.monotonic()
    assert job["progress"] == 1.0 and job["format"] == "strong", job
    deadline = imported + ANALYTICS_TIMEOUT_S
    while True:
        summary = _get(http, "/v1/analytics/summary", case.headers)
        if not summary["stale"] and summary["as_of"] is not None:
            break
        assert time.monotonic() < deadline, f"{case.name}: analytics still stale: {summary}"
        time.sleep(POLL_S)
    fresh = time.monotonic()
    case.import_s, case.analytics_s = imported - started, fresh - started
    case.progress_seen = progress
    print(
        f"\n{case.name}: import {case.import_s:.2f} s, analytics {case.analytics_s:.2f} s "
        f"after upload ({len(progress)} polls, progress {min(progress):.2f}→{max(progress):.2f})",
        flush=True,
    )
    counts = job["counts"]
    totals = {k: summary[k] for k in ("workouts", "sets", "as_of", "stale")}
    assert (summary["workouts"], summary["sets"]) == (
        counts["workouts_created"],
        counts["sets_created"],
    ), (
        f"{case.name}: the summary says it is fresh but its totals {totals} miss the import "
        f"{counts} (totals and freshness read in separate statements?)"
    )
    return job


def _all_workouts(http: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 200}
    for _ in range(1000):
        page = _get(http, "/v1/workouts", headers, **params)
        assert len(page["items"]) <= 200
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params = {"limit": 200, "cursor": page["next_cursor"]}
    pytest.fail("/v1/workouts pages never ended")


# --------------------------------------------------------------------------- checks


def _check_records(http: httpx.Client, case: Case) -> None:
    """Rep-max PRs and best e1RM of the busiest lifts, and one progress series."""
    lifts = ref.lifts(case.path, bare_weight_factor=case.bare_weight_factor)
    names = ref.busiest_exercises(lifts, 3, equipment=EQUIPMENT)
    assert len(names) == 3, f"{case.name}: too few loaded exercises: {names}"
    records = _get(http, "/v1/analytics/personal-records", case.headers)
    assert records["stale"] is False and records["as_of"] is not None, records
    by_name = {item["exercise_name"]: item for item in records["items"]}
    for name in names:
        assert name in by_name, f"{case.name}: no records for {name!r}; got {sorted(by_name)}"
        expected = ref.rep_maxes(lifts, name)
        got = {pr["reps"]: pr["weight_kg"] for pr in by_name[name]["rep_maxes"]}
        assert got == pytest.approx(expected), f"{case.name}: rep maxes of {name!r}"
        best = by_name[name]["best_e1rm"]
        assert best is not None, f"{case.name}: no best e1RM for {name!r}"
        assert best["e1rm_kg"] == pytest.approx(ref.best_e1rm(lifts, name)), (case.name, name)

    name = names[0]
    series = _get(
        http, f"/v1/analytics/exercises/{by_name[name]['exercise_id']}/progress", case.headers
    )
    assert series["stale"] is False and series["exercise_name"] == name, series
    days = ref.training_days(lifts, name)
    got_days = [point["date"] for point in series["items"]]
    assert len(got_days) == len(days), f"{case.name}: {name!r} has {len(got_days)} points"
    assert set(got_days) == days and got_days == sorted(got_days), (case.name, name)
    top = max(point["e1rm_kg"] for point in series["items"])
    assert top == pytest.approx(ref.best_e1rm(lifts, name)), (case.name, name)
    print(f"  {case.name}: checked {names}; {name!r} has {len(days)} daily points", flush=True)


def _check_reimport(http: httpx.Client, case: Case) -> dict[str, Any]:
    """The same file again adds nothing; the workout list holds exactly the first import."""
    first = case.job["counts"]
    job_id = _upload(http, case)
    deadline = time.monotonic() + IMPORT_TIMEOUT_S
    # The same rows are rejected again, so the job ends as the first did.
    expected = case.job["status"]
    while (job := _get(http, f"/v1/imports/{job_id}", case.headers))["status"] != expected:
        assert job["status"] in ("queued", "running"), job
        assert time.monotonic() < deadline, job
        time.sleep(POLL_S)
    counts = job["counts"]
    assert counts["workouts_created"] == 0 and counts["sets_created"] == 0, counts
    assert counts["duplicates_skipped"] == first["workouts_created"], (counts, first)
    workouts = _all_workouts(http, case.headers)
    assert len(workouts) == first["workouts_created"]
    assert len({w["id"] for w in workouts}) == len(workouts), "a workout listed twice"
    summary = _get(http, "/v1/analytics/summary", case.headers)
    assert summary["workouts"] == first["workouts_created"], summary
    return counts


def _print_table(cases: tuple[Case, ...]) -> None:
    print("\nupload → analytics (forma up, one user per file)")
    print(f"{'file':42} {'bytes':>9} {'workouts':>8} {'sets':>6} {'import s':>9} {'fresh s':>8}")
    for case in cases:
        counts = case.job["counts"]
        print(
            f"{case.name:42} {case.path.stat().st_size:>9,} {counts['workouts_created']:>8} "
            f"{counts['sets_created']:>6} {case.import_s:>9.2f} {case.analytics_s:>8.2f}"
        )


# --------------------------------------------------------------------------- the test


def test_forma_up_imports_every_strong_file(tmp_path: Path) -> None:
    assert sorted(c.path for c in CASES) == sorted(STRONG_FILES), "a Strong file is not covered"
    largest = max(CASES, key=lambda c: c.path.stat().st_size)
    with forma_up(tmp_path) as sup, httpx.Client(base_url=sup.base_url, timeout=30.0) as http:
        for case in CASES:
            case.headers = _register(http)
            case.job = _import_and_wait(http, case)
            assert case.job["counts"]["workouts_created"] > 0, case.job
        _print_table(CASES)
        for case in CASES:
            _check_records(http, case)

        again = _check_reimport(http, largest)
        print(f"\nre-import of {largest.name}: {again}")

        other = CASES[0]
        stranger = _register(http)
        response = http.get(f"/v1/imports/{other.job['id']}", headers=stranger)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found", response.text
        assert http.get(f"/v1/imports/{other.job['id']}", headers=other.headers).status_code == 200

        log = sup.log.read_text(errors="replace")
        assert "maintenance.sweep" in log, "the beat sweep never reached the worker"
        assert largest.analytics_s < LARGEST_TARGET_S * 3, f"{largest.name}: far too slow"
        if largest.analytics_s >= LARGEST_TARGET_S:
            print(f"\nWARNING: {largest.name} took {largest.analytics_s:.1f} s (target < 10 s)")

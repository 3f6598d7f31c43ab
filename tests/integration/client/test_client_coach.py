"""The coach through the client: prescriptions, the registry's models and versions (values
read back from the database), and training that waits on the run with progress."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import insert, text

from api.coaching.tables import ModelVersion
from forma_client import Forma, FormaError
from tests.integration.client.conftest import account, days_ago, put_workout, raw
from tests.support.http import PASSWORD
from tests.support.registry import MODEL, version_values
from tests.support.workouts import BENCH


def test_prescriptions_are_the_apis_stored_ones(base_url, sync_engine):
    email, user_id = account(base_url, sync_engine)
    with raw(base_url, email) as http:
        for days, top in ((20, 95.0), (13, 97.5), (6, 100.0)):
            one = {"exercise_id": BENCH, "weight_kg": top, "reps": 5, "rpe": 8}
            put_workout(http, days_ago(days), [one] * 3)
        with Forma.login(base_url, email, PASSWORD) as forma:
            listed = forma.recommend()
            one = forma.recommend(BENCH)
        assert listed == http.get("/v1/recommendations").json()["items"]
        assert one == http.get(f"/v1/recommendations/exercises/{BENCH}").json()
    assert [item["exercise_id"] for item in listed] == [BENCH]
    with sync_engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT id, rule, predicted_e1rm_kg FROM recommendations "
                "WHERE user_id = :u AND exercise_id = :e"
            ),
            {"u": user_id, "e": BENCH},
        ).all()
    assert {(str(row.id), row.rule) for row in stored} >= {(one["id"], one["rule"])}
    # the last session's 3 × 5 at 100 kg, RPE 8: a prescription with weights, in kg
    assert one["sets"] and all(s["unit"] == "kg" and s["weight_kg"] for s in one["sets"])


def test_an_unknown_exercise_is_404(base_url, sync_engine):
    email, _ = account(base_url, sync_engine)
    with Forma.login(base_url, email, PASSWORD) as forma:
        with pytest.raises(FormaError) as raised:
            forma.recommend(uuid.uuid4())
    assert (raised.value.status, raised.value.code) == (404, "not_found")


def test_models_and_versions_are_the_stored_rows(base_url, sync_engine):
    email, _ = account(base_url, sync_engine, "analyst")
    stored = [version_values(v) for v in (1, 2, 3)]
    with sync_engine.begin() as conn:
        conn.execute(insert(ModelVersion), stored)
        conn.execute(
            text(
                "INSERT INTO model_aliases (model_name, alias, version, updated_by) "
                "VALUES (:m, 'champion', 2, 'x@example.com')"
            ),
            {"m": MODEL},
        )
    with Forma.login(base_url, email, PASSWORD) as forma:
        models = forma.models()
        versions = forma.versions(MODEL)
    assert list(models.columns) == [
        "name", "champion", "challenger", "latest_version", "latest_run",
    ]  # fmt: skip
    row = models.set_index("name").loc[MODEL]
    assert (row["champion"], row["latest_version"]) == (2, 3)
    assert row["challenger"] is pd.NA
    assert list(versions["version"]) == [3, 2, 1]
    assert str(versions["created_at"].dtype).endswith("UTC]")
    by_version = versions.set_index("version")
    for values in stored:
        got = by_version.loc[values["version"]]
        assert got["artifact_sha256"] == values["artifact_sha256"]
        assert got["params"] == values["params"]
        assert got["metrics"] == values["metrics"]
        assert got["code_version"] == values["code_version"]
    assert by_version.loc[2, "aliases"] == ["champion"]
    assert by_version.loc[3, "aliases"] == []


def _run_the_queued_run(sync_engine: Any, outcome: str, seen: list[float]) -> None:
    """Play the worker: take the queued run through fitting to ``outcome``."""
    deadline = time.monotonic() + 30
    with sync_engine.connect() as conn:
        while True:
            run_id = conn.execute(
                text("SELECT id FROM model_runs WHERE model_name = :m AND status = 'queued'"),
                {"m": MODEL},
            ).scalar()
            conn.commit()
            if run_id is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    assert run_id is not None
    for status, progress in (("building", 0.3), ("fitting", 0.8), (outcome, 1.0)):
        time.sleep(0.3)
        with sync_engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE model_runs SET status = :s, progress = :p, message = :m, "
                    "finished_at = CASE WHEN :done THEN now() END WHERE id = :id"
                ),
                {
                    "s": status,
                    "p": progress,
                    "m": "too few examples" if status == "failed" else None,
                    "done": status == outcome,
                    "id": run_id,
                },
            )
        seen.append(progress)


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_training_waits_for_the_run_showing_its_progress(base_url, sync_engine, outcome, capsys):
    email, _ = account(base_url, sync_engine, "admin")
    seen: list[float] = []
    worker = threading.Thread(target=_run_the_queued_run, args=(sync_engine, outcome, seen))
    worker.start()
    try:
        with Forma.login(base_url, email, PASSWORD) as forma:
            if outcome == "succeeded":
                run = forma.train(MODEL, poll=0.05, timeout=60, max_iter=40)
            else:
                with pytest.raises(FormaError) as raised:
                    forma.train(MODEL, poll=0.05, timeout=60, max_iter=40)
    finally:
        worker.join(60)
    assert seen == [0.3, 0.8, 1.0]
    shown = capsys.readouterr().err
    assert f"training {MODEL}" in shown and "100.0" in shown, shown
    if outcome == "succeeded":
        assert run["status"] == "succeeded" and run["progress"] == 1.0
        assert run["params"]["max_iter"] == 40
    else:
        error = raised.value
        assert (error.code, error.message) == ("training_failed", "too few examples")
        assert error.details["status"] == "failed"


def test_analysts_may_not_train(base_url, sync_engine):
    email, _ = account(base_url, sync_engine, "analyst")
    with Forma.login(base_url, email, PASSWORD) as forma:
        with pytest.raises(FormaError) as raised:
            forma.train(MODEL)
    assert (raised.value.status, raised.value.code) == (403, "forbidden")

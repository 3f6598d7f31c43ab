"""Datasets through the client against a real uvicorn: the catalogue, frames equal to the
API's own Parquet with the documented dtypes, filters, error answers, and snapshots taken
by the task (played here by a thread) that keep their rows after a later deletion."""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from forma_client import Forma, FormaError
from pipelines.tasks import datasets as tasks
from tests.integration.client.conftest import account, put_workout, raw
from tests.support.http import PASSWORD
from tests.support.workouts import BENCH, SQUAT

NAMES = {
    "workouts", "sets", "cardio_sessions", "daily_load", "exercise_progress", "features",
    "recommendation_feedback",
}  # fmt: skip


def _set(exercise: str, kg: float, reps: int, **extra: Any) -> dict[str, Any]:
    return {"exercise_id": exercise, "weight_kg": kg, "reps": reps, **extra}


@pytest.fixture(scope="module")
def data(base_url: str, sync_engine: Any) -> dict[str, Any]:
    """Two athletes' workouts in January and February 2026 and an analyst's e-mail."""
    workouts = []
    for offset in (0.0, 2.5):
        email, _ = account(base_url, sync_engine)
        with raw(base_url, email) as http:
            workouts.append(
                put_workout(
                    http,
                    datetime(2026, 1, 10, 9, tzinfo=UTC),
                    [
                        _set(BENCH, 60.0, 8, set_type="warmup"),
                        _set(BENCH, 100.0 + offset, 5, rpe=8),
                        _set(BENCH, 105.0 + offset, 3, rpe=9),
                    ],
                )
            )
            workouts.append(
                put_workout(
                    http,
                    datetime(2026, 2, 14, 17, tzinfo=UTC),
                    [_set(SQUAT, 140.0 + offset, 3), _set(SQUAT, 140.0 + offset, 3)],
                )
            )
    analyst, _ = account(base_url, sync_engine, "analyst")
    return {"analyst": analyst, "workouts": workouts}


@pytest.fixture
def forma(base_url: str, data: dict[str, Any]) -> Iterator[Forma]:
    with Forma.login(base_url, data["analyst"], PASSWORD) as client:
        yield client


def _api_parquet(base_url: str, email: str, path: str, **params: Any) -> pd.DataFrame:
    """The API's Parquet answer read with pyarrow from memory: what the client must equal."""
    with raw(base_url, email) as http:
        answer = http.get(path, params={"format": "parquet", **params})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/vnd.apache.parquet"
    return pq.read_table(io.BytesIO(answer.content)).to_pandas()


def _stored_sets(sync_engine: Any) -> pd.DataFrame:
    """The sets of workouts not deleted, read from the tables: id, kg, reps, start."""
    with sync_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.id::text AS set_id, s.weight_kg, s.reps, w.started_at "
                "FROM workout_sets s JOIN workouts w ON w.id = s.workout_id "
                "WHERE w.deleted_at IS NULL"
            )
        ).all()
    return pd.DataFrame(rows, columns=["set_id", "weight_kg", "reps", "started_at"])


# --------------------------------------------------------------------------- catalogue


def test_the_catalogue_lists_every_dataset_with_its_schema(forma, sync_engine):
    listed = forma.datasets()
    assert set(listed["name"]) == NAMES
    assert list(listed.columns[:4]) == ["name", "description", "row_count", "freshness"]
    assert str(listed["freshness"].dtype).endswith("UTC]")
    with sync_engine.connect() as conn:
        period = conn.execute(
            text("SELECT id FROM pseudonym_periods ORDER BY activated_at DESC LIMIT 1")
        ).scalar()
    assert listed.attrs["key_period"] == period
    sets = listed.set_index("name").loc["sets"]
    assert sets["row_count"] == len(_stored_sets(sync_engine)) == 10
    schema = forma.schema("sets")
    assert list(schema.columns) == ["name", "type", "unit", "description"]
    assert schema.to_dict("records") == sets["columns"]
    types = dict(zip(schema["name"], schema["type"], strict=True))
    assert types["started_at"] == "timestamp[us, tz=UTC]"
    assert types["exercise"] == "dictionary<values=string, indices=int32, ordered=0>"
    with pytest.raises(FormaError) as raised:
        forma.schema("nope")
    assert (raised.value.status, raised.value.code) == (404, "dataset_not_found")


# --------------------------------------------------------------------------- frames


def test_a_frame_is_the_apis_parquet_with_tz_aware_times_and_categoricals(
    forma, base_url, data, sync_engine, capsys
):
    frame = forma.frame("sets")
    assert "sets" in capsys.readouterr().err  # the download's progress
    expected = _api_parquet(base_url, data["analyst"], "/v1/datasets/sets")
    pd.testing.assert_frame_equal(frame, expected)
    assert isinstance(frame["started_at"].dtype, pd.DatetimeTZDtype)
    assert str(frame["started_at"].dt.tz) == "UTC"
    for column in ("exercise", "set_type", "exercise_kind"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
    assert set(frame["set_type"]) == {"working", "warmup"}
    assert all(isinstance(day, date) for day in frame["day"])
    # the values are the stored rows
    stored = _stored_sets(sync_engine).set_index("set_id").sort_index()
    got = frame.set_index("set_id").sort_index()
    assert list(got.index) == list(stored.index)
    assert list(got["weight_kg"]) == list(stored["weight_kg"])
    assert list(got["reps"]) == list(stored["reps"])
    assert list(got["started_at"]) == list(pd.to_datetime(stored["started_at"], utc=True))
    # pseudonyms, never ids or e-mails: two athletes, two 25-character pseudonyms
    assert frame["athlete"].nunique() == 2
    assert all(len(p) == 25 and p.startswith("a") for p in frame["athlete"])
    assert frame.attrs["key_period"] == str(forma.datasets().attrs["key_period"])


def test_filters_and_columns_reach_the_api(forma, base_url, data):
    frame = forma.frame(
        "sets",
        since=date(2026, 2, 1),
        until=datetime(2026, 2, 28, 23, tzinfo=UTC),
        columns=["set_id", "started_at", "exercise", "weight_kg"],
        progress=False,
    )
    assert list(frame.columns) == ["set_id", "started_at", "exercise", "weight_kg"]
    assert list(frame["exercise"].unique()) == ["Squat (Barbell)"]
    assert sorted(frame["weight_kg"]) == [140.0, 140.0, 142.5, 142.5]
    expected = _api_parquet(
        base_url,
        data["analyst"],
        "/v1/datasets/sets",
        since="2026-02-01",
        until="2026-02-28",
        columns="set_id,started_at,exercise,weight_kg",
    )
    pd.testing.assert_frame_equal(frame, expected)
    table = forma.arrow("sets", columns="set_id,started_at", progress=False)
    assert str(table.schema.field("started_at").type) == "timestamp[us, tz=UTC]"
    assert table.num_rows == 10


# --------------------------------------------------------------------------- errors


def test_athletes_are_refused_datasets_with_403(base_url, sync_engine):
    email, _ = account(base_url, sync_engine)
    with Forma.login(base_url, email, PASSWORD) as athlete:
        for call in (athlete.datasets, lambda: athlete.frame("sets", progress=False)):
            with pytest.raises(FormaError) as raised:
                call()
            assert (raised.value.status, raised.value.code) == (403, "forbidden")


def test_an_unknown_dataset_is_404(forma):
    with pytest.raises(FormaError) as raised:
        forma.frame("nope", progress=False)
    assert (raised.value.status, raised.value.code) == (404, "dataset_not_found")


@pytest.mark.parametrize(
    ("filters", "parameter", "named"),
    [
        ({"sample": 2}, "sample", None),
        ({"sample": 0}, "sample", None),
        ({"columns": ["set_id", "email"]}, "columns", "email"),
        ({"since": "2026-03-01", "until": "2026-02-01"}, "until", None),
        ({"since": "yesterday"}, "since", None),
    ],
)
def test_absurd_filters_are_422_naming_the_parameter(forma, filters, parameter, named):
    with pytest.raises(FormaError) as raised:
        forma.frame("sets", progress=False, **filters)
    error = raised.value
    assert error.status == 422
    assert any(item["loc"][-1] == parameter for item in error.details), error.details
    if named:
        assert named in error.message + str(error.details)


# --------------------------------------------------------------------------- snapshots


def _take_queued(sync_engine: Any, taken: list[uuid.UUID]) -> None:
    """Play the worker: take the first queued snapshot with the task's own function."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with sync_engine.connect() as conn:
            found = conn.execute(
                text("SELECT id FROM dataset_snapshots WHERE status = 'queued' LIMIT 1")
            ).scalar()
        if found is not None:
            time.sleep(0.2)  # the client polls the queued snapshot at least once
            tasks.take(found)
            taken.append(found)
            return
        time.sleep(0.05)


def _snapshot(forma: Forma, sync_engine: Any, name: str, **filters: Any) -> dict[str, Any]:
    taken: list[uuid.UUID] = []
    worker = threading.Thread(target=_take_queued, args=(sync_engine, taken))
    worker.start()
    try:
        record = forma.snapshot(name, poll=0.05, timeout=60, **filters)
    finally:
        worker.join(60)
    assert [str(one) for one in taken] == [record["id"]]
    return record


def test_a_snapshot_waits_and_keeps_its_rows_after_a_deletion(
    forma, base_url, data, sync_engine, capsys
):
    live = forma.frame("sets", progress=False)
    record = _snapshot(forma, sync_engine, "sets")
    assert "snapshot of sets" in capsys.readouterr().err
    assert (record["status"], record["progress"], record["row_count"]) == ("succeeded", 1.0, 10)
    assert record["dataset"] == "sets" and record["filters"] == {}
    with raw(base_url, data["analyst"]) as http:
        assert http.get(f"/v1/workouts/{data['workouts'][0]}").status_code == 404
    with sync_engine.begin() as conn:
        conn.execute(
            text("UPDATE workouts SET deleted_at = now() WHERE id = :id"),
            {"id": data["workouts"][-1]},
        )
    try:
        frozen = forma.frame("sets", snapshot=record["id"], progress=False)
        assert len(forma.frame("sets", progress=False)) == 8
    finally:
        with sync_engine.begin() as conn:
            conn.execute(
                text("UPDATE workouts SET deleted_at = NULL WHERE id = :id"),
                {"id": data["workouts"][-1]},
            )
    order = ["set_id"]
    pd.testing.assert_frame_equal(
        frozen.sort_values(order).reset_index(drop=True),
        live.sort_values(order).reset_index(drop=True),
    )
    expected = _api_parquet(
        base_url, data["analyst"], f"/v1/datasets/snapshots/{record['id']}/data"
    )
    pd.testing.assert_frame_equal(frozen, expected)
    assert frozen.attrs["snapshot"] == record["id"]
    assert frozen.attrs["key_period"] == str(record["key_period"])
    listed = forma.snapshots(dataset="sets")
    assert record["id"] in set(listed["id"])
    assert str(listed["created_at"].dtype).endswith("UTC]")


def test_a_snapshot_with_filters_freezes_only_those_rows(forma, sync_engine):
    record = _snapshot(
        forma, sync_engine, "sets", since=date(2026, 2, 1), columns=["set_id", "weight_kg"]
    )
    assert record["filters"] == {"since": "2026-02-01", "columns": ["set_id", "weight_kg"]}
    frozen = forma.frame("sets", snapshot=record["id"], columns=["weight_kg"], progress=False)
    assert list(frozen.columns) == ["weight_kg"]
    assert sorted(frozen["weight_kg"]) == [140.0, 140.0, 142.5, 142.5]


def test_a_snapshot_is_read_with_its_own_filters_only(forma):
    with pytest.raises(ValueError, match="since"):
        forma.frame("sets", snapshot=uuid.uuid4(), since="2026-01-01")


def test_an_unfinished_snapshot_is_409_and_a_wrong_dataset_refused(forma):
    record = forma.snapshot("workouts", wait=False)
    assert record["status"] == "queued"
    with pytest.raises(ValueError, match="workouts"):
        forma.frame("sets", snapshot=record["id"])
    with pytest.raises(FormaError) as raised:
        forma.frame("workouts", snapshot=record["id"], progress=False)
    assert (raised.value.status, raised.value.code) == (409, "snapshot_not_ready")


def test_features_of_an_unknown_run_are_404(forma):
    with pytest.raises(FormaError) as raised:
        forma.frame("features", run_id=uuid.uuid4(), progress=False)
    assert (raised.value.status, raised.value.code) == (404, "run_not_found")

"""Dataset snapshots on the committed tier: a snapshot asked for over HTTP is taken by
the task (called here), then a back-dated edit and a deletion change the live dataset
but never the snapshot's rows, in any format; CSV neutralises formulas in text."""

from __future__ import annotations

import asyncio
import time
import uuid

from sqlalchemy import text

from pipelines.tasks import datasets as tasks
from tests.support.exercises import BENCH_ID, SQUAT_ID, create_exercise
from tests.support.registry import queued_tasks
from tests.support.snapshots import put_workout, read_table, rows_of, staff, utc

FORMULA = '=HYPERLINK("http://evil.example","x")'


async def _snapshot(http, headers, name: str, **filters) -> dict:
    asked = await http.post(f"/v1/datasets/{name}/snapshots", json=filters, headers=headers)
    assert asked.status_code == 202, asked.text
    return asked.json()


async def _taken(http, headers, snapshot_id: str) -> dict:
    outcome = tasks.take(uuid.UUID(snapshot_id))
    assert outcome is not None
    got = await http.get(f"/v1/datasets/snapshots/{snapshot_id}", headers=headers)
    assert got.status_code == 200, got.text
    return got.json()


async def _data(http, headers, snapshot_id: str, fmt: str = "parquet", **params):
    response = await http.get(
        f"/v1/datasets/snapshots/{snapshot_id}/data",
        params={"format": fmt, **params},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response


async def test_a_snapshot_keeps_its_rows_after_back_dated_edits(live_client, sync_engine, settings):
    http = live_client
    athlete, _ = await staff(http, sync_engine, "athlete")
    analyst, analyst_email = await staff(http, sync_engine, "analyst")
    custom = await create_exercise(
        http, athlete, name=FORMULA, kind="strength", equipment="dumbbell",
        primary_muscles=["biceps"],
    )  # fmt: skip
    january = await put_workout(http, athlete, utc(2026, 1, 10, 10),
                                [(BENCH_ID, 100.0, 5), (BENCH_ID, 105.0, 3)])  # fmt: skip
    february = await put_workout(http, athlete, utc(2026, 2, 14, 10), [(SQUAT_ID, 140.0, 3)])
    await put_workout(http, athlete, utc(2026, 2, 20, 10), [(custom["id"], 20.0, 10)])

    asked = await _snapshot(http, analyst, "sets")
    assert (asked["dataset"], asked["status"], asked["progress"]) == ("sets", "queued", 0.0)
    assert asked["created_by"] == analyst_email and asked["filters"] == {}
    assert asked["row_count"] is None and asked["run_id"] is None
    # the worker's message is sent after commit, on a thread: wait on a deadline
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        if ("datasets.snapshot", [asked["id"]]) in queued_tasks(settings):
            break
        await asyncio.sleep(0.05)
    assert ("datasets.snapshot", [asked["id"]]) in queued_tasks(settings)

    first = await _taken(http, analyst, asked["id"])
    assert (first["status"], first["progress"], first["row_count"]) == ("succeeded", 1.0, 4)
    assert first["taken_at"] is not None and first["finished_at"] is not None
    with sync_engine.connect() as conn:
        parts = conn.execute(
            text("SELECT part, month, row_count FROM dataset_snapshot_parts "
                 "WHERE snapshot_id = :s ORDER BY part"), {"s": asked["id"]},
        ).all()  # fmt: skip
    assert [(p, m.isoformat(), n) for p, m, n in parts] == [
        (0, "2026-01-01", 2),
        (1, "2026-02-01", 2),
    ]

    # a back-dated edit of January's workout and February's squat deleted
    await put_workout(http, athlete, utc(2026, 1, 10, 10),
                      [(BENCH_ID, 90.0, 5), (BENCH_ID, 105.0, 3)], workout_id=january)  # fmt: skip
    assert (await http.delete(f"/v1/workouts/{february}", headers=athlete)).status_code == 204

    frozen = [
        ("2026-01-10", "Bench Press (Barbell)", 100.0, 5),
        ("2026-01-10", "Bench Press (Barbell)", 105.0, 3),
        ("2026-02-14", "Squat (Barbell)", 140.0, 3),
        # the athlete's own exercise: its name is their free text, kept out without notes
        ("2026-02-20", "custom", 20.0, 10),
    ]
    parquet = read_table((await _data(http, analyst, asked["id"])).content, "parquet")
    got = [(d.isoformat(), *rest) for d, *rest in rows_of(parquet, "day", "exercise",
                                                            "weight_kg", "reps")]  # fmt: skip
    assert sorted(got) == sorted(frozen)
    assert "month" not in parquet.column_names
    assert len(set(parquet.column("athlete").to_pylist())) == 1
    arrow = read_table((await _data(http, analyst, asked["id"], "arrow")).content, "arrow")
    assert arrow.num_rows == 4 and arrow.schema == parquet.schema

    # the live dataset now: the edit and the deletion show, with the snapshot's schema
    live_now = await http.get("/v1/datasets/sets", headers=analyst)
    assert live_now.status_code == 200, live_now.text
    served = read_table(live_now.content, "parquet")
    assert sorted(served.column("weight_kg").to_pylist()) == [20.0, 90.0, 105.0]
    assert served.schema.remove_metadata() == parquet.schema.remove_metadata()
    now = await _taken(http, analyst, (await _snapshot(http, analyst, "sets"))["id"])
    assert now["row_count"] == 3
    live = read_table((await _data(http, analyst, now["id"])).content, "parquet")
    assert sorted(live.column("weight_kg").to_pylist()) == [20.0, 90.0, 105.0]
    assert sorted(parquet.column("weight_kg").to_pylist()) == [20.0, 100.0, 105.0, 140.0]

    # CSV: the same rows, numbers untouched (formula cells: tests/unit/.../test_snapshot_csv)
    response = await _data(http, analyst, asked["id"], "csv", columns="exercise,weight_kg,reps")
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "exercise,weight_kg,reps"
    csv = read_table(response.content, "csv")
    assert csv.column_names == ["exercise", "weight_kg", "reps"]
    assert sorted(csv.column("exercise").to_pylist()) == sorted(row[1] for row in frozen)
    assert sorted(csv.column("weight_kg").to_pylist()) == [20.0, 100.0, 105.0, 140.0]
    assert response.headers["x-forma-key-period"] == str(first["key_period"])


async def test_a_filtered_snapshot_records_its_filters(live_client, sync_engine):
    http = live_client
    athlete, _ = await staff(http, sync_engine, "athlete")
    admin, _ = await staff(http, sync_engine, "admin")
    for month in (1, 2, 3):
        await put_workout(http, athlete, utc(2026, month, 5, 9), [(BENCH_ID, 60.0 + month, 5)])
    asked = await _snapshot(http, admin, "sets", since="2026-02-01", until="2026-02-28",
                            columns=["day", "weight_kg"])  # fmt: skip
    assert asked["filters"] == {
        "since": "2026-02-01", "until": "2026-02-28", "columns": ["day", "weight_kg"],
    }  # fmt: skip
    taken = await _taken(http, admin, asked["id"])
    assert taken["row_count"] == 1
    table = read_table((await _data(http, admin, asked["id"])).content, "parquet")
    assert table.column_names == ["day", "weight_kg"]
    assert table.column("weight_kg").to_pylist() == [62.0]
    only = await _data(http, admin, asked["id"], columns="weight_kg")
    assert read_table(only.content, "parquet").column_names == ["weight_kg"]
    refused = await http.get(f"/v1/datasets/snapshots/{asked['id']}/data",
                             params={"columns": "reps"}, headers=admin)  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["loc"] == ["query", "columns"]
    # a misspelt parameter is named, never ignored (it would hand back every column)
    misspelt = await http.get(f"/v1/datasets/snapshots/{asked['id']}/data",
                              params={"colums": "day"}, headers=admin)  # fmt: skip
    assert misspelt.status_code == 422
    assert misspelt.json()["error"]["details"][0]["loc"] == ["query", "colums"]

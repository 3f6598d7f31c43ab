"""Datasets read back with pyarrow against values computed here: two athletes' sets and
workouts entered through the phone API, local days across midnight, date filters on
them, pseudonyms as HMACs computed in the test, stable samples, the features of a run,
the feedback on a prescription, and the list's counts and freshness."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import text

from api.datasets.catalogue import DATASETS
from models.coaching.features import FEATURES
from tests.support.committed import truncate_committed
from tests.support.datasets_api import (
    BENCH,
    SQUAT,
    a_set,
    answered,
    by_hand,
    cardio,
    feature_run,
    fetch,
    live_app,
    person,
    rows_of,
    table_of,
    workout,
)
from tests.support.http import json_of

OSLO, NEW_YORK = "Europe/Oslo", "America/New_York"


@pytest.fixture
async def http(settings: Any, sync_engine: Any) -> AsyncIterator[Any]:
    async with live_app(settings) as client:
        yield client
    truncate_committed(sync_engine)


def names(engine: Any) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, name FROM exercises WHERE id IN (:b, :s)"), {"b": BENCH, "s": SQUAT}
        ).all()
    return {str(i): n for i, n in rows}


async def two_athletes(http: Any, engine: Any) -> dict[str, Any]:
    """A (Oslo): W1 on 3 March (bench 100×5, warm-up 60×10, squat 140×3 @8), W2 at 00:30
    local on 5 March (bench 102.5×5). B (New York): W3 at 22:00 local on 4 March (squat
    100×8 twice) — 5 March in UTC."""
    a = await person(http, engine, tz=OSLO)
    b = await person(http, engine, tz=NEW_YORK)
    w1 = await workout(
        http,
        a,
        datetime(2025, 3, 3, 7, tzinfo=UTC),
        [
            a_set(BENCH, 100.0, 5),
            a_set(BENCH, 60.0, 10, set_type="warmup"),
            a_set(SQUAT, 140.0, 3, rpe=8),
        ],
        minutes=75,
        session_rpe=7,
        title="Push day",
        notes="felt strong",
    )
    w2 = await workout(http, a, datetime(2025, 3, 4, 23, 30, tzinfo=UTC), [a_set(BENCH, 102.5, 5)])
    w3 = await workout(
        http,
        b,
        datetime(2025, 3, 5, 3, tzinfo=UTC),
        [a_set(SQUAT, 100.0, 8), a_set(SQUAT, 100.0, 8, notes="knees ok")],
        tz=NEW_YORK,
        minutes=45,
    )
    return {"a": a, "b": b, "w1": w1, "w2": w2, "w3": w3}


async def test_sets_are_the_rows_entered(http, sync_engine, settings):
    seed = await two_athletes(http, sync_engine)
    analyst = await person(http, sync_engine, "analyst")
    response = await fetch(http, analyst, "sets")
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    assert response.headers["content-disposition"] == 'attachment; filename="sets.parquet"'
    table = table_of(response)
    assert table.schema.field("weight_kg").type == pa.float64()
    assert table.schema.field("started_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("day").type == pa.date32()
    assert pa.types.is_dictionary(table.schema.field("exercise").type)
    assert "notes" not in table.column_names  # notes are off by default
    a, _ = by_hand(settings, seed["a"].id)
    b, _ = by_hand(settings, seed["b"].id)
    exercise = names(sync_engine)
    bench, squat = exercise[str(BENCH)], exercise[str(SQUAT)]
    got = sorted(
        (
            r["athlete"],
            r["day"],
            r["position"],
            r["exercise"],
            r["set_type"],
            r["weight_kg"],
            r["reps"],
        )
        for r in table.to_pylist()
    )
    assert got == sorted(
        [
            (a, date(2025, 3, 3), 0, bench, "working", 100.0, 5),
            (a, date(2025, 3, 3), 1, bench, "warmup", 60.0, 10),
            (a, date(2025, 3, 3), 2, squat, "working", 140.0, 3),
            (a, date(2025, 3, 5), 0, bench, "working", 102.5, 5),
            (b, date(2025, 3, 4), 0, squat, "working", 100.0, 8),
            (b, date(2025, 3, 4), 1, squat, "working", 100.0, 8),
        ]
    )
    rpe = {(r["athlete"], r["weight_kg"]): r["rpe"] for r in table.to_pylist()}
    assert rpe[(a, 140.0)] == 8 and rpe[(a, 100.0)] is None
    # the periods' header names the period the pseudonyms belong to
    with sync_engine.connect() as conn:
        period = conn.execute(
            text("SELECT period FROM user_pseudonyms WHERE user_id = :u"), {"u": seed["a"].id}
        ).scalar_one()
    assert response.headers["x-forma-key-period"] == str(period)


async def test_workouts_add_up_their_sets(http, sync_engine, settings):
    seed = await two_athletes(http, sync_engine)
    admin = await person(http, sync_engine, "admin")
    rows = {r["workout_id"]: r for r in rows_of(await fetch(http, admin, "workouts"))}
    assert set(rows) == {str(seed[w]) for w in ("w1", "w2", "w3")}
    w1, w3 = rows[str(seed["w1"])], rows[str(seed["w3"])]
    # counted sets: not the warm-up; volume Σ weight × reps over them
    assert (w1["sets"], w1["working_sets"], w1["reps"]) == (3, 2, 8)
    assert w1["volume_load_kg"] == pytest.approx(100 * 5 + 140 * 3)
    assert w1["duration_s"] == 75 * 60 and w1["session_rpe"] == 7
    assert w1["exercises"] == 2 and w1["sport"] is None
    assert w1["time_zone"] == OSLO and w1["day"] == date(2025, 3, 3)
    assert w3["volume_load_kg"] == pytest.approx(1600.0) and w3["day"] == date(2025, 3, 4)
    assert w3["athlete"] == by_hand(settings, seed["b"].id)[0]
    assert "title" not in w1 and "notes" not in w1


async def test_dates_filter_the_athletes_local_days(http, sync_engine):
    seed = await two_athletes(http, sync_engine)
    analyst = await person(http, sync_engine, "analyst")

    async def workouts(**params: Any) -> set[str]:
        return {r["workout_id"] for r in rows_of(await fetch(http, analyst, "workouts", **params))}

    w1, w2, w3 = (str(seed[w]) for w in ("w1", "w2", "w3"))
    # W2 starts on 4 March in UTC but on the 5th in Oslo; W3 on the 5th in UTC, the 4th in NY
    assert await workouts(since="2025-03-05") == {w2}
    assert await workouts(until="2025-03-04") == {w1, w3}
    assert await workouts(since="2025-03-04", until="2025-03-04") == {w3}
    assert await workouts(since="2025-03-06") == set()
    sets = rows_of(await fetch(http, analyst, "sets", since="2025-03-04", until="2025-03-04"))
    assert sum(r["weight_kg"] * r["reps"] for r in sets) == 1600.0


async def test_columns_come_in_the_order_asked(http, sync_engine):
    await two_athletes(http, sync_engine)
    analyst = await person(http, sync_engine, "analyst")
    table = table_of(await fetch(http, analyst, "sets", columns="reps,athlete,weight_kg"))
    assert table.column_names == ["reps", "athlete", "weight_kg"]
    assert table.num_rows == 6


async def test_arrow_and_csv_carry_the_same_rows(http, sync_engine):
    await two_athletes(http, sync_engine)
    analyst = await person(http, sync_engine, "analyst")
    parquet = table_of(await fetch(http, analyst, "sets"))
    response = await fetch(http, analyst, "sets", "arrow")
    assert response.headers["content-type"] == "application/vnd.apache.arrow.stream"
    assert response.headers["content-disposition"] == 'attachment; filename="sets.arrows"'
    arrow = table_of(response, "arrow")
    key = ["set_id"]
    assert (
        arrow.sort_by([(k, "ascending") for k in key]).to_pylist()
        == parquet.sort_by([(k, "ascending") for k in key]).to_pylist()
    )
    frame = arrow.to_pandas()
    assert frame["exercise"].dtype == "category"
    assert str(frame["started_at"].dt.tz) == "UTC"
    csv_rows = rows_of(await fetch(http, analyst, "sets", "csv"), "csv")
    by_id = {r["set_id"]: r for r in parquet.to_pylist()}
    assert len(csv_rows) == len(by_id) == 6
    for row in csv_rows:
        want = by_id[row["set_id"]]
        assert float(row["weight_kg"]) == want["weight_kg"]
        assert row["athlete"] == want["athlete"] and row["day"] == want["day"].isoformat()


async def test_samples_are_stable_and_nested(http, sync_engine, settings):
    athletes = [await person(http, sync_engine) for _ in range(12)]
    for i, who in enumerate(athletes):
        await workout(
            http, who, datetime(2025, 3, 3, 7, i, tzinfo=UTC), [a_set(BENCH, 50.0 + i, 5)]
        )
    analyst = await person(http, sync_engine, "analyst")
    bucket = {by_hand(settings, who.id)[0]: by_hand(settings, who.id)[1] for who in athletes}

    async def sample(fraction: float) -> set[str]:
        rows = rows_of(await fetch(http, analyst, "sets", sample=str(fraction)))
        return {r["athlete"] for r in rows}

    for fraction in (0.3, 0.7, 1.0):
        expected = {name for name, b in bucket.items() if b < fraction}
        assert await sample(fraction) == expected
        assert await sample(fraction) == expected  # the same athletes every time
    assert await sample(0.3) <= await sample(0.7)


async def test_cardio_sessions(http, sync_engine, settings):
    a = await person(http, sync_engine, tz=OSLO)
    run = await workout(http, a, datetime(2025, 3, 8, 9, tzinfo=UTC), [], minutes=25)
    cardio(sync_engine, a, run, distance_m=5000.0, elapsed_s=1500.0, avg_hr=151.0)
    analyst = await person(http, sync_engine, "analyst")
    (row,) = rows_of(await fetch(http, analyst, "cardio_sessions"))
    assert row["workout_id"] == str(run) and row["athlete"] == by_hand(settings, a.id)[0]
    assert (row["sport"], row["distance_m"], row["elapsed_s"], row["avg_hr"]) == (
        "run",
        5000.0,
        1500.0,
        151.0,
    )
    assert row["load_assumptions"] == "hr_rest" and row["day"] == date(2025, 3, 8)
    (listed,) = rows_of(await fetch(http, analyst, "workouts"))
    assert listed["sport"] == "run"


async def test_features_of_the_latest_run_with_a_version_or_of_the_run_asked(
    http, sync_engine, settings
):
    athletes = [await person(http, sync_engine) for _ in range(3)]
    old = feature_run(sync_engine, athletes[:1], version=1)
    new = feature_run(sync_engine, athletes, version=2)
    feature_run(sync_engine, athletes[:2], version=None)  # no version: never the default
    analyst = await person(http, sync_engine, "analyst")
    response = await fetch(http, analyst, "features")
    assert response.headers["x-forma-run-id"] == str(new)
    rows = rows_of(response)
    assert {r["run_id"] for r in rows} == {str(new)}
    assert {r["athlete"] for r in rows} == {by_hand(settings, w.id)[0] for w in athletes}
    assert sorted(r["label_e1rm_kg"] for r in rows) == [120.0, 121.0, 122.0]
    assert sorted(r["split"] for r in rows) == ["test", "train", "train"]
    first = rows[0]
    assert [first[f] for f in FEATURES] == [float(j) - 3.5 for j in range(len(FEATURES))]
    assert (first["persistence_kg"], first["trend_kg"]) == (118.0, 119.5)
    older = rows_of(await fetch(http, analyst, "features", run_id=str(old)))
    assert [r["run_id"] for r in older] == [str(old)]


async def test_recommendation_feedback(http, sync_engine, settings):
    a = await person(http, sync_engine)
    rec = answered(sync_engine, a, "changed")
    b = await person(http, sync_engine)
    skipped = answered(sync_engine, b, "skipped")
    analyst = await person(http, sync_engine, "analyst")
    rows = {
        r["recommendation_id"]: r
        for r in rows_of(await fetch(http, analyst, "recommendation_feedback"))
    }
    changed = rows[str(rec)]
    assert changed["athlete"] == by_hand(settings, a.id)[0]
    assert (changed["outcome"], changed["model_name"], changed["model_version"]) == (
        "changed",
        "next_e1rm",
        1,
    )
    assert (
        changed["prescribed_sets"],
        changed["prescribed_weight_kg"],
        changed["prescribed_reps"],
    ) == (
        3,
        100.0,
        5,
    )
    assert (changed["done_sets"], changed["done_weight_kg"]) == (2, 97.5)
    assert changed["answered_at"] == datetime(2025, 3, 11, 18, tzinfo=UTC)
    assert rows[str(skipped)]["done_sets"] is None
    # answered_at is a timestamp: the days are UTC days
    assert rows_of(await fetch(http, analyst, "recommendation_feedback", since="2025-03-12")) == []
    assert (
        len(rows_of(await fetch(http, analyst, "recommendation_feedback", until="2025-03-11"))) == 2
    )


async def test_the_list_counts_rows_and_says_how_fresh(http, sync_engine):
    seed = await two_athletes(http, sync_engine)
    analyst = await person(http, sync_engine, "analyst")
    body = json_of(await http.get("/v1/datasets", headers=analyst.headers), 200)
    items = {i["name"]: i for i in body["items"]}
    assert list(items) == list(DATASETS)
    assert (items["sets"]["row_count"], items["sets"]["row_count_exact"]) == (6, True)
    assert items["workouts"]["row_count"] == 3
    assert items["features"]["row_count"] == 0 and items["features"]["freshness"] is None
    with sync_engine.connect() as conn:
        newest = conn.execute(text("SELECT max(updated_at) FROM workouts")).scalar_one()
    assert datetime.fromisoformat(items["sets"]["freshness"]) == newest
    columns = {c["name"]: c for c in items["sets"]["columns"]}
    assert columns["weight_kg"] == {
        "name": "weight_kg",
        "type": "double",
        "unit": "kg",
        "description": columns["weight_kg"]["description"],
    }
    assert columns["day"]["type"] == "date32[day]"
    assert columns["started_at"]["type"] == "timestamp[us, tz=UTC]"
    assert "notes" not in columns
    assert items["sets"]["formats"] == ["parquet", "arrow", "csv"]
    assert items["sets"]["time_column"] == "day"
    assert isinstance(body["key_period"], int)
    del seed


async def test_a_deleted_workout_leaves_the_datasets(http, sync_engine):
    seed = await two_athletes(http, sync_engine)
    analyst = await person(http, sync_engine, "analyst")
    deleted = await http.delete(f"/v1/workouts/{seed['w1']}", headers=seed["a"].headers)
    assert deleted.status_code == 204, deleted.text
    ids = {r["workout_id"] for r in rows_of(await fetch(http, analyst, "sets"))}
    assert ids == {str(seed["w2"]), str(seed["w3"])}
    assert uuid.UUID(next(iter(ids)))

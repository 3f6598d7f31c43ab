"""``datasets.snapshot`` through PostgreSQL, the task called in this process: parts per
month cut at the part size, failures recorded without parts, messages delivered twice,
the sweep, and the snapshot a training run records of its feature table."""

from __future__ import annotations

import io
import math
import uuid
from datetime import date

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from api.config import get_settings
from api.datasets.pseudonyms import ensure_pseudonyms
from pipelines.demo.population import generate
from pipelines.demo.seed import seed
from pipelines.store import snapshots as store
from pipelines.tasks import coaching
from pipelines.tasks import datasets as tasks
from pipelines.tasks.maintenance import sweep
from tests.support.training_runs import committed  # noqa: F401

END = date(2025, 6, 30)
ATHLETES, YEARS, SEED = 4, 0.5, 5


def _queue(engine, dataset: str = "sets", **filters) -> uuid.UUID:
    with engine.begin() as conn:
        period = ensure_pseudonyms(conn, get_settings())
        return store.create(conn, dataset=dataset, filters=filters, key_period=period,
                            created_by="test")  # fmt: skip


def _row(engine, snapshot_id: uuid.UUID) -> dict:
    with engine.connect() as conn:
        row = store.get(conn, snapshot_id)
    assert row is not None
    return row


def _parts(engine, snapshot_id: uuid.UUID) -> list[tuple[int, date | None, int, bytes]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            text("SELECT part, month, row_count, data FROM dataset_snapshot_parts "
                 "WHERE snapshot_id = :s ORDER BY part"), {"s": snapshot_id})]  # fmt: skip


def _sets_per_month() -> dict[date, int]:
    """The demo population's sets per month of their workout's local day, by hand."""
    population = generate(ATHLETES, YEARS, SEED, END, with_truth=False)
    day = population.sessions.set_index("workout_id")["day"]
    days = pd.to_datetime(population.workout_sets["workout_id"].map(day))
    months = days.dt.to_period("M").dt.start_time.dt.date
    return months.value_counts().sort_index().to_dict()


def test_parts_are_months_cut_at_the_part_size(committed, monkeypatch):  # noqa: F811
    seed(committed, athletes=ATHLETES, years=YEARS, seed=SEED, end=END, analytics=False)
    expected = _sets_per_month()
    size = max(expected.values()) // 2 + 1  # the biggest month takes two parts
    monkeypatch.setattr(tasks, "PART_ROWS", size)
    snapshot_id = _queue(committed)
    seen: list[tuple[int, int]] = []
    outcome = tasks.take(snapshot_id, progress=lambda done, total: seen.append((done, total)))
    total = sum(expected.values())
    assert outcome is not None and outcome.rows == total
    row = _row(committed, snapshot_id)
    assert (row["status"], row["progress"], row["row_count"]) == ("succeeded", 1.0, total)
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    parts = _parts(committed, snapshot_id)
    assert [p[0] for p in parts] == list(range(len(parts)))
    assert len(parts) == outcome.parts == sum(math.ceil(n / size) for n in expected.values())
    by_month: dict[date, int] = {}
    for _, month, rows, data in parts:
        assert rows <= size
        by_month[month] = by_month.get(month, 0) + rows
        table = pq.read_table(io.BytesIO(data))
        assert table.num_rows == rows and "month" not in table.column_names
        days = table.column("day").to_pylist()
        assert {d.replace(day=1) for d in days} == {month}
    assert by_month == expected
    assert [p[1] for p in parts] == sorted(p[1] for p in parts)
    # a message delivered twice does nothing
    assert tasks.take(snapshot_id) is None
    assert len(_parts(committed, snapshot_id)) == len(parts)


def test_a_failed_snapshot_keeps_its_message_and_no_part(committed, monkeypatch):  # noqa: F811
    seed(committed, athletes=2, years=0.2, seed=SEED, end=END, analytics=False)
    monkeypatch.setattr(tasks, "PART_ROWS", 10)

    real = tasks.record_batches
    monkeypatch.setattr(tasks, "record_batches", lambda *a, **k: _after(real(*a, **k)))
    snapshot_id = _queue(committed)
    with pytest.raises(RuntimeError, match="the disk is full"):
        tasks.take(snapshot_id)
    row = _row(committed, snapshot_id)
    assert (row["status"], row["message"]) == ("failed", "RuntimeError: the disk is full")
    assert row["finished_at"] is not None and row["row_count"] is None
    assert _parts(committed, snapshot_id) == []
    assert tasks.take(snapshot_id) is None


def _after(batches):
    yield from batches
    raise RuntimeError("the disk is full")


def test_the_sweep_resends_queued_snapshots_and_fails_stuck_ones(committed):  # noqa: F811
    queued = _queue(committed)
    assert sweep()["snapshots_resent"] == 0  # fresh: its message is on its way
    with committed.begin() as conn:
        conn.execute(text("UPDATE dataset_snapshots SET created_at = created_at - "
                          "interval '2 minutes' WHERE id = :id"), {"id": queued})  # fmt: skip
    outcome = sweep()
    assert (outcome["snapshots_resent"], outcome["snapshots_failed"]) == (1, 0)
    assert _row(committed, queued)["status"] == "queued"
    with committed.begin() as conn:
        assert store.claim(conn, queued) is not None
    assert sweep()["snapshots_failed"] == 0  # running, and recently started
    with committed.begin() as conn:
        conn.execute(text("UPDATE dataset_snapshots SET taken_at = taken_at - "
                          "interval '7 hours' WHERE id = :id"), {"id": queued})  # fmt: skip
    assert sweep()["snapshots_failed"] == 1
    row = _row(committed, queued)
    assert row["status"] == "failed" and row["message"].startswith("stuck:")


def test_a_training_run_records_the_snapshot_of_its_features(committed):  # noqa: F811
    seed(committed, athletes=8, years=1.0, seed=23, end=END, analytics=False)
    run_id = coaching.request_run("next_e1rm", {"max_iter": "20"}, "admin@example.com")
    sent: list[tuple] = []
    shards = coaching.start(run_id, shard_size=100)
    assert shards is not None
    for shard in shards:
        coaching.features_shard(run_id, shard, send=lambda *m: True)
    outcome = coaching.fit(run_id, send=lambda *m: sent.append(m) or True)
    assert outcome is not None and outcome.snapshot_id is not None
    snapshot_id = outcome.snapshot_id
    assert (tasks.SNAPSHOT, str(snapshot_id)) in sent
    with committed.connect() as conn:
        run_snapshot = conn.execute(text("SELECT snapshot_id FROM model_runs WHERE id = :r"),
                                    {"r": run_id}).scalar_one()  # fmt: skip
        version_snapshot = conn.execute(
            text("SELECT snapshot FROM model_versions WHERE run_id = :r"), {"r": run_id}
        ).scalar_one()
        features = pd.read_sql(
            text("SELECT p.pseudonym AS athlete, f.exercise_id::text AS exercise_id, f.as_of, "
                 "f.label_e1rm_kg, f.persistence_kg, f.split FROM model_features f "
                 "JOIN user_pseudonyms p ON p.user_id = f.user_id AND p.period = :period "
                 "WHERE f.run_id = :r"),
            conn, params={"r": run_id, "period": _row(committed, snapshot_id)["key_period"]},
        )  # fmt: skip
    assert run_snapshot == snapshot_id
    assert version_snapshot["snapshot_id"] == str(snapshot_id)
    row = _row(committed, snapshot_id)
    assert (row["dataset"], row["status"], row["created_by"], row["run_id"]) == (
        "features", "queued", "training", run_id,
    )  # fmt: skip
    assert row["filters"] == {"run_id": str(run_id)}

    taken = tasks.take(snapshot_id)
    assert taken is not None and taken.rows == len(features) > 100
    frames = [pq.read_table(io.BytesIO(p[3])).to_pandas() for p in _parts(committed, snapshot_id)]
    frozen = pd.concat(frames, ignore_index=True)
    assert set(frozen["run_id"].astype(str)) == {str(run_id)}
    key = ["athlete", "exercise_id", "as_of"]
    columns = [*key, "label_e1rm_kg", "persistence_kg", "split"]
    # categoricals sort by their dictionary, not by value: compare as text
    mine = frozen[columns].astype({"athlete": str, "exercise_id": str, "split": str})
    mine["as_of"] = pd.to_datetime(mine["as_of"], utc=True)
    features["as_of"] = pd.to_datetime(features["as_of"], utc=True)
    left = mine.sort_values(key).reset_index(drop=True)
    right = features[columns].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)

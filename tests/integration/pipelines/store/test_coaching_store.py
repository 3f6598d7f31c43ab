"""The coach's run rows and registry in PostgreSQL: one active run per model, claims that
happen once, the snapshot, the feature table's COPY round trip, versions numbered and
frozen, aliases and events."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.exercises.catalogue import CATALOGUE_V1, exercise_id
from models.coaching.features import FEATURES
from pipelines.demo.population import generate
from pipelines.demo.seed import seed
from pipelines.store import coaching as store
from pipelines.store import registry
from tests.support.training_runs import committed  # noqa: F401  # the fixture

NAME = "next_e1rm"


def test_one_active_run_per_model_and_claims_happen_once(committed):  # noqa: F811
    with committed.begin() as conn:
        first = store.create_run(conn, NAME, {"max_iter": "50"}, "admin@example.com")
        with pytest.raises(store.RunActive) as refused:
            store.create_run(conn, NAME, {}, "beat")
        assert refused.value.run_id == first
        # the refusal rolled back a savepoint only: the transaction goes on
        assert store.active_run(conn, NAME) == first
    with committed.begin() as conn:
        row = store.get_run(conn, first)
        assert row["status"] == "queued" and row["params"] == {"max_iter": "50"}
        assert row["requested_by"] == "admin@example.com" and row["progress"] == 0
        claimed = store.claim_queued(conn, first)
        assert claimed is not None and claimed["status"] == "building"
        assert claimed["started_at"] is not None
        assert store.claim_queued(conn, first) is None  # a second delivery starts nothing
        # building still holds the model
        with pytest.raises(store.RunActive):
            store.create_run(conn, NAME, {}, "beat")
    with committed.begin() as conn:
        failed = store.fail(conn, first, "boom")
        assert failed is not None and failed["status"] == "failed"
        assert store.fail(conn, first, "again") is None  # finished runs stay as they ended
        second = store.create_run(conn, NAME, {}, "beat")
        assert second != first and store.active_run(conn, NAME) == second


def test_shards_count_up_and_the_fit_is_claimed_once(committed):  # noqa: F811
    with committed.begin() as conn:
        run_id = store.create_run(conn, NAME, {}, "beat")
        store.claim_queued(conn, run_id)
        snap = store.Snapshot(athletes=5, sets=100, sync_seq_sum=12, sync_seq_max=7)
        store.record_plan(conn, run_id, snap, shards=3, users=5)
        assert store.claim_fit(conn, run_id) is None  # shards still owed
        assert store.lock_building(conn, run_id)
        assert store.add_shard(conn, run_id, examples=10) == (1, 3)
        assert store.add_shard(conn, run_id, examples=5) == (2, 3)
        row = store.get_run(conn, run_id)
        assert row["progress"] == pytest.approx(0.7 * 2 / 3)
        assert store.add_shard(conn, run_id, examples=0) == (3, 3)
        fitting = store.claim_fit(conn, run_id)
        assert fitting is not None and fitting["status"] == "fitting"
        assert fitting["examples"] == 15 and fitting["progress"] == pytest.approx(0.7)
        assert fitting["snapshot"] == {
            "athletes": 5, "sets": 100, "sync_seq_sum": 12, "sync_seq_max": 7, "last_day": None
        }  # fmt: skip
        assert store.claim_fit(conn, run_id) is None
        assert not store.lock_building(conn, run_id)
        store.set_progress(conn, run_id, 0.9)
        store.set_progress(conn, run_id, 0.8)  # never lowered
        assert store.get_run(conn, run_id)["progress"] == pytest.approx(0.9)
        store.succeed(conn, run_id, 4, "version 4 promoted")
        row = store.get_run(conn, run_id)
        assert (row["status"], row["version"], row["progress"]) == ("succeeded", 4, 1.0)
        assert row["finished_at"] is not None
        assert store.active_run(conn, NAME) is None


def test_snapshot_counts_the_strength_sets_of_a_seeded_population(committed):  # noqa: F811
    end = date(2025, 6, 30)
    seed(committed, athletes=3, years=0.3, seed=5, end=end, analytics=False)
    expected = generate(3, 0.3, 5, end, with_truth=False)
    strength = {str(exercise_id(e.slug)) for e in CATALOGUE_V1 if e.kind == "strength"}
    sets = expected.workout_sets[expected.workout_sets["exercise_id"].isin(strength)]
    with committed.begin() as conn:
        taken, users = store.snapshot(conn)
    assert taken.sets == len(sets) > 0
    assert [str(u) for u in users] == sorted(set(sets["user_id"]))
    assert taken.athletes == len(users)
    assert taken.sync_seq_sum == int(expected.users["sync_seq"].sum())
    assert taken.sync_seq_max == int(expected.users["sync_seq"].max())
    local_day = expected.sessions.set_index("workout_id")["day"]
    assert taken.last_day == pd.to_datetime(sets["workout_id"].map(local_day)).max().date()


def _examples() -> pd.DataFrame:
    """Two hand-made examples; the second has NaN features (NULL in the table)."""
    users = sorted([str(uuid.uuid4()), str(uuid.uuid4())])
    bench = str(exercise_id("bench-press-barbell"))
    frame = pd.DataFrame(
        {
            "user_id": users,
            "exercise_id": [bench, bench],
            "as_of": pd.to_datetime(
                [datetime(2025, 3, 1, 23, 30, tzinfo=UTC), datetime(2025, 3, 2, 6, 0, tzinfo=UTC)]
            ),
            "day": pd.to_datetime(["2025-03-02", "2025-03-02"]),  # the first is in UTC+1
            "split": ["train", "test"],
            "label_e1rm_kg": [101.5, 80.25],
            "persistence_kg": [100.0, 80.0],
            "trend_kg": [100.75, 79.5],
        }
    )
    for i, name in enumerate(FEATURES):
        frame[name] = [float(i) + 0.5, np.nan if i % 2 else -float(i)]
    frame["extra_column_not_stored"] = ["x", "y"]
    return frame


def test_the_feature_table_round_trips_through_copy(committed):  # noqa: F811
    examples = _examples()
    with committed.begin() as conn:
        run_id = store.create_run(conn, NAME, {}, "beat")
        other = uuid.uuid4()  # another run's rows never mix in
        conn.execute(
            text("INSERT INTO model_runs (id, model_name, status, requested_by) "
                 "VALUES (:id, 'next_e1rm', 'failed', 'x')"),
            {"id": other},
        )  # fmt: skip
        # the same session twice (one moment, two workouts): one example is kept
        twice = pd.concat([examples, examples.iloc[[1]].assign(label_e1rm_kg=1.0)])
        assert store.write_features(conn, run_id, twice) == 2
        assert store.write_features(conn, other, examples.iloc[:1]) == 1
        assert store.write_features(conn, run_id, examples.iloc[:0]) == 0
        assert store.has_features(conn, run_id, [uuid.UUID(examples["user_id"][1])])
        assert not store.has_features(conn, run_id, [uuid.uuid4()])
    with committed.connect() as conn:
        back = store.read_features(conn, run_id)
        stored_as_of = conn.execute(
            text("SELECT as_of, day FROM model_features WHERE run_id = :r ORDER BY user_id"),
            {"r": run_id},
        ).all()
    assert stored_as_of[0] == (datetime(2025, 3, 1, 23, 30, tzinfo=UTC), date(2025, 3, 2))
    assert list(back.columns) == list(store.FEATURE_COLUMNS)
    expected = examples[list(store.FEATURE_COLUMNS)].reset_index(drop=True)
    expected["as_of"] = expected["as_of"].astype("datetime64[ns, UTC]")
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    assert back["as_of"].dtype == "datetime64[ns, UTC]" and back["day"].dtype == "datetime64[ns]"
    assert back[list(FEATURES)].dtypes.eq("float64").all()


def test_two_shards_of_one_run_finishing_together_do_not_deadlock(committed):  # noqa: F811
    import threading

    examples = _examples()
    with committed.begin() as conn:
        run_id = store.create_run(conn, NAME, {}, "beat")
        store.claim_queued(conn, run_id)
        snap = store.Snapshot(athletes=2, sets=10, sync_seq_sum=2, sync_seq_max=1)
        store.record_plan(conn, run_id, snap, shards=2, users=2)
    both_copied = threading.Barrier(2, timeout=30)
    outcomes: dict[int, object] = {}

    def shard(i: int) -> None:
        try:
            with committed.begin() as conn:
                # as build_shard: the COPY first (a KEY SHARE lock through the foreign
                # key), then the run's row locked to count the shard
                store.write_features(conn, run_id, examples.iloc[[i]])
                both_copied.wait()
                assert store.lock_building(conn, run_id)
                outcomes[i] = store.add_shard(conn, run_id, examples=1)
        except Exception as exc:  # noqa: BLE001 - reported below
            outcomes[i] = exc

    threads = [threading.Thread(target=shard, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # both counted, one after the other (no DeadlockDetected)
    assert sorted(outcomes.values(), key=str) == [(1, 2), (2, 2)], outcomes


def _version(run_id: uuid.UUID | None, blob: bytes = b"skops") -> registry.NewVersion:
    return registry.NewVersion(
        model_name=NAME,
        run_id=run_id,
        trained_from=date(2024, 1, 1),
        trained_to=date(2025, 1, 1),
        cut=date(2024, 10, 1),
        snapshot={"athletes": 2, "examples": np.int64(10)},
        code_version="0.1.0+abc",
        params={"learning_rate": 0.1},
        metrics={"synthetic": {"mae_kg": np.float64(1.5), "nan": float("nan")}},
        artifact=blob,
        artifact_sha256="0" * 64,
    )


def test_versions_are_numbered_frozen_and_aliases_and_events_recorded(committed):  # noqa: F811
    with committed.begin() as conn:
        run_id = store.create_run(conn, NAME, {}, "beat")
        assert registry.champion(conn, NAME) is None
        assert registry.write_version(conn, _version(run_id)) == 1
        assert registry.write_version(conn, _version(run_id, b"second")) == 2
        assert registry.set_alias(conn, NAME, "champion", 1, "beat") is None
        assert registry.set_alias(conn, NAME, "champion", 2, "admin@example.com") == 1
        current = registry.champion(conn, NAME)
        assert current["version"] == 2 and bytes(current["artifact"]) == b"second"
        assert current["metrics"] == {"synthetic": {"mae_kg": 1.5, "nan": None}}
        assert current["snapshot"] == {"athletes": 2, "examples": 10}
        first = registry.add_event(conn, NAME, "trained", actor="beat", version=1)
        second = registry.add_event(
            conn, NAME, "rejected", actor="beat", version=2, reason="worse", details={"c": 1}
        )
        assert second > first
        assert [(e["event"], e["version"], e["reason"], e["details"])
                for e in registry.events(conn, NAME)] == [
            ("trained", 1, None, {}), ("rejected", 2, "worse", {"c": 1})
        ]  # fmt: skip
    with committed.begin() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text("UPDATE model_versions SET code_version = 'x' WHERE version = 1"))
    with committed.begin() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text("DELETE FROM model_events"))


def test_feature_tables_of_old_runs_go_but_the_champions_and_the_latest_stay(committed):  # noqa: F811
    examples = _examples()
    runs = []
    with committed.begin() as conn:
        for outcome in ("succeeded", "succeeded", "failed", "succeeded", "building"):
            run_id = store.create_run(conn, NAME, {}, "beat")
            store.claim_queued(conn, run_id)
            store.write_features(conn, run_id, examples)
            if outcome == "succeeded":
                store.succeed(conn, run_id, len(runs) + 1, "done")
            elif outcome == "failed":
                store.fail(conn, run_id, "boom")
            runs.append(run_id)
        # the first run's version is the champion
        registry.write_version(conn, _version(runs[0]))
        registry.set_alias(conn, NAME, "champion", 1, "beat")
    with committed.begin() as conn:
        # kept: the champion's run (0), the latest succeeded (3), the active one (4)
        assert store.purge_features(conn, NAME, keep=1) == 2 * len(examples)
        left = conn.execute(
            text("SELECT DISTINCT run_id FROM model_features ORDER BY run_id")
        ).scalars()
        assert set(left) == {runs[0], runs[3], runs[4]}
        assert store.purge_features(conn, NAME, keep=1) == 0

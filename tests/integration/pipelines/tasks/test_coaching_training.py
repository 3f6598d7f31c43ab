"""Training the coach through PostgreSQL, the tasks called in this process: one run per
model at a time, a full run on seeded demo athletes (a first candidate promoted, a
deliberately worse one rejected with its reason, the champion kept), failures recorded,
the sweep, the beat entry and ``forma train``."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import text

from api.config import Settings
from api.exercises.catalogue import CATALOGUE_V1, exercise_id
from models.coaching import artifact
from models.coaching.estimator import Params
from pipelines.beat import schedule
from pipelines.cli import main
from pipelines.demo.population import generate
from pipelines.demo.seed import seed
from pipelines.store import coaching as store
from pipelines.store import registry
from pipelines.tasks import coaching as tasks
from pipelines.tasks.maintenance import sweep
from tests.support.training_runs import committed, event_rows, run_row  # noqa: F401

NAME = "next_e1rm"
END = date(2025, 6, 30)
ATHLETES, YEARS, SEED = 12, 1.5, 17
ADMIN = "admin@example.com"


def _runs(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM model_runs")).scalar_one())


def test_one_run_at_a_time_whoever_asks(committed):  # noqa: F811
    first = tasks.request_run(NAME, {}, ADMIN)
    with pytest.raises(store.RunActive) as refused:
        tasks.request_run(NAME, {"max_iter": "10"}, "someone-else@example.com")
    assert refused.value.run_id == first
    # the beat firing meanwhile records nothing and returns
    assert tasks.train(None, NAME) is None
    assert _runs(committed) == 1
    assert run_row(committed, first)["status"] == "queued"
    # a bad override is refused before a run exists, naming the key
    with pytest.raises(ValueError, match="nope"):
        tasks.request_run(NAME, {"nope": "1"}, ADMIN)
    assert _runs(committed) == 1


def test_a_run_with_no_athlete_fails_with_its_reason_and_an_event(committed):  # noqa: F811
    run_id = tasks.request_run(NAME, {}, ADMIN)
    with pytest.raises(LookupError):
        tasks.run_here(run_id)
    row = run_row(committed, run_id)
    assert row["status"] == "failed" and "no athlete has a strength set" in row["message"]
    assert row["finished_at"] is not None
    events = event_rows(committed)
    assert [(e["event"], e["actor"], e["version"]) for e in events] == [("failed", ADMIN, None)]
    assert events[0]["details"] == {"run_id": str(run_id)}
    # the model is free again
    assert tasks.request_run(NAME, {}, ADMIN) != run_id


def _expected_strength(population) -> tuple[pd.DataFrame, date]:
    """The population's strength sets and the last local day one was done."""
    strength = {str(exercise_id(e.slug)) for e in CATALOGUE_V1 if e.kind == "strength"}
    sets = population.workout_sets[population.workout_sets["exercise_id"].isin(strength)]
    local_day = population.sessions.set_index("workout_id")["day"]
    return sets, pd.to_datetime(sets["workout_id"].map(local_day)).max().date()


def test_a_full_run_promotes_the_first_candidate_and_rejects_a_worse_one(committed):  # noqa: F811
    seed(committed, athletes=ATHLETES, years=YEARS, seed=SEED, end=END, analytics=False)
    population = generate(ATHLETES, YEARS, SEED, END, with_truth=False)
    sets, last_day = _expected_strength(population)
    lifters = sets["user_id"].nunique()  # the others only run or ride
    assert 5 < lifters < ATHLETES

    run_id = tasks.request_run(NAME, {}, ADMIN)
    outcome = tasks.run_here(run_id, shard_size=5)
    assert outcome is not None and outcome.version == 1 and outcome.promoted
    run = run_row(committed, run_id)
    assert (run["status"], run["version"], run["progress"]) == ("succeeded", 1, 1.0)
    shards = -(-lifters // 5)
    assert (run["shards_total"], run["shards_done"], run["users_total"]) == (
        shards,
        shards,
        lifters,
    )
    assert run["snapshot"] == {
        "athletes": lifters,
        "sets": len(sets),
        "sync_seq_sum": int(population.users["sync_seq"].sum()),
        "sync_seq_max": int(population.users["sync_seq"].max()),
        "last_day": last_day.isoformat(),
    }
    assert run["message"].startswith("version 1 promoted to champion: candidate MAE")
    with committed.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT user_id), min(day) FILTER (WHERE split = 'test'), "
                "max(day) FILTER (WHERE split <> 'test') FROM model_features WHERE run_id = :r"
            ),
            {"r": run_id},
        ).one()
        version = dict(
            conn.execute(text("SELECT * FROM model_versions WHERE version = 1")).mappings().one()
        )
    # every shard split at one cut: 12 weeks (Params' default) before the last day
    cut = last_day - timedelta(weeks=Params().holdout_weeks)
    assert stored[0] == run["examples"] > 100 and stored[1] == lifters
    assert stored[2] >= cut and stored[3] < cut
    assert version["run_id"] == run_id and version["cut"] >= cut
    assert version["snapshot"]["examples"] == run["examples"]
    assert version["snapshot"]["athletes"] == lifters
    assert version["code_version"].startswith("0.1.0")
    assert version["params"] == Params().as_dict()
    assert version["artifact_sha256"] == hashlib.sha256(bytes(version["artifact"])).hexdigest()
    artifact.loads(bytes(version["artifact"]), version["artifact_sha256"])  # loads back
    models = version["metrics"]["synthetic"]["models"]
    assert set(models) == {"candidate", "persistence", "trend"}  # no champion to beat yet
    assert models["candidate"]["mae_kg"]["value"] < models["persistence"]["mae_kg"]["value"]
    assert models["candidate"]["mae_kg"]["value"] < models["trend"]["mae_kg"]["value"]
    assert version["metrics"]["database"]["athletes"] > 0
    events = event_rows(committed)
    assert [(e["event"], e["version"], e["actor"]) for e in events] == [
        ("trained", 1, ADMIN),
        ("promoted", 1, ADMIN),
    ]
    assert events[1]["reason"] == outcome.reason and "lower than" in outcome.reason
    assert events[1]["details"] == {"previous": None, "run_id": str(run_id)}

    # a deliberately worse candidate: one boosting iteration
    worse = tasks.request_run(NAME, {"max_iter": "1"}, "beat")
    rejected = tasks.run_here(worse)
    assert rejected is not None and rejected.version == 2 and not rejected.promoted
    assert "is not lower than" in rejected.reason and "champion" in rejected.reason
    events = event_rows(committed)
    assert [(e["event"], e["version"], e["actor"]) for e in events[2:]] == [
        ("trained", 2, "beat"),
        ("rejected", 2, "beat"),
    ]
    assert events[3]["reason"] == rejected.reason
    assert events[3]["details"] == {"champion": 1, "run_id": str(worse)}
    with committed.connect() as conn:
        assert registry.champion(conn, NAME)["version"] == 1  # unchanged
        second = conn.execute(
            text("SELECT params, metrics FROM model_versions WHERE version = 2")
        ).one()
    assert second.params["max_iter"] == 1
    on_synthetic = second.metrics["synthetic"]["models"]
    assert set(on_synthetic) == {"candidate", "champion", "persistence", "trend"}
    # the champion scored on the same rows as before: the same figure
    assert on_synthetic["champion"]["mae_kg"] == models["candidate"]["mae_kg"]
    assert (
        on_synthetic["candidate"]["mae_kg"]["value"] > on_synthetic["champion"]["mae_kg"]["value"]
    )
    assert run_row(committed, worse)["message"].startswith("version 2 rejected: candidate MAE")


def test_redelivered_messages_do_nothing_twice_and_scoring_follows(committed):  # noqa: F811
    seed(committed, athletes=ATHLETES, years=YEARS, seed=SEED, end=END, analytics=False)
    run_id = tasks.request_run(NAME, {}, ADMIN)
    shards = tasks.start(run_id, shard_size=100)
    assert shards is not None and len(shards) == 1
    assert tasks.start(run_id) is None  # coaching.train delivered twice
    sent: list[tuple] = []
    first = tasks.features_shard(run_id, shards[0], send=lambda *m: sent.append(m) or True)
    assert first.last and first.examples > 100 and sent == [(tasks.FIT, str(run_id))]
    again = tasks.features_shard(run_id, shards[0], send=lambda *m: sent.append(m) or True)
    assert again.skipped and len(sent) == 1
    assert run_row(committed, run_id)["shards_done"] == 1
    assert tasks.fit(run_id, send=lambda *m: sent.append(m) or True).promoted
    # the run's feature table is snapshotted, and a promotion re-scores everyone
    assert [m[0] for m in sent[1:]] == [tasks.SNAPSHOT, tasks.SCORE_ALL]
    assert tasks.fit(run_id, send=lambda *m: sent.append(m) or True) is None
    # the nightly run re-scores everyone even when its candidate is rejected
    nightly = tasks.request_run(NAME, {"max_iter": "1"}, tasks.BEAT_ACTOR)
    (shard,) = tasks.start(nightly, shard_size=100)
    tasks.features_shard(nightly, shard, send=lambda *m: True)
    rejected = tasks.fit(nightly, send=lambda *m: sent.append(m) or True)
    assert rejected is not None and not rejected.promoted and rejected.nightly
    assert [m[0] for m in sent[3:]] == [tasks.SNAPSHOT, tasks.SCORE_ALL] and len(sent) == 5
    with committed.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM model_versions")).scalar_one() == 2


def test_the_sweep_fails_stuck_runs_and_resends_queued_ones(committed):  # noqa: F811
    stuck = tasks.request_run(NAME, {}, ADMIN)
    with committed.begin() as conn:
        store.claim_queued(conn, stuck)
        conn.execute(
            text("UPDATE model_runs SET started_at = clock_timestamp() - interval '2 hours'")
        )
    outcome = sweep()
    assert outcome["training_failed"] == 1 and outcome["training_resent"] == 0
    row = run_row(committed, stuck)
    assert row["status"] == "failed" and row["message"].startswith("stuck:")
    assert [e["event"] for e in event_rows(committed)] == ["failed"]
    queued = tasks.request_run(NAME, {}, ADMIN)
    assert sweep()["training_resent"] == 0  # fresh: its message is on its way
    with committed.begin() as conn:
        conn.execute(
            text("UPDATE model_runs SET created_at = clock_timestamp() - interval '1 hour' "
                 "WHERE id = :id"),
            {"id": queued},
        )  # fmt: skip
    assert sweep()["training_resent"] == 1
    assert run_row(committed, queued)["status"] == "queued"


@pytest.mark.parametrize(("hour", "scheduled"), [(2, True), (None, False)])
def test_the_beat_trains_nightly_unless_turned_off(hour, scheduled):
    settings = Settings(environment="test", secret_key="x" * 32, train_hour_utc=hour)
    entries = schedule(settings)
    assert ("nightly-coach-training" in entries) is scheduled
    if scheduled:
        nightly = entries["nightly-coach-training"]
        assert nightly["task"] == "coaching.train"
        assert nightly["kwargs"] == {"run_id": None, "model_name": NAME}
        assert nightly["schedule"].hour == {2} and nightly["schedule"].minute == {0}


def test_train_hour_defaults_to_two_and_off_disables(monkeypatch):
    assert Settings(environment="test", secret_key="x" * 32).train_hour_utc == 2
    monkeypatch.setenv("FORMA_TRAIN_HOUR_UTC", "off")
    assert Settings(environment="test", secret_key="x" * 32).train_hour_utc is None


def test_forma_train_shows_the_outcome_and_its_exit_codes(committed, capsys):  # noqa: F811
    assert main(["train", "no_such_model", "--local"]) == 2
    assert "unknown model 'no_such_model'" in capsys.readouterr().err
    assert main(["train", NAME, "--local", "--set", "nope=1"]) == 2
    assert "unknown parameter 'nope'" in capsys.readouterr().err
    assert main(["train", NAME, "--local", "--set", "max_iter"]) == 2
    assert "expected key=value" in capsys.readouterr().err
    assert _runs(committed) == 0

    # nothing to learn from: the run fails, and says why
    assert main(["train", NAME, "--local"]) == 1
    out = capsys.readouterr().out
    assert "failed: planning: LookupError: no athlete has a strength set" in out

    seed(committed, athletes=ATHLETES, years=YEARS, seed=SEED, end=END, analytics=False)
    assert main(["train", NAME, "--local"]) == 0
    captured = capsys.readouterr()
    assert "next_e1rm version 1 promoted: candidate MAE" in captured.out
    assert "synthetic: " in captured.out and "candidate    MAE " in captured.out
    assert "persistence  MAE " in captured.out and "database: " in captured.out
    assert "100%" in captured.out  # the progress bar reached the end

    assert main(["train", NAME, "--local", "--set", "max_iter=1"]) == 0
    out = capsys.readouterr().out
    assert "next_e1rm version 2 rejected: candidate MAE" in out and "champion" in out

    with committed.connect() as conn:
        actors = {r[0] for r in conn.execute(text("SELECT DISTINCT actor FROM model_events"))}
    assert len(actors) == 1 and actors.pop().startswith("cli:")

    # while a run is active another is refused
    active = tasks.request_run(NAME, {}, ADMIN)
    assert main(["train", NAME, "--local"]) == 1
    assert f"already active: {active}" in capsys.readouterr().err

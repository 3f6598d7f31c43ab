"""One training run (``models.coaching.training.train``): metrics beside both baselines
on the same rows, the gate's decision, a worse candidate rejected, determinism."""

from __future__ import annotations

from datetime import date
from functools import cache

import numpy as np
import pandas as pd

from models.coaching.estimator import Params
from models.coaching.evaluation import split
from models.coaching.training import Trained, train
from tests.support.coaching import fitted_coach, population_examples

END = date(2026, 10, 1)
GOOD = Params.with_overrides({"max_iter": "40", "min_samples_leaf": "20"})
WORSE = Params.with_overrides({"max_iter": "1", "learning_rate": "0.01"})


def database() -> pd.DataFrame:
    return fitted_coach(12, 1.0, 5, END)[1]


def synthetic() -> pd.DataFrame:
    return population_examples(10, 1.0, 9, END)  # another population: the hold-out


@cache
def first_run() -> Trained:
    return train(database(), GOOD, synthetic=synthetic(), champion=None)


def baseline_mae(rows: pd.DataFrame, column: str) -> float:
    return float(np.mean(np.abs(rows[column] - rows["label_e1rm_kg"])))


def test_metrics_hold_both_baselines_on_the_same_hold_out_rows() -> None:
    run = first_run()
    rows = synthetic()
    test = rows[(split(rows, GOOD) == "test").to_numpy()]
    report = run.metrics["synthetic"]
    assert report["rows"] == len(test)
    assert report["athletes"] == test["user_id"].nunique()
    models = report["models"]
    assert set(models) == {"candidate", "persistence", "trend"}
    # the baselines' MAE straight from the hold-out rows
    assert models["persistence"]["mae_kg"]["value"] == round(
        baseline_mae(test, "persistence_kg"), 4
    )
    assert models["trend"]["mae_kg"]["value"] == round(baseline_mae(test, "trend_kg"), 4)
    db = run.metrics["database"]
    db_test = database()[database()["split"] == "test"]
    assert db["rows"] == len(db_test)
    assert db["models"]["persistence"]["mae_kg"]["value"] == round(
        baseline_mae(db_test, "persistence_kg"), 4
    )
    assert 0.5 <= run.metrics["synthetic"]["coverage"]["candidate"] <= 1.0


def test_first_candidate_promoted_only_when_it_beats_both_baselines() -> None:
    run = first_run()
    models = run.metrics["synthetic"]["models"]
    mine = models["candidate"]["mae_kg"]["value"]
    beats = (
        mine < models["persistence"]["mae_kg"]["value"]
        and mine < models["trend"]["mae_kg"]["value"]
    )
    assert run.promote == beats
    assert run.promote  # 40 trees beat last-value and trend on the synthetic population
    assert f"{mine:.3f}" in run.reason


def test_a_worse_candidate_is_rejected_against_the_champion() -> None:
    champion = first_run().coach
    run = train(database(), WORSE, synthetic=synthetic(), champion=champion)
    models = run.metrics["synthetic"]["models"]
    assert set(models) == {"candidate", "champion", "persistence", "trend"}
    # the champion scored on the same rows gives the first run's candidate figures
    assert models["champion"] == first_run().metrics["synthetic"]["models"]["candidate"]
    assert not run.promote
    worse = models["candidate"]["mae_kg"]["value"]
    assert worse > models["champion"]["mae_kg"]["value"]
    assert "champion" in run.reason and f"{worse:.3f}" in run.reason
    assert f"{models['champion']['mae_kg']['value']:.3f}" in run.reason


def test_training_twice_gives_identical_metrics_and_reports_progress() -> None:
    seen: list[float] = []
    again = train(database(), GOOD, synthetic=synthetic(), champion=None, progress=seen.append)
    assert again.metrics == first_run().metrics
    assert (again.promote, again.reason) == (first_run().promote, first_run().reason)
    assert seen == sorted(seen) and 0 < seen[0] and seen[-1] <= 1


def test_training_window_and_row_counts() -> None:
    run, rows = first_run(), database()
    days = pd.to_datetime(rows["day"])
    known = days[(rows["split"] != "test").to_numpy()]
    assert run.trained_from == known.min().date() and run.trained_to == known.max().date()
    assert run.cut == days[(rows["split"] == "test").to_numpy()].min().date()
    assert run.metrics["training_rows"] == int((rows["split"] == "train").sum())
    assert run.metrics["validation_rows"] == int((rows["split"] == "validation").sum())

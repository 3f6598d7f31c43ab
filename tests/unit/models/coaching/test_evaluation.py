"""Judging the coach (``models.coaching.evaluation``): MAE and MAPE against a hand
calculation, the bootstrap intervals, the time split and the promotion gate."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.coaching.estimator import Params
from models.coaching.evaluation import cut_after, cut_day, gate, report, split

# Four hold-out rows. Errors by hand:
#   label        100    200    50    80
#   persistence  110    190    50    84  → |err| 10, 10, 0, 4  → MAE 6.0
#                                        → % 10, 5, 0, 5      → MAPE 5.0
#   trend        100    200    60    80  → |err| 0, 0, 10, 0  → MAE 2.5, MAPE 20/4 = 5.0
#   candidate    105    195    52    78  → |err| 5, 5, 2, 2   → MAE 3.5
#                                        → % 5, 2.5, 4, 2.5   → MAPE 3.5
TINY = pd.DataFrame(
    {
        "user_id": ["a", "a", "b", "b"],
        "exercise_id": ["bench", "squat", "bench", "squat"],
        "training_age_days": [100.0, 100.0, 400.0, 400.0],
        "label_e1rm_kg": [100.0, 200.0, 50.0, 80.0],
        "persistence_kg": [110.0, 190.0, 50.0, 84.0],
        "trend_kg": [100.0, 200.0, 60.0, 80.0],
    }
)
CANDIDATE = np.array([105.0, 195.0, 52.0, 78.0])


def test_mae_and_mape_by_hand() -> None:
    out = report(TINY, {"candidate": CANDIDATE}, seed=1)
    assert out["rows"] == 4 and out["athletes"] == 2
    models = out["models"]
    assert set(models) == {"candidate", "persistence", "trend"}
    assert models["persistence"]["mae_kg"]["value"] == 6.0
    assert models["persistence"]["mape_pct"]["value"] == 5.0
    assert models["trend"]["mae_kg"]["value"] == 2.5
    assert models["trend"]["mape_pct"]["value"] == 5.0
    assert models["candidate"]["mae_kg"]["value"] == 3.5
    assert models["candidate"]["mape_pct"]["value"] == 3.5


def test_bootstrap_interval_brackets_the_value_and_repeats_with_the_seed() -> None:
    first = report(TINY, {"candidate": CANDIDATE}, seed=7)
    again = report(TINY, {"candidate": CANDIDATE}, seed=7)
    assert first == again
    for metrics in first["models"].values():
        for figure in metrics.values():
            assert figure["low"] <= figure["value"] <= figure["high"]
    # resampling four rows: the interval lies within the smallest and largest error
    persistence = first["models"]["persistence"]["mae_kg"]
    assert 0.0 <= persistence["low"] < persistence["high"] <= 10.0


def cohort(athletes: int, error: float | np.ndarray) -> pd.DataFrame:
    n = athletes * 3
    labels = np.full(n, 100.0)
    return pd.DataFrame(
        {
            "user_id": np.repeat([f"u{i}" for i in range(athletes)], 3),
            "exercise_id": "bench",
            "training_age_days": np.tile([30.0, 300.0, 2000.0], athletes),
            "label_e1rm_kg": labels,
            "persistence_kg": labels + error,
            "trend_kg": labels - 1.0,
        }
    )


def test_cluster_bootstrap_of_equal_errors_is_a_point() -> None:
    # 12 athletes (≥ 10: whole athletes resampled), every error 2 kg: every resample's
    # MAE is 2, so the interval is [2, 2]; MAPE 2 %
    out = report(cohort(12, 2.0), {}, seed=3)
    assert out["models"]["persistence"]["mae_kg"] == {"value": 2.0, "low": 2.0, "high": 2.0}
    assert out["models"]["persistence"]["mape_pct"] == {"value": 2.0, "low": 2.0, "high": 2.0}
    assert out["models"]["trend"]["mae_kg"]["value"] == 1.0


def test_cluster_bootstrap_brackets_and_bands_by_training_age() -> None:
    rng = np.random.default_rng(5)
    rows = cohort(15, rng.normal(0, 3, 45))
    want = float(np.mean(np.abs(rows["persistence_kg"] - rows["label_e1rm_kg"])))
    out = report(rows, {}, seed=3)
    mae = out["models"]["persistence"]["mae_kg"]
    assert mae["value"] == pytest.approx(want, abs=1e-4)
    assert mae["low"] <= mae["value"] <= mae["high"]
    # bands: 30 days → novice, 300 → intermediate, 2000 → advanced; 15 rows each
    assert {b: v["rows"] for b, v in out["by_training_age"].items()} == {
        "novice": 15, "intermediate": 15, "advanced": 15,
    }  # fmt: skip
    novice = rows[rows["training_age_days"] == 30.0]
    assert out["by_training_age"]["novice"]["models"]["persistence"]["mae_kg"][
        "value"
    ] == pytest.approx(float(np.mean(np.abs(novice["persistence_kg"] - 100.0))), abs=1e-4)
    assert out["by_exercise"]["bench"]["rows"] == 45


def test_report_refuses_no_rows() -> None:
    with pytest.raises(ValueError, match="no hold-out rows"):
        report(TINY.iloc[:0], {})


def days_frame(*days: str) -> pd.DataFrame:
    return pd.DataFrame({"day": pd.to_datetime(list(days))})


def test_split_puts_each_day_on_its_side_of_the_cut() -> None:
    params = Params(validation_weeks=1)
    rows = days_frame(
        "2026-03-02", "2026-03-03", "2026-03-09", "2026-03-10", "2026-03-20", "2026-01-01"
    )
    rows.index = [10, 11, 12, 13, 14, 15]
    got = split(rows, params, pd.Timestamp("2026-03-10"))
    # cut 03-10 (its own day is test); validation from 03-10 − 7 days = 03-03 (included)
    assert list(got) == ["train", "validation", "validation", "test", "test", "train"]
    assert list(got.index) == [10, 11, 12, 13, 14, 15]


def test_cut_day_by_weeks_or_by_share() -> None:
    # 20 days of examples, 2026-01-01 … 01-20
    rows = days_frame(*[str(d.date()) for d in pd.date_range("2026-01-01", periods=20)])
    # 1 week before the last day (01-20) = 01-13; the last 20 % start at row 16 = 01-17:
    # the earlier wins → 01-13
    assert cut_day(rows, Params(holdout_weeks=1, min_test_fraction=0.2)) == pd.Timestamp(
        "2026-01-13"
    )
    # the last 50 % start at row 10 = 01-11, earlier than 01-13
    assert cut_day(rows, Params(holdout_weeks=1, min_test_fraction=0.5)) == pd.Timestamp(
        "2026-01-11"
    )
    # no share asked: the weeks decide
    assert cut_day(rows, Params(holdout_weeks=1, min_test_fraction=0.0)) == pd.Timestamp(
        "2026-01-13"
    )
    with pytest.raises(ValueError):
        cut_day(rows.iloc[:0], Params())


def test_cut_after_is_holdout_weeks_before_the_last_day() -> None:
    # 2026-06-01 − 12 weeks = 2026-03-09
    assert cut_after(date(2026, 6, 1), Params(holdout_weeks=12)) == pd.Timestamp("2026-03-09")


def judged(**maes: float) -> dict:
    return {
        "rows": 40,
        "models": {name: {"mae_kg": {"value": v, "low": v, "high": v}} for name, v in maes.items()},
    }


def test_gate_promotes_a_candidate_better_than_both_baselines() -> None:
    ok, reason = gate(judged(candidate=3.0, persistence=4.0, trend=5.0))
    assert ok
    assert "3.000" in reason and "persistence 4.000" in reason and "trend 5.000" in reason


def test_gate_rejects_a_candidate_a_baseline_beats() -> None:
    ok, reason = gate(judged(candidate=4.5, persistence=4.0, trend=5.0))
    assert not ok
    assert "4.500" in reason and "persistence" in reason and "4.000" in reason
    assert "not lower than persistence" in reason and "than persistence and" not in reason


def test_gate_needs_strictly_lower_and_beats_the_champion() -> None:
    ok, reason = gate(judged(candidate=4.0, persistence=4.0, trend=5.0))
    assert not ok and "persistence" in reason  # a tie is not better
    ok, reason = gate(judged(candidate=3.0, persistence=4.0, trend=5.0, champion=2.9))
    assert not ok and "not lower than champion" in reason and "2.900" in reason
    ok, reason = gate(judged(candidate=2.8, persistence=4.0, trend=5.0, champion=2.9))
    assert ok and "champion 2.900" in reason

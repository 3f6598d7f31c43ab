"""Relative strength, plateaus and pose quality against hand calculations."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from models.progress import plateaus, pose_quality, relative_strength


def e1rm(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["exercise_id", "day", "e1rm_kg"])


def test_relative_strength_uses_the_latest_mass_on_or_before_the_day():
    daily = e1rm(
        [
            ("bench", date(2024, 1, 5), 120.0),
            ("bench", date(2024, 1, 1), 110.0),
            ("squat", date(2024, 2, 1), 160.0),
            ("bench", date(2023, 12, 1), 100.0),  # before any measurement
        ]
    )
    mass = pd.DataFrame(
        {
            "measured_on": [date(2024, 1, 1), date(2024, 1, 20), date(2024, 1, 25)],
            "body_mass_kg": [80.0, float("nan"), 82.0],
        }
    )
    out = relative_strength(daily, mass)
    assert out["relative_strength"].iloc[0] == pytest.approx(120 / 80)
    assert out["relative_strength"].iloc[1] == pytest.approx(110 / 80)  # same day counts
    assert out["relative_strength"].iloc[2] == pytest.approx(160 / 82)
    assert math.isnan(out["relative_strength"].iloc[3])
    none = relative_strength(daily, mass.iloc[0:0])
    assert none["relative_strength"].isna().all()


def test_plateau_needs_training_without_a_new_best():
    daily = e1rm(
        [
            ("bench", date(2024, 1, 1), 100.0),
            ("bench", date(2024, 1, 15), 110.0),  # last rise
            ("bench", date(2024, 2, 1), 108.0),
            ("bench", date(2024, 3, 1), 110.0),  # equal is not a rise
            ("squat", date(2024, 1, 1), 150.0),  # trained once, then a break: no plateau
            ("row", date(2024, 2, 20), 90.0),
            ("row", date(2024, 3, 5), 95.0),  # rising: no plateau
        ]
    )
    out = plateaus(daily, today=date(2024, 3, 10), weeks=6)
    assert out["exercise_id"].tolist() == ["bench"]
    row = out.iloc[0]
    assert row["best_on"] == date(2024, 1, 15) and row["best_e1rm_kg"] == 110.0
    assert row["sessions_since"] == 2
    assert row["weeks_without_gain"] == pytest.approx(
        (date(2024, 3, 10) - date(2024, 1, 15)).days / 7
    )
    assert plateaus(daily, today=date(2024, 2, 20), weeks=6).empty  # 5 weeks: not yet


def test_pose_quality_by_week():
    sets = pd.DataFrame(
        {
            "exercise_id": ["squat"] * 4,
            "day": [date(2024, 1, 1), date(2024, 1, 3), date(2024, 1, 3), date(2024, 1, 8)],
            "set_type": ["working", "working", "warmup", "working"],
            "reps": [5, 5, 10, 5],
            "detected_reps": [5, 4, 10, float("nan")],
            "form_score": [0.9, 0.7, 0.5, 0.8],
        }
    )
    out = pose_quality(sets).set_index("week_start")
    week1 = out.loc[date(2024, 1, 1)]
    assert week1["pose_sets"] == 2
    assert week1["mean_form_score"] == pytest.approx((0.9 + 0.7) / 2)
    assert week1["rep_discrepancy"] == pytest.approx(((5 - 5) + (4 - 5)) / 2)
    week2 = out.loc[date(2024, 1, 8)]
    assert week2["mean_form_score"] == pytest.approx(0.8) and math.isnan(week2["rep_discrepancy"])

"""Muscle-group balance against hand counts: weekly fractional sets and volume per group
(``models.analytics.strength.muscle_weeks`` through the engine's ``muscles`` frame) and
the push/pull and upper/lower ratios (``models.analytics.balance.ratios``)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.analytics.balance import ratios
from tests.support.lifts import lift, run, session, weeks

BENCH = (["chest"], ["front_delts", "triceps"])
ROW = (["upper_back", "lats"], ["biceps", "rear_delts"])
SQUAT = (["quads", "glutes"], ["hamstrings"])
MUSCLES = {"bench": BENCH, "row": ROW, "squat": SQUAT}


def week_of(muscles: pd.DataFrame, monday: date) -> pd.DataFrame:
    return muscles[muscles["week_start"] == pd.Timestamp(monday)].set_index("muscle")


def test_primary_sets_count_one_and_secondary_half() -> None:
    result = run(
        [
            session("a", date(2024, 1, 1), lift("bench", 100.0, 5)),
            session("b", date(2024, 1, 3), lift("bench", 100.0, 5),
                    lift("bench", 60.0, 10, "warmup")),  # never counts
            session("c", date(2024, 1, 7), lift("row", 80.0, 8)),  # Sunday: same ISO week
            session("d", date(2024, 1, 8), lift("squat", 140.0, 3)),  # Monday: next week
        ],
        muscles=MUSCLES,
    )  # fmt: skip
    week1 = week_of(result.muscles, date(2024, 1, 1))
    assert week1.loc["chest", "sets"] == 2.0 and week1.loc["triceps", "sets"] == 1.0
    assert week1.loc["chest", "volume_load_kg"] == 2 * 100 * 5
    assert week1.loc["triceps", "volume_load_kg"] == 0.5 * 2 * 100 * 5
    assert week1.loc["lats", "sets"] == 1.0 and week1.loc["biceps", "sets"] == 0.5
    week2 = week_of(result.muscles, date(2024, 1, 8))
    assert set(week2.index) == {"quads", "glutes", "hamstrings"}
    assert week2.loc["hamstrings", "volume_load_kg"] == 0.5 * 140 * 3


def test_assisted_sets_count_as_sets_but_add_no_muscle_volume() -> None:
    # Production: an assisted set's weight is help, so it adds 0 kg to its muscle groups
    # (as to the weekly volume); the old muscle_volume added weight × reps.
    result = run([session("a", date(2024, 1, 1), lift("assisted_dip", 30.0, 6))])
    week = week_of(result.muscles, date(2024, 1, 1))
    assert week.loc["triceps", "sets"] == 1.0 and week.loc["chest", "sets"] == 0.5
    assert week["volume_load_kg"].tolist() == [0.0, 0.0]


def test_push_pull_and_upper_lower() -> None:
    push = 1 + 0.5 + 0.5  # chest, front delts, triceps
    pull = 1 + 1 + 0.5 + 0.5  # upper back, lats, biceps, rear delts
    upper = push + pull
    lower = 1 + 1 + 0.5
    result = run(
        [
            session("a", date(2024, 1, 1), lift("bench", 100.0, 5)),
            session("b", date(2024, 1, 2), lift("row", 80.0, 8)),
            session("c", date(2024, 1, 3), lift("squat", 140.0, 3)),
        ],
        muscles=MUSCLES,
    )
    out = ratios(result.muscles["muscle"], result.muscles["sets"])
    assert out["push_pull"][0] == pytest.approx(push / pull)
    assert out["upper_lower"][0] == pytest.approx(upper / lower)
    week = weeks(result).iloc[0]  # the engine's weekly summary carries the same ratios
    assert week["push_pull"] == pytest.approx(push / pull)
    assert week["upper_lower"] == pytest.approx(upper / lower)
    only_push = run([session("a", date(2024, 1, 1), lift("bench", 1.0, 1))], muscles=MUSCLES)
    assert np.isnan(ratios(only_push.muscles["muscle"], only_push.muscles["sets"])["push_pull"][0])


def test_ratios_per_group_of_rows() -> None:
    muscles = ["chest", "lats", "quads", "chest", "triceps", "hamstrings"]
    sets = [2.0, 4.0, 3.0, 1.0, 0.5, 1.0]
    out = ratios(muscles, sets, np.array([0, 0, 0, 1, 1, 1]), 3)
    np.testing.assert_allclose(out["push_pull"], [2 / 4, np.nan, np.nan])
    np.testing.assert_allclose(out["upper_lower"], [(2 + 4) / 3, (1 + 0.5) / 1, np.nan])

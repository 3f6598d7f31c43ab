"""Prescriptions (``models.coaching.prescription``): plates in kg and lb, the ceiling
over the best recent set, and sets from the RTS chart. Expected weights by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.coaching.prescription import (
    Scheme,
    plate_step,
    round_weight,
    scheme,
    sets_for,
    to_kg,
    to_unit,
)

LB = 0.45359237  # kg per international pound


def test_units_convert_by_the_international_pound() -> None:
    assert to_unit(LB * 225, "lb") == pytest.approx(225.0)
    assert to_kg(225.0, "lb") == pytest.approx(102.0582833)
    assert to_unit(100.0, "kg") == 100.0 and to_kg(100.0, "kg") == 100.0


@pytest.mark.parametrize(
    ("kg", "unit", "step", "want"),
    [
        (101.2, "kg", 2.5, 100.0),  # 40.48 steps → 40
        (101.3, "kg", 2.5, 102.5),  # 40.52 → 41
        (101.3, "kg", 1.25, 101.25),  # 81.04 → 81
        (100.0, "lb", 5.0, 220.0),  # 220.46 lb → 44.09 steps → 44
        (102.5, "lb", 5.0, 225.0),  # 225.97 lb → 45.19 → 45
        (102.5, "lb", 2.5, 225.0),  # 90.39 → 90
        (0.4, "kg", 2.5, 2.5),  # never below one step
        (0.4, "lb", 5.0, 5.0),
    ],
)
def test_round_weight_to_the_plates(kg: float, unit: str, step: float, want: float) -> None:
    assert round_weight(kg, unit, step) == want


def test_round_weight_steps_down_rather_than_pass_the_ceiling() -> None:
    # nearest 102.5 would pass 102 → the step below, 100
    assert round_weight(103.0, "kg", 2.5, ceiling_kg=102.0) == 100.0
    # nearest 102.5 is the ceiling itself: allowed
    assert round_weight(103.0, "kg", 2.5, ceiling_kg=102.5) == 102.5
    # lb: 102.5 kg → 225.97 lb → nearest 225 lb = 102.06 kg ≤ 102.1: kept
    assert round_weight(102.5, "lb", 5.0, ceiling_kg=102.1) == 225.0
    # ceiling 101.9 kg = 224.65 lb: 225 passes → 220
    assert round_weight(102.5, "lb", 5.0, ceiling_kg=101.9) == 220.0


def test_plate_step_defaults_to_standard_plates() -> None:
    assert plate_step([], "kg") == 2.5
    assert plate_step([], "lb") == 5.0
    assert plate_step([100.0], "kg") == 2.5
    assert plate_step([100.0, 110.0, 120.0], "kg") == 2.5  # a 10 kg step: plates win


def test_plate_step_finds_micro_plates_in_the_history() -> None:
    assert plate_step([100.0, 101.25, 102.5, np.nan, 0.0], "kg") == 1.25
    assert plate_step([60.0, 61.0, 62.0], "kg") == 1.0
    # lb: weights logged in lb arrive as kg; 225 → 227.5 lb is a 2.5 lb step
    assert plate_step([225 * LB, 227.5 * LB, 235 * LB], "lb") == 2.5


def test_plate_step_ignores_steps_below_half_a_kg_or_one_lb() -> None:
    # 0.25 kg apart: a typo or a conversion artefact, not a plate → standard plates
    assert plate_step([100.0, 100.25], "kg") == 2.5
    # 0.5 lb apart (in lb) → 5 lb
    assert plate_step([225 * LB, 225.5 * LB], "lb") == 5.0
    # exactly at the floors: kept
    assert plate_step([100.0, 100.5], "kg") == 0.5
    assert plate_step([225 * LB, 226 * LB], "lb") == 1.0


def test_scheme_takes_medians_and_defaults_rpe_to_8() -> None:
    usual = scheme([5, 5, 3], [3, 4, 4], [np.nan, np.nan, np.nan])
    assert usual == Scheme(reps=5, sets=4, rpe=8.0)
    # RPE 8.7 → nearest half point 8.5; reps clipped to 12
    assert scheme([15, 20, 14], [2, 2, 2], [8.5, 8.7, 9.0]) == Scheme(reps=12, sets=2, rpe=8.5)


def test_sets_follow_the_rts_chart() -> None:
    # 5 reps @ RPE 8 = 81.1 % (§2b); the chart's fit gives 81.24056 %:
    # 150 × 0.8124056 = 121.86 kg → 48.74 steps of 2.5 → 122.5 kg
    sets = sets_for(150.0, Scheme(reps=5, sets=3, rpe=8.0), "kg", 2.5)
    assert len(sets) == 3
    assert sets[0] == {"weight_kg": 122.5, "weight": 122.5, "unit": "kg", "reps": 5,
                       "target_rpe": 8.0}  # fmt: skip
    assert all(s == sets[0] for s in sets)
    # within the table's tolerance: |122.5 − 150 × 0.811| ≤ 150 × 0.006 + half a step
    assert abs(122.5 - 150 * 0.811) <= 150 * 0.006 + 1.25


def test_sets_in_pounds() -> None:
    # 121.86 kg = 268.66 lb → 53.73 steps of 5 → 270 lb = 122.470 kg
    (first, *_) = sets_for(150.0, Scheme(reps=5, sets=2, rpe=8.0), "lb", 5.0)
    assert first["weight"] == 270.0 and first["unit"] == "lb"
    assert first["weight_kg"] == pytest.approx(270 * LB, abs=5e-4)


@pytest.mark.parametrize(
    ("best", "want"),
    [
        (100.0, 105.0),  # ceiling 105.0 = 42 steps: 105 itself
        (108.0, 112.5),  # ceiling 113.4: 45.36 steps → 112.5
        (109.0, 112.5),  # ceiling 114.45: nearest 115 passes it → 112.5
        (130.0, 122.5),  # ceiling 136.5 above the chart's 121.86: the chart's 122.5
    ],
)
def test_never_more_than_5_percent_over_the_best_recent_set(best: float, want: float) -> None:
    (first, *_) = sets_for(150.0, Scheme(reps=5, sets=1, rpe=8.0), "kg", 2.5, best)
    assert first["weight"] == want
    assert first["weight_kg"] <= best * 1.05 + 1e-9


def test_no_forecast_gives_reps_and_rpe_without_weight() -> None:
    for e1rm in (None, math.nan, 0.0):
        sets = sets_for(e1rm, Scheme(reps=8, sets=3, rpe=7.0), "lb", 5.0)
        assert [s["weight"] for s in sets] == [None] * 3
        assert [s["weight_kg"] for s in sets] == [None] * 3
        assert {(s["reps"], s["target_rpe"], s["unit"]) for s in sets} == {(8, 7.0, "lb")}

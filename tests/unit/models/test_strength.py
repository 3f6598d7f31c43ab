"""Unit tests for models.strength. Expected values are worked out by hand from DESIGN §5."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.strength import (
    SET_COLUMNS,
    best_e1rm_by_day,
    brzycki,
    e1rm,
    empty_sets_frame,
    epley,
    rep_max_prs,
    weekly_volume,
)

DAY = dt.date(2024, 6, 12)  # a Wednesday
MORNING = pd.Timestamp("2024-06-12T07:00:00Z")
EVENING = pd.Timestamp("2024-06-12T18:30:00Z")


def make_sets(*rows: dict[str, Any]) -> pd.DataFrame:
    """Build a sets frame; every row defaults to a 100 kg × 5 working strength set."""
    defaults: dict[str, Any] = {
        "workout_id": "w1",
        "exercise_id": "squat",
        "exercise_kind": "strength",
        "day": DAY,
        "performed_at": MORNING,
        "set_type": "working",
        "weight_kg": 100.0,
        "reps": 5.0,
        "rpe": np.nan,
        "rir": np.nan,
    }
    records = []
    for i, row in enumerate(rows):
        record = {**defaults, "set_id": f"s{i}", "position": i, **row}
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=list(SET_COLUMNS))
    return frame.astype({"weight_kg": "float64", "reps": "float64"})


# --------------------------------------------------------------------------- formulas


def test_epley_and_brzycki_by_hand() -> None:
    assert epley(100.0, 5) == pytest.approx(100 * (1 + 5 / 30))
    assert epley(80.0, 10) == pytest.approx(80 * (1 + 10 / 30))
    assert brzycki(100.0, 5) == pytest.approx(100 * 36 / (37 - 5))
    assert brzycki(80.0, 10) == pytest.approx(80 * 36 / (37 - 10))


def test_single_is_the_one_rep_max_exactly() -> None:
    assert epley(142.5, 1) == 142.5
    assert brzycki(142.5, 1) == 142.5


@pytest.mark.parametrize("reps", [0, 0.5, 13, 20, -1, np.nan])
def test_reps_outside_1_to_12_give_nan(reps: float) -> None:
    assert math.isnan(epley(100.0, reps))
    assert math.isnan(brzycki(100.0, reps))


def test_formulas_on_arrays_and_series() -> None:
    got = epley(np.array([100.0, 100.0, 60.0]), np.array([1, 12, 13]))
    np.testing.assert_allclose(got, [100.0, 100 * (1 + 12 / 30), np.nan])
    series = brzycki(pd.Series([100.0, 90.0], index=[10, 20]), 3)
    assert list(series.index) == [10, 20]
    np.testing.assert_allclose(series.to_numpy(), [100 * 36 / 34, 90 * 36 / 34])


# --------------------------------------------------------------------------- e1rm


def test_e1rm_only_for_counted_strength_sets() -> None:
    sets = make_sets(
        {"set_type": "warmup", "weight_kg": 60.0},
        {"set_type": "working"},
        {"set_type": "dropset", "weight_kg": 80.0, "reps": 8.0},
        {"set_type": "failure", "weight_kg": 90.0, "reps": 6.0},
        {"exercise_kind": "bodyweight", "exercise_id": "dip", "weight_kg": 20.0},
        {"exercise_kind": "assisted", "exercise_id": "pullup", "weight_kg": 30.0},
        {"exercise_kind": "timed", "exercise_id": "plank", "weight_kg": 10.0},
        {"exercise_kind": "cardio", "exercise_id": "row"},
        {"weight_kg": 0.0},
        {"weight_kg": np.nan},
        {"reps": 0.0},
        {"reps": np.nan},
        {"reps": 13.0},
    )
    sets.index = pd.Index(range(100, 100 + len(sets)))
    got = e1rm(sets)
    assert got.name == "e1rm_kg"
    assert list(got.index) == list(sets.index)
    expected = [np.nan, 100 * (1 + 5 / 30), 80 * (1 + 8 / 30), 90 * (1 + 6 / 30)]
    expected += [np.nan] * 9
    np.testing.assert_allclose(got.to_numpy(), expected)


def test_e1rm_brzycki() -> None:
    got = e1rm(make_sets({"weight_kg": 120.0, "reps": 3.0}), formula="brzycki")
    assert got.iloc[0] == pytest.approx(120 * 36 / (37 - 3))


def test_rir_adjustment_from_rpe_and_rir() -> None:
    sets = make_sets(
        {"rpe": 8.0},  # RIR = 10 - 8 = 2 → 5 + 2 = 7 effective reps
        {"rpe": 8.0, "rir": 1.0},  # a logged RIR wins over RPE
        {},  # neither: the logged reps
        {"reps": 12.0, "rpe": 7.0},  # 12 + 3 = 15: the 1..12 bound is on logged reps
        {"reps": 13.0, "rpe": 10.0},  # logged 13 is still out
        {"reps": 1.0, "rpe": 10.0},  # 1 + 0 = 1 → the weight itself
        {"reps": 3.0, "rpe": 8.5},  # RIR 1.5 → 4.5 effective reps
    )
    got = e1rm(sets, rir_adjusted=True).to_numpy()
    expected = [
        100 * (1 + 7 / 30),
        100 * (1 + 6 / 30),
        100 * (1 + 5 / 30),
        100 * (1 + 15 / 30),
        np.nan,
        100.0,
        100 * (1 + 4.5 / 30),
    ]
    np.testing.assert_allclose(got, expected)
    plain = e1rm(sets).to_numpy()
    assert plain[0] == pytest.approx(100 * (1 + 5 / 30))
    brz = e1rm(sets, formula="brzycki", rir_adjusted=True).to_numpy()
    assert brz[0] == pytest.approx(100 * 36 / (37 - 7))


def test_rir_adjustment_without_rpe_rir_columns() -> None:
    sets = make_sets({}).drop(columns=["rpe", "rir"])
    assert e1rm(sets, rir_adjusted=True).iloc[0] == pytest.approx(100 * (1 + 5 / 30))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exercise_kind": "yoga"}, "exercise_kind"),
        ({"set_type": "cooldown"}, "set_type"),
        ({"reps": 5.5}, "reps"),
        ({"reps": -1.0}, "reps"),
        ({"weight_kg": -20.0}, "weight_kg"),
        ({"rpe": 11.0}, "rpe"),
        ({"rir": -1.0}, "rir"),
        ({"performed_at": pd.Timestamp("2024-06-12T07:00:00")}, "tz-aware"),
    ],
)
def test_bad_input_raises_value_error(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        e1rm(make_sets(change))


def test_missing_column_and_unknown_formula_raise() -> None:
    with pytest.raises(ValueError, match="missing column"):
        e1rm(make_sets({}).drop(columns=["set_type"]))
    with pytest.raises(ValueError, match="formula"):
        e1rm(make_sets({}), formula="lombardi")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="formula"):
        best_e1rm_by_day(empty_sets_frame(), formula="lander")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- best e1RM


def test_best_e1rm_by_day_tie_goes_to_earliest() -> None:
    sets = make_sets(
        {"workout_id": "evening", "performed_at": EVENING, "position": 0},
        {"workout_id": "morning", "performed_at": MORNING, "position": 1},
        {"workout_id": "morning", "performed_at": MORNING, "position": 0},
        {"workout_id": "morning", "performed_at": MORNING, "position": 2, "weight_kg": 90.0},
    )
    best = best_e1rm_by_day(sets)
    assert len(best) == 1
    row = best.iloc[0]
    assert row["set_id"] == "s2"  # morning workout, position 0
    assert row["workout_id"] == "morning"
    assert row["day"] == DAY
    assert row["e1rm_kg"] == pytest.approx(100 * (1 + 5 / 30))
    assert row["weight_kg"] == 100.0
    assert row["reps"] == 5


def test_best_e1rm_float_rounding_tie_goes_to_earliest() -> None:
    # 80 × (1 + 10/30) and 100 × (1 + 2/30) are both 106 2/3 kg, but differ in the last bit.
    sets = make_sets(
        {"weight_kg": 80.0, "reps": 10.0, "performed_at": MORNING},
        {"weight_kg": 100.0, "reps": 2.0, "performed_at": EVENING, "workout_id": "w2"},
    )
    best = best_e1rm_by_day(sets)
    assert best["set_id"].tolist() == ["s0"]
    assert best["e1rm_kg"].iloc[0] == pytest.approx(80 * (1 + 10 / 30))


def test_best_e1rm_two_workouts_one_day_and_sorting() -> None:
    tuesday = dt.date(2024, 6, 11)
    sets = make_sets(
        {"workout_id": "am", "performed_at": MORNING, "weight_kg": 100.0, "reps": 5.0},
        {"workout_id": "pm", "performed_at": EVENING, "weight_kg": 110.0, "reps": 3.0},
        {"workout_id": "pm", "performed_at": EVENING, "set_type": "warmup", "weight_kg": 200.0},
        {"exercise_id": "bench", "workout_id": "am", "weight_kg": 80.0, "reps": 8.0},
        {
            "exercise_id": "squat",
            "workout_id": "mon",
            "day": tuesday,
            "performed_at": MORNING - pd.Timedelta(days=1),
            "weight_kg": 90.0,
        },
    )
    best = best_e1rm_by_day(sets)
    assert list(best.columns) == [
        "exercise_id",
        "day",
        "e1rm_kg",
        "weight_kg",
        "reps",
        "set_id",
        "workout_id",
    ]
    assert best[["exercise_id", "day"]].values.tolist() == [
        ["bench", DAY],
        ["squat", tuesday],
        ["squat", DAY],
    ]
    np.testing.assert_allclose(
        best["e1rm_kg"].to_numpy(),
        [80 * (1 + 8 / 30), 90 * (1 + 5 / 30), 110 * (1 + 3 / 30)],
    )
    # 110 × 3 = 121 kg beats 100 × 5 = 116.7 kg; the 200 kg warm-up never counts.
    assert best["workout_id"].tolist() == ["am", "mon", "pm"]


def test_best_e1rm_accepts_datetime64_days() -> None:
    sets = make_sets({}, {"weight_kg": 110.0})
    sets["day"] = pd.to_datetime(sets["day"])
    best = best_e1rm_by_day(sets)
    assert best["day"].tolist() == [DAY]
    assert best["set_id"].tolist() == ["s1"]


# --------------------------------------------------------------------------- rep-max PRs


def test_rep_max_heaviest_per_rep_count_ties_earliest() -> None:
    sets = make_sets(
        {"workout_id": "late", "performed_at": EVENING, "weight_kg": 100.0, "reps": 5.0},
        {"workout_id": "early", "performed_at": MORNING, "weight_kg": 100.0, "reps": 5.0},
        {"workout_id": "early", "performed_at": MORNING, "weight_kg": 95.0, "reps": 5.0},
        {"weight_kg": 120.0, "reps": 1.0, "set_type": "failure"},
        {"weight_kg": 130.0, "reps": 1.0, "set_type": "warmup"},
        {"weight_kg": 60.0, "reps": 15.0},
        {"weight_kg": 0.0, "reps": 3.0},
        {"weight_kg": 40.0, "reps": 12.0, "set_type": "dropset"},
    )
    prs = rep_max_prs(sets)
    assert list(prs.columns) == [
        "exercise_id",
        "kind",
        "reps",
        "weight_kg",
        "achieved_on",
        "achieved_at",
        "set_id",
        "workout_id",
    ]
    assert prs["kind"].unique().tolist() == ["rep_max"]
    assert prs["reps"].tolist() == [1, 5, 12]
    assert prs["weight_kg"].tolist() == [120.0, 100.0, 40.0]
    five = prs[prs["reps"] == 5].iloc[0]
    assert five["set_id"] == "s1"
    assert five["workout_id"] == "early"
    assert five["achieved_at"] == MORNING
    assert five["achieved_on"] == DAY


def test_max_reps_for_bodyweight_and_none_for_other_kinds() -> None:
    sets = make_sets(
        {"exercise_id": "pushup", "exercise_kind": "bodyweight", "weight_kg": np.nan, "reps": 20.0},
        {
            "exercise_id": "pushup",
            "exercise_kind": "bodyweight",
            "weight_kg": np.nan,
            "reps": 25.0,
            "performed_at": EVENING,
            "workout_id": "w2",
        },
        {
            "exercise_id": "pushup",
            "exercise_kind": "bodyweight",
            "weight_kg": 0.0,
            "reps": 25.0,
            "performed_at": EVENING + pd.Timedelta(days=1),
            "day": DAY + dt.timedelta(days=1),
            "workout_id": "w3",
        },
        {"exercise_id": "pushup", "exercise_kind": "bodyweight", "set_type": "warmup", "reps": 40},
        {"exercise_id": "pullup", "exercise_kind": "assisted", "weight_kg": 20.0, "reps": 8.0},
        {"exercise_id": "plank", "exercise_kind": "timed", "weight_kg": np.nan, "reps": np.nan},
        {"exercise_id": "run", "exercise_kind": "cardio", "weight_kg": np.nan, "reps": np.nan},
    )
    prs = rep_max_prs(sets)
    assert prs["exercise_id"].tolist() == ["pushup"]
    row = prs.iloc[0]
    assert row["kind"] == "max_reps"
    assert row["reps"] == 25
    assert math.isnan(row["weight_kg"])
    assert row["set_id"] == "s1"  # the first 25, not the one the day after
    assert row["achieved_on"] == DAY


# --------------------------------------------------------------------------- volume


def test_weekly_volume_sunday_and_monday_are_different_iso_weeks() -> None:
    sunday, monday = dt.date(2024, 6, 9), dt.date(2024, 6, 10)
    sets = make_sets(
        {"day": sunday, "weight_kg": 100.0, "reps": 5.0},
        {"day": sunday, "weight_kg": 80.0, "reps": 8.0, "set_type": "dropset"},
        {"day": sunday, "weight_kg": 60.0, "reps": 10.0, "set_type": "warmup"},
        {"day": sunday, "exercise_kind": "bodyweight", "weight_kg": np.nan, "reps": 12.0},
        {"day": monday, "weight_kg": 50.0, "reps": 10.0},
        {"day": monday, "exercise_kind": "assisted", "weight_kg": 30.0, "reps": 6.0},
    )
    vol = weekly_volume(sets)
    assert list(vol.columns) == ["week_start", "volume_load_kg", "sets", "reps"]
    assert vol["week_start"].tolist() == [dt.date(2024, 6, 3), dt.date(2024, 6, 10)]
    # Assisted weight is assistance, not load: the set and its reps count, its kg do not.
    np.testing.assert_allclose(vol["volume_load_kg"], [100 * 5 + 80 * 8 + 0, 50 * 10 + 0])
    assert vol["sets"].tolist() == [3, 2]
    assert vol["reps"].tolist() == [5 + 8 + 12, 10 + 6]


def test_weekly_volume_across_the_year_boundary() -> None:
    sets = make_sets(
        {"day": dt.date(2024, 12, 29), "weight_kg": 100.0, "reps": 3.0},  # Sunday, 2024-W52
        {"day": dt.date(2024, 12, 30), "weight_kg": 100.0, "reps": 5.0},  # Monday, 2025-W01
        {"day": dt.date(2025, 1, 5), "weight_kg": 90.0, "reps": 4.0},  # Sunday, 2025-W01
    )
    vol = weekly_volume(sets)
    assert vol["week_start"].tolist() == [dt.date(2024, 12, 23), dt.date(2024, 12, 30)]
    assert dt.date(2024, 12, 30).isocalendar()[:2] == (2025, 1)
    np.testing.assert_allclose(vol["volume_load_kg"], [100 * 3, 100 * 5 + 90 * 4])
    assert vol["sets"].tolist() == [1, 2]


def test_weekly_volume_ignores_weeks_with_only_warmups() -> None:
    assert weekly_volume(make_sets({"set_type": "warmup"})).empty


# --------------------------------------------------------------------------- empty


def test_empty_input_gives_empty_typed_frames() -> None:
    empty = empty_sets_frame()
    assert list(empty.columns) == list(SET_COLUMNS)
    got = e1rm(empty)
    assert got.empty and got.dtype == np.float64

    best = best_e1rm_by_day(empty)
    assert best.empty
    assert best["e1rm_kg"].dtype == np.float64
    assert best["reps"].dtype == np.int64

    prs = rep_max_prs(empty)
    assert prs.empty
    assert str(prs["achieved_at"].dtype) == "datetime64[ns, UTC]"
    assert prs["reps"].dtype == np.int64

    vol = weekly_volume(empty)
    assert vol.empty
    assert list(vol.columns) == ["week_start", "volume_load_kg", "sets", "reps"]
    assert vol["sets"].dtype == np.int64


def test_no_qualifying_sets_gives_empty_frames_with_same_dtypes() -> None:
    sets = make_sets({"set_type": "warmup"}, {"exercise_kind": "cardio"})
    empty = empty_sets_frame()
    assert best_e1rm_by_day(sets).dtypes.equals(best_e1rm_by_day(empty).dtypes)
    assert rep_max_prs(sets).dtypes.equals(rep_max_prs(empty).dtypes)
    assert best_e1rm_by_day(make_sets({})).dtypes.equals(best_e1rm_by_day(empty).dtypes)


# --------------------------------------------------------------------------- property

_START = pd.Timestamp("2024-03-01T06:00:00Z")

set_rows = st.fixed_dictionaries(
    {
        "exercise_id": st.sampled_from(["squat", "bench"]),
        "exercise_kind": st.sampled_from(["strength", "strength", "bodyweight", "assisted"]),
        "day_offset": st.integers(0, 2),
        "hour": st.integers(0, 2),
        "position": st.integers(0, 3),
        "set_type": st.sampled_from(["working", "warmup", "dropset", "failure"]),
        "weight_kg": st.sampled_from([np.nan, 0.0, 40.0, 80.0, 100.0, 102.5]),
        "reps": st.sampled_from([np.nan, 0.0, 1.0, 2.0, 5.0, 10.0, 12.0, 13.0]),
    }
)


@given(rows=st.lists(set_rows, max_size=12), formula=st.sampled_from(["epley", "brzycki"]))
def test_best_e1rm_is_the_max_per_group(rows: list[dict[str, Any]], formula: str) -> None:
    records = [
        {
            "set_id": str(uuid.UUID(int=i)),
            "workout_id": f"w{r['day_offset']}-{r['hour']}",
            "exercise_id": r["exercise_id"],
            "exercise_kind": r["exercise_kind"],
            "day": dt.date(2024, 3, 1) + dt.timedelta(days=r["day_offset"]),
            "performed_at": _START + pd.Timedelta(days=r["day_offset"], hours=r["hour"]),
            "position": r["position"],
            "set_type": r["set_type"],
            "weight_kg": r["weight_kg"],
            "reps": r["reps"],
            "rpe": np.nan,
            "rir": np.nan,
        }
        for i, r in enumerate(rows)
    ]
    sets = pd.DataFrame.from_records(records, columns=list(SET_COLUMNS)) if records else None
    sets = empty_sets_frame() if sets is None else sets
    sets = sets.astype({"weight_kg": "float64", "reps": "float64"})
    values = e1rm(sets, formula=formula)  # type: ignore[arg-type]

    # The plain loop: the max e1RM per (exercise, day), and the earliest set reaching it.
    best: dict[tuple[str, dt.date], float] = {}
    for (_, row), value in zip(sets.iterrows(), values, strict=True):
        if math.isnan(value):
            continue
        key = (row["exercise_id"], row["day"])
        best[key] = max(best.get(key, -math.inf), value)

    got = best_e1rm_by_day(sets, formula=formula)  # type: ignore[arg-type]
    assert set(zip(got["exercise_id"], got["day"], strict=True)) == set(best)
    for _, row in got.iterrows():
        key = (row["exercise_id"], row["day"])
        assert row["e1rm_kg"] == pytest.approx(best[key], abs=1e-6)
        at_max = [
            (rec["performed_at"], rec["position"], rec["set_id"])
            for rec, value in zip(records, values, strict=True)
            if (rec["exercise_id"], rec["day"]) == key and abs(value - best[key]) <= 1e-6
        ]
        chosen = next(rec for rec in records if rec["set_id"] == row["set_id"])
        assert (chosen["performed_at"], chosen["position"], chosen["set_id"]) == min(at_max)

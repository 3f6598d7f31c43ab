"""e1RM: the formulas, which sets carry one, the RIR adjustment and the best e1RM of a
day (``models.analytics.strength`` and the engine's ``e1rm`` frame). Expected values
are worked out by hand from DESIGN §5."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.analytics import derive
from models.analytics.strength import brzycki, e1rm_eligible, epley, reps_in_reserve, working_sets
from tests.support.derived import inputs
from tests.support.lifts import DAY, EVENING, MORNING, evening_then_morning, lift, run, session

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
def test_reps_outside_1_to_12_are_not_eligible(reps: float) -> None:
    assert not e1rm_eligible(np.array(["strength"]), np.array([100.0]), np.array([reps]))[0]


def test_formulas_do_not_check_the_rep_range_eligibility_does() -> None:
    # Production: the formulas are bare arithmetic and e1rm_eligible keeps 1 ≤ r ≤ 12
    # (the old formulas returned NaN outside the range themselves).
    assert epley(100.0, 13) == pytest.approx(100 * (1 + 13 / 30))
    assert brzycki(100.0, 13) == pytest.approx(100 * 36 / (37 - 13))
    assert epley(100.0, 0) == pytest.approx(100.0)
    assert math.isnan(epley(100.0, np.nan)) and math.isnan(brzycki(100.0, np.nan))


def test_formulas_on_arrays_and_series_return_arrays() -> None:
    got = epley(np.array([100.0, 100.0, 60.0]), np.array([1, 12, 13]))
    np.testing.assert_allclose(got, [100.0, 100 * (1 + 12 / 30), 60 * (1 + 13 / 30)])
    # a Series goes in, a plain array comes out: the index is the caller's to keep
    out = brzycki(pd.Series([100.0, 90.0], index=[10, 20]), 3)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, [100 * 36 / 34, 90 * 36 / 34])


# --------------------------------------------------------------------------- which sets


def test_e1rm_only_for_counted_strength_sets() -> None:
    rows = [
        ("warmup", "strength", 60.0, 5.0),
        ("working", "strength", 100.0, 5.0),
        ("dropset", "strength", 80.0, 8.0),
        ("failure", "strength", 90.0, 6.0),
        ("working", "bodyweight", 20.0, 5.0),
        ("working", "assisted", 30.0, 5.0),
        ("working", "timed", 10.0, 5.0),
        ("working", "cardio", 100.0, 5.0),
        ("working", "strength", 0.0, 5.0),
        ("working", "strength", np.nan, 5.0),
        ("working", "strength", 100.0, 0.0),
        ("working", "strength", 100.0, np.nan),
        ("working", "strength", 100.0, 13.0),
    ]
    sets = pd.DataFrame(rows, columns=["set_type", "exercise_kind", "weight_kg", "reps"])
    sets.index = pd.Index(range(100, 100 + len(sets)))
    work = working_sets(sets)
    assert list(work.index) == list(range(101, 113))  # the warm-up is gone
    w, r = work["weight_kg"].to_numpy(), work["reps"].to_numpy()
    got = np.where(e1rm_eligible(work["exercise_kind"].to_numpy(), w, r), epley(w, r), np.nan)
    expected = [100 * (1 + 5 / 30), 80 * (1 + 8 / 30), 90 * (1 + 6 / 30)] + [np.nan] * 9
    np.testing.assert_allclose(got, expected)


def test_e1rm_brzycki_is_the_days_best_brzycki() -> None:
    result = run([session("w", DAY, lift("squat", 120.0, 3))])
    assert result.e1rm["brzycki_kg"].iloc[0] == pytest.approx(120 * 36 / (37 - 3))


# --------------------------------------------------------------------------- RIR


def test_rir_adjustment_from_rpe_and_rir() -> None:
    # (reps, rpe, rir) of 100 kg sets
    rows = [
        (5.0, 8.0, np.nan),  # RIR = 10 - 8 = 2 → 5 + 2 = 7 effective reps
        (5.0, 8.0, 1.0),  # a logged RIR wins over RPE
        (12.0, 7.0, np.nan),  # 12 + 3 = 15: the 1..12 bound is on logged reps
        (13.0, 10.0, np.nan),  # logged 13 is still out
        (1.0, 10.0, np.nan),  # 1 + 0 = 1 → the weight itself
        (3.0, 8.5, np.nan),  # RIR 1.5 → 4.5 effective reps
    ]
    r, rpe, rir = (np.array(c) for c in zip(*rows, strict=True))
    w = np.full(len(r), 100.0)
    ok = e1rm_eligible(np.full(len(r), "strength"), w, r)
    got = np.where(ok, epley(w, r + reps_in_reserve(rir, rpe)), np.nan)
    expected = [
        100 * (1 + 7 / 30),
        100 * (1 + 6 / 30),
        100 * (1 + 15 / 30),
        np.nan,
        100.0,
        100 * (1 + 4.5 / 30),
    ]
    np.testing.assert_allclose(got, expected)
    assert epley(w, r)[0] == pytest.approx(100 * (1 + 5 / 30))
    assert brzycki(100.0, 5 + reps_in_reserve(np.nan, 8.0)) == pytest.approx(100 * 36 / (37 - 7))


def test_rir_adjusted_e1rm_without_rpe_or_rir_is_unknown_not_rir_0() -> None:
    # Production: no RPE and no RIR means the RIR is unknown (NaN), never 0; the old
    # per-set e1rm(rir_adjusted=True) fell back to the plain Epley.
    assert math.isnan(reps_in_reserve(np.nan, np.nan))
    result = run(
        [
            session("mixed", DAY, lift("squat", 100.0, 5), lift("squat", 100.0, 5, rpe=8.0)),
            session("plain", DAY + dt.timedelta(days=1), lift("squat", 100.0, 5)),
        ]
    )
    days = result.e1rm.sort_values("day")
    # the day's RIR-adjusted e1RM is the best over the sets that have one
    assert days["e1rm_rir_kg"].iloc[0] == pytest.approx(100 * (1 + 7 / 30))
    assert math.isnan(days["e1rm_rir_kg"].iloc[1])  # no set with one: none
    assert days["e1rm_kg"].tolist() == pytest.approx([100 * (1 + 5 / 30)] * 2)


def test_rir_adjusted_e1rm_without_rpe_rir_columns_is_unknown() -> None:
    # The old e1rm took a frame without rpe/rir as "plain Epley"; the engine reads the
    # missing columns as unknown.
    frames = inputs([session("w", DAY, lift("squat", 100.0, 5))])
    frames.sets = frames.sets.drop(columns=["rpe", "rir"])
    e1rm = derive(frames).e1rm
    assert math.isnan(e1rm["e1rm_rir_kg"].iloc[0])
    assert e1rm["e1rm_kg"].iloc[0] == pytest.approx(100 * (1 + 5 / 30))


# --------------------------------------------------------------------------- best e1RM


def test_best_e1rm_by_day_tie_goes_to_earliest() -> None:
    morning = [lift("squat", 100.0, 5), lift("squat", 100.0, 5), lift("squat", 90.0, 5)]
    result = run(evening_then_morning([lift("squat", 100.0, 5)], morning))
    assert len(result.e1rm) == 1
    row = result.e1rm.iloc[0]
    assert row["set_id"] == "morning-0"  # morning workout, position 0
    assert row["workout_id"] == "morning"
    assert row["day"] == pd.Timestamp(DAY)
    assert row["e1rm_kg"] == pytest.approx(100 * (1 + 5 / 30))
    assert row["weight_kg"] == 100.0
    assert row["reps"] == 5


def test_best_e1rm_float_rounding_tie_goes_to_earliest() -> None:
    # 80 × (1 + 10/30) and 100 × (1 + 2/30) are both 106 2/3 kg, but differ in the last bit.
    result = run(
        [
            session("w1", DAY, lift("squat", 80.0, 10), hour=MORNING),
            session("w2", DAY, lift("squat", 100.0, 2), hour=EVENING),
        ]
    )
    assert result.e1rm["set_id"].tolist() == ["w1-0"]
    assert result.e1rm["e1rm_kg"].iloc[0] == pytest.approx(80 * (1 + 10 / 30))


def test_best_e1rm_two_workouts_one_day_per_exercise() -> None:
    tuesday = dt.date(2024, 6, 11)
    result = run(
        [
            session("am", DAY, lift("squat", 100.0, 5), lift("bench", 80.0, 8), hour=MORNING),
            session(
                "pm", DAY, lift("squat", 110.0, 3), lift("squat", 200.0, 5, "warmup"), hour=EVENING
            ),
            session("mon", tuesday, lift("squat", 90.0, 5), hour=MORNING),
        ]
    )
    # rows come in the engine's code order: the test sorts them
    best = result.e1rm.sort_values(["exercise_id", "day"]).reset_index(drop=True)
    assert best[["exercise_id", "day"]].values.tolist() == [
        ["bench", pd.Timestamp(DAY)],
        ["squat", pd.Timestamp(tuesday)],
        ["squat", pd.Timestamp(DAY)],
    ]
    np.testing.assert_allclose(
        best["e1rm_kg"].to_numpy(),
        [80 * (1 + 8 / 30), 90 * (1 + 5 / 30), 110 * (1 + 3 / 30)],
    )
    # 110 × 3 = 121 kg beats 100 × 5 = 116.7 kg; the 200 kg warm-up never counts.
    assert best["workout_id"].tolist() == ["am", "mon", "pm"]


def test_best_e1rm_days_are_datetime64_local_midnights() -> None:
    result = run([session("w", DAY, lift("squat", 100.0, 5), lift("squat", 110.0, 5))])
    assert result.e1rm["day"].dtype == "datetime64[ns]"
    assert result.e1rm["day"].tolist() == [pd.Timestamp(DAY)]
    assert result.e1rm["set_id"].tolist() == ["w-1"]


# --------------------------------------------------------------------------- property

set_rows = st.tuples(
    st.sampled_from(["squat", "bench", "pullup", "assisted_dip"]),
    st.sampled_from(["working", "warmup", "dropset", "failure"]),
    st.sampled_from([None, 0.0, 40.0, 80.0, 100.0, 102.5]),
    st.sampled_from([None, 0, 1, 2, 5, 10, 12, 13]),
)
workout_rows = st.tuples(st.integers(0, 2), st.integers(0, 2), st.lists(set_rows, max_size=4))


def _tie(set_id: str) -> int:
    return int(pd.util.hash_array(np.array([set_id], dtype=object))[0])


@given(rows=st.lists(workout_rows, max_size=5))
def test_best_e1rm_is_the_max_per_group(
    rows: list[tuple[int, int, list[tuple[str, str, float | None, int | None]]]],
) -> None:
    workouts = [
        session(f"w{i}", dt.date(2024, 3, 1) + dt.timedelta(days=offset),
                *(lift(e, w, r, t) for e, t, w, r in sets), hour=6.0 + hour)
        for i, (offset, hour, sets) in enumerate(rows)
    ]  # fmt: skip
    # The plain loop: the max Epley per (exercise, day), the earliest set reaching it,
    # and the max Brzycki (which may be another set's).
    found: dict[tuple[str, dt.date], list[tuple[float, tuple[object, ...], str]]] = {}
    brzyckis: dict[tuple[str, dt.date], float] = {}  # the day's best Brzycki, any set
    for wk in workouts:
        for pos, (exercise, set_type, w, r, *_) in enumerate(wk["sets"]):
            strength = exercise in ("squat", "bench")
            if set_type == "warmup" or not strength or not w or r is None or not 1 <= r <= 12:
                continue
            set_id = f"{wk['id']}-{pos}"
            value = w * (1 + r / 30) if r != 1 else w
            key = (wk["hour"], pos, _tie(set_id))
            found.setdefault((exercise, wk["day"]), []).append((value, key, set_id))
            by_brzycki = w * 36 / (37 - r) if r != 1 else w
            brzyckis[(exercise, wk["day"])] = max(
                brzyckis.get((exercise, wk["day"]), 0.0), by_brzycki
            )
    got = run(workouts).e1rm if workouts else None
    if not found:
        assert got is None or got.empty
        return
    assert got is not None
    assert {(e, d.date()) for e, d in zip(got["exercise_id"], got["day"], strict=True)} == set(
        found
    )
    for _, row in got.iterrows():
        candidates = found[(row["exercise_id"], row["day"].date())]
        best = max(value for value, _, _ in candidates)
        assert row["e1rm_kg"] == pytest.approx(best, abs=1e-6)
        assert row["brzycki_kg"] == pytest.approx(brzyckis[(row["exercise_id"], row["day"].date())])
        earliest = min((key, set_id) for value, key, set_id in candidates if best - value <= 1e-6)
        assert row["set_id"] == earliest[1]

"""CTL/ATL/TSB, ACWR, ramp rate, monotony and strain against hand calculations
(``models.analytics.training_load`` and the engine's ``daily`` and ``periods`` frames)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.analytics.training_load import monotony, series_by_athlete
from tests.support.lifts import run, session, weeks


def series(loads: list[float], start: date = date(2024, 1, 1)) -> pd.DataFrame:
    """One athlete's load series over consecutive days from ``start``."""
    days = pd.date_range(start, periods=len(loads), freq="D")
    return series_by_athlete(pd.DataFrame({"user_id": "athlete", "date": days, "load": loads}))


def rated(workout_id: str, day: date, rpe: float, minutes: float) -> dict[str, object]:
    """A workout whose load is its sRPE: ``rpe × minutes`` AU (Foster 2001)."""
    return session(workout_id, day, duration_s=minutes * 60, session_rpe=rpe)


def test_two_sessions_add_up_and_rest_days_are_zero() -> None:
    daily = run(
        [
            rated("a", date(2024, 1, 1), 5.0, 6),  # 30 AU
            rated("b", date(2024, 1, 1), 5.0, 4),  # 20 AU
            rated("c", date(2024, 1, 4), 7.0, 10),  # 70 AU
        ]
    ).daily
    assert daily["load"].tolist() == [50.0, 0.0, 0.0, 70.0]
    assert daily["sessions"].tolist() == [2, 0, 0, 1]
    # the calendar runs from the first to the last training day (the old daily_loads
    # could pad it with start/end; the engine has no such option)
    assert daily["date"].tolist() == list(pd.date_range("2024-01-01", "2024-01-04"))


def test_ctl_atl_tsb_by_the_recursion() -> None:
    loads = [100.0, 0.0, 50.0]
    out = series(loads)
    a42, a7 = 1 - math.exp(-1 / 42), 1 - math.exp(-1 / 7)
    ctl, atl = [], []
    c = a = 0.0
    for load in loads:
        c += (load - c) * a42
        a += (load - a) * a7
        ctl.append(c)
        atl.append(a)
    assert out["ctl"].tolist() == pytest.approx(ctl)
    assert out["atl"].tolist() == pytest.approx(atl)
    # TSB is the form going into the day: yesterday's CTL − ATL.
    assert out["tsb"].tolist() == pytest.approx([0.0, ctl[0] - atl[0], ctl[1] - atl[1]])
    assert ctl[0] == pytest.approx(100 * (1 - math.exp(-1 / 42)))  # 2.35 AU


def test_rolling_acwr_is_coupled_and_waits_for_28_days() -> None:
    loads = [10.0] * 21 + [40.0] * 7  # a jump in the last week
    out = series(loads)
    assert out["acwr_rolling"].iloc[:27].isna().all()
    assert out["acwr_rolling"].iloc[27] == pytest.approx(40 / ((21 * 10 + 7 * 40) / 28))
    assert bool(out["acwr_high"].iloc[27]) is True  # 2.29 > 1.5
    zero = series([0.0] * 30)
    assert zero["acwr_rolling"].isna().all() and zero["acwr_ewma"].isna().all()


def test_ewma_acwr_uses_spans_not_time_constants() -> None:
    out = series([100.0, 0.0])
    la, lc = 2 / 8, 2 / 29
    acute = [100 * la, 100 * la * (1 - la)]
    chronic = [100 * lc, 100 * lc * (1 - lc)]
    assert out["acwr_ewma"].tolist() == pytest.approx(
        [acute[0] / chronic[0], acute[1] / chronic[1]]
    )


def test_ramp_rate_is_ctl_change_over_seven_days() -> None:
    out = series([50.0] * 10)
    assert out["ramp_rate"].iloc[:7].isna().all()
    assert out["ramp_rate"].iloc[9] == pytest.approx(out["ctl"].iloc[9] - out["ctl"].iloc[2])


def test_monotony_and_strain_of_a_complete_iso_week() -> None:
    # 2024-01-01 is a Monday: 100, 0, 100, 0, 100, 0, 50 AU
    loads = [100.0, 0.0, 100.0, 0.0, 100.0, 0.0, 50.0]
    mean, sd = np.mean(loads), np.std(loads)  # population SD
    got = monotony(np.zeros(7, dtype=np.int64), np.array(loads), 1)
    assert got[0] == pytest.approx(mean / sd)
    workouts = [
        rated(f"d{i}", date(2024, 1, 1) + timedelta(days=i), load / 10, 10)
        for i, load in enumerate(loads)
        if load
    ]
    week = weeks(run(workouts)).iloc[0]
    assert week["start"] == pd.Timestamp(2024, 1, 1)
    assert week["load"] == 350.0
    assert week["monotony"] == pytest.approx(mean / sd)
    assert week["strain"] == pytest.approx(350 * mean / sd)
    flat = monotony(np.zeros(7, dtype=np.int64), np.full(7, 30.0), 1)
    assert math.isnan(flat[0])  # SD 0: monotony undefined


def test_monotony_counts_a_weeks_missing_days_as_rest() -> None:
    # Production: a week the series covers only partly still has a monotony, its days
    # without a row being rest (load 0); the old weekly_monotony left such weeks out.
    loads = [100.0, 0.0, 100.0, 0.0, 100.0, 0.0, 50.0, 80.0, 80.0]  # Mon 1 Jan … Tue 9 Jan
    codes = np.array([0] * 7 + [1] * 2)
    got = monotony(codes, np.array(loads), 2)
    second = [80.0, 80.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert got[1] == pytest.approx(np.mean(second) / np.std(second))  # 0.632
    assert got[0] == pytest.approx(np.mean(loads[:7]) / np.std(loads[:7]))
    workouts = [
        rated(f"d{i}", date(2024, 1, 1) + timedelta(days=i), load / 10, 10)
        for i, load in enumerate(loads)
        if load
    ]
    summary = weeks(run(workouts))
    assert summary["start"].tolist() == [pd.Timestamp(2024, 1, 1), pd.Timestamp(2024, 1, 8)]
    assert summary["monotony"].iloc[1] == pytest.approx(np.mean(second) / np.std(second))
    assert summary["strain"].iloc[1] == pytest.approx(160 * np.mean(second) / np.std(second))
    # a calendar starting on a Thursday: Monday–Wednesday are rest days of that week
    late = weeks(run([rated("t", date(2024, 1, 4), 5.0, 6), rated("s", date(2024, 1, 7), 5.0, 6)]))
    week = [0.0, 0.0, 0.0, 30.0, 0.0, 0.0, 30.0]
    assert late["monotony"].iloc[0] == pytest.approx(np.mean(week) / np.std(week))


def test_empty_input() -> None:
    empty = pd.DataFrame({"user_id": [], "date": pd.to_datetime([]), "load": []})
    assert series_by_athlete(empty).empty
    assert monotony(np.array([], dtype=np.int64), np.array([]), 0).size == 0
    assert run([]).daily.empty


@given(st.lists(st.floats(min_value=0, max_value=2000, allow_nan=False), min_size=1, max_size=80))
def test_the_vectorised_series_equals_a_plain_loop(loads: list[float]) -> None:
    out = series(loads)
    c = a = 0.0
    for i, load in enumerate(loads):
        tsb = c - a
        c += (load - c) * (1 - math.exp(-1 / 42))
        a += (load - a) * (1 - math.exp(-1 / 7))
        assert out["ctl"].iloc[i] == pytest.approx(c, abs=1e-9)
        assert out["atl"].iloc[i] == pytest.approx(a, abs=1e-9)
        assert out["tsb"].iloc[i] == pytest.approx(tsb, abs=1e-9)

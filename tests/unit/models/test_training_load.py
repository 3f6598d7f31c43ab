"""CTL/ATL/TSB, ACWR, ramp rate, monotony and strain against hand calculations."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.training_load import daily_loads, load_series, weekly_monotony


def series(loads: list[float], start: date = date(2024, 1, 1)) -> pd.Series:
    days = [start + timedelta(days=i) for i in range(len(loads))]
    return daily_loads(pd.DataFrame({"day": days, "load": loads}))


def test_two_sessions_add_up_and_rest_days_are_zero():
    sessions = pd.DataFrame(
        {
            "day": [date(2024, 1, 1), date(2024, 1, 1), date(2024, 1, 4)],
            "load": [30.0, 20.0, 70.0],
        }
    )
    daily = daily_loads(sessions)
    assert daily.tolist() == [50.0, 0.0, 0.0, 70.0]
    padded = daily_loads(sessions, start=date(2023, 12, 30), end=date(2024, 1, 5))
    assert padded.tolist() == [0.0, 0.0, 50.0, 0.0, 0.0, 70.0, 0.0]


def test_ctl_atl_tsb_by_the_recursion():
    loads = [100.0, 0.0, 50.0]
    out = load_series(series(loads))
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


def test_rolling_acwr_is_coupled_and_waits_for_28_days():
    loads = [10.0] * 21 + [40.0] * 7  # a jump in the last week
    out = load_series(series(loads))
    assert out["acwr_rolling"].iloc[:27].isna().all()
    assert out["acwr_rolling"].iloc[27] == pytest.approx(40 / ((21 * 10 + 7 * 40) / 28))
    assert bool(out["acwr_high"].iloc[27]) is True  # 2.29 > 1.5
    zero = load_series(series([0.0] * 30))
    assert zero["acwr_rolling"].isna().all() and zero["acwr_ewma"].isna().all()


def test_ewma_acwr_uses_spans_not_time_constants():
    out = load_series(series([100.0, 0.0]))
    la, lc = 2 / 8, 2 / 29
    acute = [100 * la, 100 * la * (1 - la)]
    chronic = [100 * lc, 100 * lc * (1 - lc)]
    assert out["acwr_ewma"].tolist() == pytest.approx(
        [acute[0] / chronic[0], acute[1] / chronic[1]]
    )


def test_ramp_rate_is_ctl_change_over_seven_days():
    out = load_series(series([50.0] * 10))
    assert out["ramp_rate"].iloc[:7].isna().all()
    assert out["ramp_rate"].iloc[9] == pytest.approx(out["ctl"].iloc[9] - out["ctl"].iloc[2])


def test_monotony_and_strain_for_complete_iso_weeks():
    # 2024-01-01 is a Monday; the series runs into the next week for 2 days only.
    loads = [100.0, 0.0, 100.0, 0.0, 100.0, 0.0, 50.0, 80.0, 80.0]
    weeks = weekly_monotony(series(loads))
    assert weeks["week_start"].tolist() == [date(2024, 1, 1)]
    week = loads[:7]
    mean, sd = np.mean(week), np.std(week)  # population SD
    assert weeks["load"].iloc[0] == 350.0
    assert weeks["monotony"].iloc[0] == pytest.approx(mean / sd)
    assert weeks["strain"].iloc[0] == pytest.approx(350 * mean / sd)
    flat = weekly_monotony(series([30.0] * 7))
    assert math.isnan(flat["monotony"].iloc[0])  # SD 0: monotony undefined


def test_empty_input():
    empty = daily_loads(pd.DataFrame({"day": [], "load": []}))
    assert empty.empty and load_series(empty).empty and weekly_monotony(empty).empty


@given(st.lists(st.floats(min_value=0, max_value=2000, allow_nan=False), min_size=1, max_size=80))
def test_the_vectorised_series_equals_a_plain_loop(loads):
    out = load_series(series(loads))
    c = a = 0.0
    for i, load in enumerate(loads):
        tsb = c - a
        c += (load - c) * (1 - math.exp(-1 / 42))
        a += (load - a) * (1 - math.exp(-1 / 7))
        assert out["ctl"].iloc[i] == pytest.approx(c, abs=1e-9)
        assert out["atl"].iloc[i] == pytest.approx(a, abs=1e-9)
        assert out["tsb"].iloc[i] == pytest.approx(tsb, abs=1e-9)

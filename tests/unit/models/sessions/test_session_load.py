"""Load figures computed by hand from the published formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.sessions.load import (
    FALLBACK_DELTA_HR,
    Physiology,
    session_load,
    srpe_load,
    tanaka_hr_max,
    trimp_from_average,
    trimp_from_stream,
)

KNOWN = Physiology(hr_rest=50, hr_max=190, sex="male", age_years=30)


def test_trimp_from_average_by_hand():
    # ΔHR = (155 − 50) / (190 − 50) = 0.75
    value, flags = trimp_from_average(60, 155, KNOWN)
    assert value == pytest.approx(60 * 0.75 * 0.64 * math.exp(1.92 * 0.75))
    assert flags == []
    women, _ = trimp_from_average(60, 155, Physiology(50, 190, "female", 30))
    assert women == pytest.approx(60 * 0.75 * 0.86 * math.exp(1.67 * 0.75))


def test_unknowns_are_assumed_and_flagged():
    value, flags = trimp_from_average(30, 150, Physiology(age_years=40))
    hr_max = 208 - 0.7 * 40
    delta = (150 - 60) / (hr_max - 60)
    assert value == pytest.approx(30 * delta * 0.64 * math.exp(1.92 * delta))
    assert flags == ["hr_rest_assumed", "hr_max_assumed", "sex_assumed"]
    assert tanaka_hr_max(20) == pytest.approx(194.0)


def test_stream_sums_intervals_and_skips_gaps_and_missing_hr():
    t = np.array([0, 60, 120, 300, 360], dtype=float)  # 120 → 300 is a 3-minute gap
    hr = np.array([120, 162, np.nan, 190, 190], dtype=float)
    value, _ = trimp_from_stream(t, hr, KNOWN)

    def w(h):
        d = (h - 50) / 140
        return d * 0.64 * math.exp(1.92 * d)

    assert value == pytest.approx(1 * w(120) + 1 * w(162) + 1 * w(190))


def test_delta_hr_is_clipped_to_zero_and_one():
    below, _ = trimp_from_average(10, 40, KNOWN)
    above, _ = trimp_from_average(10, 230, KNOWN)
    assert below == 0.0
    assert above == pytest.approx(10 * 1.0 * 0.64 * math.exp(1.92))


def test_session_load_prefers_hr_then_srpe_then_fallback():
    assert srpe_load(7, 45) == 315
    with_hr = session_load(minutes=60, who=KNOWN, hr_avg=155, session_rpe=7)
    assert (with_hr.method, with_hr.srpe_load) == ("trimp", 420)
    assert with_hr.load == pytest.approx(60 * 0.75 * 0.64 * math.exp(1.92 * 0.75))
    only_rpe = session_load(minutes=60, who=KNOWN, session_rpe=7)
    assert (only_rpe.method, only_rpe.load) == ("srpe", 420)
    nothing = session_load(minutes=60, who=KNOWN)
    d = FALLBACK_DELTA_HR
    assert nothing.method == "duration" and "intensity_assumed" in nothing.assumptions
    assert nothing.load == pytest.approx(60 * d * 0.64 * math.exp(1.92 * d))
    assert session_load(minutes=None, who=KNOWN).load is None
    one_point = session_load(minutes=10, who=KNOWN, hr_seconds=[0.0], hr=[150.0], hr_avg=150)
    assert one_point.method == "trimp"  # falls back to the average when the stream is too short

"""models.cardio on tiny streams whose figures are worked out by hand in the comments."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from models.sessions import streams as cardio
from models.sessions.summary import summarise
from pipelines.imports.parsers.base import SAMPLE_COLUMNS

T0 = pd.Timestamp("2024-05-01T06:00:00Z")
# Metres per degree of latitude on the mean-radius sphere: 6,371,008.8 · π / 180.
DEG_M = 6_371_008.8 * math.pi / 180


def stream(seconds: list[float], **channels: list[float]) -> pd.DataFrame:
    """A stream with ``time`` = T0 + seconds and the given channels (NaN elsewhere)."""
    frame = pd.DataFrame({"time": [T0 + pd.Timedelta(seconds=s) for s in seconds]})
    for column in SAMPLE_COLUMNS[1:]:
        frame[column] = channels.get(column, [np.nan] * len(seconds))
    return frame


def test_columns_are_the_parsers_columns() -> None:
    assert cardio.SAMPLE_COLUMNS == SAMPLE_COLUMNS


def test_one_degree_of_latitude() -> None:
    # 6,371,008.8 m · π/180 = 111,195.08 m.
    assert cardio.haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_195.08, abs=0.01)
    assert cardio.haversine_m(45.0, 10.0, 46.0, 10.0) == pytest.approx(DEG_M, rel=1e-12)


def test_distance_from_positions_when_no_device_distance() -> None:
    # Three steps of 0.001° north = 3 · 111.19508 m; the unpositioned point is skipped over.
    frame = stream(
        [0, 10, 20, 30, 40],
        lat=[0.0, 0.001, np.nan, 0.002, 0.003],
        lon=[0.0, 0.0, np.nan, 0.0, 0.0],
    )
    assert summarise(frame, sport="run")["distance_m"] == pytest.approx(3 * DEG_M / 1000)


def test_device_distance_wins_and_a_decreasing_one_is_ignored() -> None:
    lat = [0.0, 0.001, 0.002]
    device = stream([0, 10, 20], lat=lat, lon=[0.0] * 3, distance_m=[0.0, 100.0, 250.0])
    assert summarise(device, sport="run")["distance_m"] == 250.0
    broken = stream([0, 10, 20], lat=lat, lon=[0.0] * 3, distance_m=[0.0, 100.0, 90.0])
    assert summarise(broken, sport="run")["distance_m"] == pytest.approx(2 * DEG_M / 1000)


def test_moving_time_leaves_out_a_pause_and_a_long_gap() -> None:
    # 0→10→20 s: 0.0003° (33.4 m) per 10 s = 3.3 m/s, moving (run threshold 0.894 m/s).
    # 20→80 s: standing still, a 60 s pause.  80→90 s: moving again, 10 s.
    # 90→300 s: 210 s gap (> MAX_GAP_S = 120 s) even though the speed over it is 3.2 m/s.
    lat = [0.0, 0.0003, 0.0006, 0.0006, 0.0009, 0.0009 + 210 * 3.2 / DEG_M]
    frame = stream([0, 10, 20, 80, 90, 300], lat=lat, lon=[0.0] * 6)
    summary = summarise(frame, sport="run")
    assert summary["elapsed_s"] == 300.0
    assert summary["moving_s"] == 30.0


def test_moving_threshold_depends_on_the_sport() -> None:
    # 0.5 m/s: slower than the run threshold (0.894 m/s), faster than a hike's (0.278 m/s).
    frame = stream([0, 10], lat=[0.0, 5.0 / DEG_M], lon=[0.0, 0.0])
    assert summarise(frame, sport="run")["moving_s"] == 0.0
    assert summarise(frame, sport="hike")["moving_s"] == 10.0
    assert summarise(frame, sport="ski-mountaineering")["moving_s"] == 10.0  # → other


def test_device_speed_decides_over_positions() -> None:
    # Positions do not move (GPS frozen) but the wheel sensor says 5 m/s: moving.
    frozen = stream([0, 5, 10], lat=[0.0] * 3, lon=[0.0] * 3, speed_mps=[5.0, 5.0, 5.0])
    assert summarise(frozen, sport="ride")["moving_s"] == 10.0
    # Positions drift 2 m/s while the sensor reads 0: stopped.
    drift = stream([0, 5], lat=[0.0, 10 / DEG_M], lon=[0.0, 0.0], speed_mps=[0.0, 0.0])
    assert summarise(drift, sport="ride")["moving_s"] == 0.0


def test_without_any_speed_short_intervals_count_as_moving() -> None:
    # Indoor trainer: heart rate and power only. 0→1→2 s count; the 200 s gap does not.
    frame = stream([0, 1, 2, 202], hr=[100.0] * 4, power_w=[200.0] * 4)
    summary = summarise(frame, sport="ride")
    assert summary["moving_s"] == 2.0
    assert summary["distance_m"] is None
    assert summary["avg_speed_mps"] is None and summary["pace_s_per_km"] is None


def test_elevation_noise_below_the_hysteresis_adds_nothing() -> None:
    # Every value stays within ±3 m of the first: no level change is ever counted.
    flat = stream([0, 1, 2, 3, 4, 5], ele_m=[100.0, 102.0, 99.5, 101.0, 97.5, 102.9])
    summary = summarise(flat, sport="run")
    assert (summary["elev_gain_m"], summary["elev_loss_m"]) == (0.0, 0.0)


def test_elevation_gain_and_loss_with_hysteresis() -> None:
    # 100 → 104: +4 (level 104); 103: within 3 m; 110: +6 (level 110); 106: −4 (level 106);
    # 107.5: within 3 m. Gain 10, loss 4.
    frame = stream([0, 1, 2, 3, 4, 5], ele_m=[100.0, 104.0, 103.0, 110.0, 106.0, 107.5])
    summary = summarise(frame, sport="hike")
    assert (summary["elev_gain_m"], summary["elev_loss_m"]) == (10.0, 4.0)


def test_heart_rate_is_time_weighted() -> None:
    # Intervals: 0→10 s at (100+120)/2 = 110 bpm; 10→40 s at (120+150)/2 = 135 bpm;
    # 40→400 s is a 360 s gap (> 120 s) and does not count.
    # (10·110 + 30·135) / 40 = 5,150 / 40 = 128.75 bpm; the point mean would be 117.5.
    frame = stream([0, 10, 40, 400], hr=[100.0, 120.0, 150.0, 100.0])
    summary = summarise(frame, sport="run")
    assert summary["avg_hr"] == pytest.approx(128.75)
    assert summary["max_hr"] == 150.0


def test_power_and_cadence_averages_count_zeros() -> None:
    # 1 s apart: (200+0)/2, (0+0)/2, (0+100)/2 → (100 + 0 + 50) / 3 = 50 W.
    frame = stream([0, 1, 2, 3], power_w=[200.0, 0.0, 0.0, 100.0], cadence=[90.0, 0.0, 0.0, 90.0])
    summary = summarise(frame, sport="ride")
    assert summary["avg_power_w"] == pytest.approx(50.0)
    assert summary["avg_cadence"] == pytest.approx(30.0)


def test_pace_is_none_at_zero_distance() -> None:
    # The sensor says 2 m/s (moving) but the cumulative distance never grows.
    frame = stream([0, 10, 20], speed_mps=[2.0] * 3, distance_m=[0.0, 0.0, 0.0])
    summary = summarise(frame, sport="run")
    assert summary["moving_s"] == 20.0 and summary["distance_m"] == 0.0
    assert summary["avg_speed_mps"] == 0.0
    assert summary["pace_s_per_km"] is None


def test_pace_and_speed() -> None:
    # 1,000 m in 300 s of movement: 3.333 m/s, 300 s per km.
    frame = stream([0, 100, 200, 300], distance_m=[0.0, 300.0, 650.0, 1000.0])
    summary = summarise(frame, sport="run")
    assert summary["avg_speed_mps"] == pytest.approx(1000 / 300)
    assert summary["pace_s_per_km"] == pytest.approx(300.0)


def test_empty_and_single_point_streams() -> None:
    for frame in (stream([]), stream([0], hr=[120.0])):
        summary = summarise(frame, sport="run")
        assert summary["elapsed_s"] == 0.0 and summary["moving_s"] == 0.0
        assert summary["distance_m"] is None and summary["pace_s_per_km"] is None
        assert summary["points"] == len(frame)
    assert summarise(stream([0], hr=[120.0]), sport="run")["avg_hr"] == 120.0


def test_sanitise_drops_backwards_duplicate_and_jump() -> None:
    # 0, 10, 10 (repeat), 5 (backwards), 20, 30 (jump: 1° ≈ 111 km in 10 s), 40.
    # The jump is measured from the last kept point (20 s), so 40 s is kept.
    frame = stream(
        [0, 10, 10, 5, 20, 30, 40],
        lat=[0.0, 0.0001, 0.0002, 0.0003, 0.0002, 1.0, 0.0004],
        lon=[0.0] * 7,
        hr=[100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0],
    )
    clean, warnings = cardio.sanitise(frame)
    assert clean["hr"].tolist() == [100.0, 101.0, 104.0, 106.0]
    assert clean["time"].is_monotonic_increasing and clean["time"].is_unique
    assert str(clean["time"].dtype) == "datetime64[ns, UTC]"
    assert warnings == [
        "1 point repeating the previous timestamp was dropped",
        "1 point whose time goes backwards was dropped",
        "1 point after a GPS jump at an impossible speed (over 100 m/s) was dropped",
    ]


def test_sanitise_is_idempotent() -> None:
    frame = stream(
        [0, 10, 10, 5, 20, 30, 40, 41],
        lat=[1.0, 0.0, 0.0001, 0.0003, 0.0002, 1.0, 0.0004, 0.0005],
        lon=[0.0] * 8,
        hr=[100.0, 101.0, 102.0, 103.0, 300.0, 105.0, 106.0, 107.0],
    )
    clean, warnings = cardio.sanitise(frame)
    assert warnings
    again, more = cardio.sanitise(clean)
    assert more == [] and again.equals(clean)


def test_sanitise_one_point_far_in_the_future_loses_only_itself() -> None:
    frame = stream([0, 1, 2, 3, 4])
    frame.loc[2, "time"] = pd.Timestamp("2085-12-21T00:00:00Z")
    clean, warnings = cardio.sanitise(frame)
    assert len(clean) == 4
    assert warnings == ["1 point whose time goes backwards was dropped"]


def test_sanitise_a_bad_first_fix_loses_only_itself() -> None:
    frame = stream([0, 1, 2, 3], lat=[10.0, 0.0, 0.00001, 0.00002], lon=[0.0] * 4)
    clean, _ = cardio.sanitise(frame)
    assert clean["lat"].tolist() == [0.0, 0.00001, 0.00002]


def test_sanitise_sorts_a_stream_that_is_not_in_recording_order() -> None:
    clean, warnings = cardio.sanitise(stream([40, 30, 20, 10, 0, 0]))
    assert [t.second for t in clean["time"]] == [0, 10, 20, 30, 40]
    assert warnings == [
        "1 point repeating the previous timestamp was dropped",
        "the points were not in time order and were sorted by time",
    ]


def test_sanitise_values_become_nan_with_counted_warnings() -> None:
    frame = stream([0, 1, 2, 3, 4], lat=[0.0, np.nan, 0.0, 0.0, 0.0], lon=[0.0] * 5)
    frame["hr"] = pd.Series([120, -5, 300, "abc", math.inf], dtype=object)
    frame["power_w"] = [100.0, -1.0, np.nan, 200.0, 5000.0]
    frame.loc[4, "time"] = None
    clean, warnings = cardio.sanitise(frame)
    assert clean["hr"].tolist()[:1] == [120.0] and clean["hr"].isna().sum() == 3
    assert clean["lat"].isna().sum() == 1 and clean["lon"].isna().sum() == 1
    assert clean["power_w"].tolist()[0] == 100.0 and clean["power_w"].isna().sum() == 2
    assert warnings == [
        "2 non-numeric or infinite heart-rate values were removed",
        "2 heart-rate values outside 1–250 bpm were removed",
        "2 power values outside 0–3,000 W were removed",
        "1 position missing a coordinate was removed",
        "1 point without a time was dropped",
    ]


def test_sanitise_many_glitches_in_a_long_stream() -> None:
    # 20,000 points one second apart; every 100th is stamped 50 s too early.
    seconds = np.arange(20_000, dtype=float)
    seconds[100::100] -= 50
    clean, warnings = cardio.sanitise(stream(seconds.tolist()))
    assert len(clean) == 20_000 - 199
    assert warnings == ["199 points whose time goes backwards were dropped"]


def test_kept_points_are_a_longest_increasing_run() -> None:
    # Brute force over every subsequence of small random streams (seconds 0–5, ≤ 8 points).
    rng = np.random.default_rng(20240501)
    for _ in range(500):
        seconds = rng.integers(0, 6, int(rng.integers(1, 9))).tolist()
        clean, warnings = cardio.sanitise(stream(seconds))
        kept = [int((t - T0).total_seconds()) for t in clean["time"]]
        assert kept == sorted(set(kept))
        best = max(
            len(combo)
            for size in range(1, len(seconds) + 1)
            for combo in itertools.combinations(seconds, size)
            if all(a < b for a, b in itertools.pairwise(combo))
        )
        if "the points were not in time order and were sorted by time" not in warnings:
            assert len(kept) == best


def test_a_leap_of_the_distance_counter_is_taken_out() -> None:
    # 3 m/s for 4 s, then the counter leaps by 5,000 km in one second, then 3 m/s again.
    frame = stream([0, 1, 2, 3, 4, 5], distance_m=[0, 3, 6, 9, 5_000_012, 5_000_015])
    clean, warnings = cardio.sanitise(frame)
    assert clean["distance_m"].tolist() == [0, 3, 6, 9, 9, 12]
    assert any("distance counter" in w for w in warnings)
    assert summarise(clean, sport="run")["distance_m"] == 12


def test_a_long_gap_does_not_inflate_speed() -> None:
    # 3 m/s for 10 s, a 300 s outage covering 900 m, then 3 m/s for 10 s.
    seconds = [*range(0, 11), *range(310, 321)]
    distance = [3.0 * t if t <= 10 else 30 + 900 + 3.0 * (t - 310) for t in seconds]
    summary = summarise(cardio.sanitise(stream(seconds, distance_m=distance))[0], sport="run")
    assert summary["moving_s"] == 20 and summary["distance_m"] == 960
    assert summary["avg_speed_mps"] == pytest.approx(60 / 20)  # not 960 / 20
    assert summary["pace_s_per_km"] == pytest.approx(20 / 0.06)

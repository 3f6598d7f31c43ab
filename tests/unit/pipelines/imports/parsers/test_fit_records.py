"""FIT records into samples: counts, times, distances and positions, against fitdecode alone.

Expected figures come from the files themselves, read with fitdecode on its own, and are
checked against the numbers PROVENANCE.md states; never from the parser's output.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from api.imports.formats import detect_format, is_fit
from pipelines.imports.parsers.base import SAMPLE_COLUMNS, ImportFormatError
from pipelines.imports.parsers.fit import parse_fit
from tests.support import fit_files as fit

# PROVENANCE.md: records, first and last record time (UTC).
PROVENANCE = {
    fit.FENIX2: (2809, "2015-08-15 14:45:08", "2015-08-15 15:32:21"),
    fit.EDGE810: (4700, "2013-08-16 18:05:10", "2013-08-16 19:23:29"),
    fit.EDGE800: (2263, "2011-11-02 12:54:19", "2011-11-02 13:32:02"),
    fit.EDGE500: (3098, "2011-06-26 21:18:40", "2011-06-27 00:34:21"),
    fit.STRYD: (3424, "2017-01-17 17:06:47", "2017-01-17 18:03:50"),
}


@pytest.mark.parametrize("path", fit.COMPLETE, ids=lambda p: p.stem)
def test_record_counts_and_times_match_fitdecode_and_provenance(path: Path) -> None:
    count, first, last = PROVENANCE[path]
    f = fit.facts(path)
    assert f.error is None
    assert len(f.records) == count  # PROVENANCE checked against fitdecode
    assert (min(f.times), max(f.times)) == (fit.utc(first), fit.utc(last))
    result = fit.parsed(path)
    assert result.format == "fit" and result.rows == count and result.rows_rejected == 0
    samples = fit.only_samples(result)
    assert list(samples.columns) == list(SAMPLE_COLUMNS)
    assert str(samples["time"].dtype) == "datetime64[ns, UTC]"
    assert samples["time"].is_monotonic_increasing and samples["time"].is_unique
    # Records sharing a time are one point (edge500 has 3 such repeats).
    assert len(samples) == len(set(f.times))
    assert samples["time"].iloc[0] == pd.Timestamp(first, tz="UTC")
    assert samples["time"].iloc[-1] == pd.Timestamp(last, tz="UTC")


@pytest.mark.parametrize(
    "path", [fit.FENIX2, fit.EDGE810, fit.EDGE500, fit.STRYD], ids=lambda p: p.stem
)
def test_distance_steps_add_up_to_the_session_distance(path: Path) -> None:
    """Last − first cumulative distance within 5 m of the session's total_distance.

    Measured: fenix2 1.15 m short, edge810 1.91 m, stryd 1.00 m (its first record is
    at 1 m), edge500 exact.
    """
    samples = fit.only_samples(fit.parsed(path))
    distance = samples["distance_m"].dropna()
    steps = float(distance.iloc[-1] - distance.iloc[0])
    assert steps == pytest.approx(fit.facts(path).sessions[0]["total_distance"], abs=5.0)
    assert (distance.diff().dropna() >= 0).all()


@pytest.mark.parametrize("path", [fit.FENIX2, fit.EDGE810, fit.STRYD], ids=lambda p: p.stem)
def test_positions_are_semicircles_in_degrees(path: Path) -> None:
    f = fit.facts(path)
    samples = fit.only_samples(fit.parsed(path))
    assert len(samples) == len(f.records)  # no repeats in these three: row i = record i
    lat = [r.get("position_lat", math.nan) * 180 / 2**31 for r in f.records]
    lon = [r.get("position_long", math.nan) * 180 / 2**31 for r in f.records]
    assert samples["lat"].tolist() == pytest.approx(lat, nan_ok=True)
    assert samples["lon"].tolist() == pytest.approx(lon, nan_ok=True)
    hr = [float(r.get("heart_rate", math.nan)) for r in f.records]
    assert samples["hr"].tolist() == pytest.approx(hr, nan_ok=True)


def test_fenix2_starts_in_stavanger_and_runs() -> None:
    result = fit.parsed(fit.FENIX2, "Europe/Oslo")
    (workout,) = result.workouts
    samples = fit.only_samples(result)
    # PROVENANCE: starts at 58.959 N, 5.729 E.
    assert samples["lat"].iloc[0] == pytest.approx(58.959, abs=5e-4)
    assert samples["lon"].iloc[0] == pytest.approx(5.729, abs=5e-4)
    assert workout.cardio is not None
    assert (workout.cardio.sport, workout.cardio.sport_label, workout.title) == (
        "run",
        "running",
        "Run",
    )
    assert workout.local_start == datetime(2015, 8, 15, 16, 45, 8)  # CEST, UTC+2
    assert workout.time_zone == "Europe/Oslo"
    assert not any("clock" in w for w in workout.cardio.warnings)  # device said +02:00 too
    # The same file read as UTC: the device's own offset disagrees, and is said so.
    assert any("UTC+02:00" in w for w in fit.warnings_of(fit.parsed(fit.FENIX2, "UTC")))


def test_edge800_indoor_has_no_position_speed_or_distance_but_hr_and_power() -> None:
    f = fit.facts(fit.EDGE800)
    samples = fit.only_samples(fit.parsed(fit.EDGE800))
    for column in ("lat", "lon", "speed_mps", "distance_m"):
        assert samples[column].isna().all(), column
    assert samples["hr"].notna().sum() == sum("heart_rate" in r for r in f.records) == 2263
    assert samples["power_w"].notna().sum() == sum("power" in r for r in f.records) == 2222
    workout = fit.parsed(fit.EDGE800).workouts[0]
    assert workout.cardio is not None and workout.cardio.sport == "ride"
    assert workout.cardio.device["avg_power_w"] == 201.0


def test_edge500_crosses_utc_midnight_and_keeps_its_autopauses() -> None:
    result = fit.parsed(fit.EDGE500, "America/Toronto")
    (workout,) = result.workouts
    samples = fit.only_samples(result)
    assert samples["time"].iloc[0].date().isoformat() == "2011-06-26"
    assert samples["time"].iloc[-1].date().isoformat() == "2011-06-27"
    # ... but not in Toronto (EDT, UTC−4): 17:18 → 20:34 the same evening.
    assert workout.local_start == datetime(2011, 6, 26, 17, 18, 39)
    assert workout.ended_at is not None
    assert workout.ended_at.astimezone(workout.started_at.tzinfo).day == 27
    stops = [
        e
        for e in fit.facts(fit.EDGE500).events
        if e.get("event") == "timer" and str(e.get("event_type")).startswith("stop")
    ]
    auto = sum(e.get("timer_trigger") == "auto" for e in stops)
    # PROVENANCE says "30 timer stop events (auto-pause)"; fitdecode reads 29 auto + 1 manual.
    assert (len(stops), auto) == (30, 29)
    assert workout.cardio is not None
    assert any(
        f"stopped {len(stops)} times ({auto} by auto-pause)" in w for w in fit.warnings_of(result)
    )
    device = workout.cardio.device
    assert device["moving_s"] < device["elapsed_s"]  # 10,699 s of 11,742 s
    repeats = len(fit.facts(fit.EDGE500).times) - len(set(fit.facts(fit.EDGE500).times))
    assert repeats == 3
    assert any(w.startswith(f"merged {repeats} records") for w in fit.warnings_of(result))


def test_detector() -> None:
    for path in [*fit.COMPLETE, fit.STRAVA]:
        assert detect_format(path.read_bytes()[:64]) == "fit"
    assert not is_fit(b"Date,Workout Name\n")
    assert not is_fit(b"")
    assert not is_fit(fit.FENIX2.read_bytes()[:11])


def test_progress_rises_to_one() -> None:
    seen: list[float] = []
    parse_fit(fit.EDGE810.read_bytes(), time_zone="UTC", on_progress=seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 2


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ImportFormatError) as err:
        parse_fit(fit.FENIX2.read_bytes(), time_zone="Mars/Olympus")
    assert err.value.code == "invalid_time_zone"

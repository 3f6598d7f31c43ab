"""FIT messages besides records: session totals, file identity, developer and undocumented fields.

Expected values are fitdecode's own reading of each message (PROVENANCE.md for the rest).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import fitdecode
import pandas as pd
import pytest

from tests.support import fit_files as fit

DEVICE_FIELDS = {
    "elapsed_s": "total_elapsed_time",
    "moving_s": "total_timer_time",
    "distance_m": "total_distance",
    "avg_hr": "avg_heart_rate",
    "max_hr": "max_heart_rate",
    "avg_power_w": "avg_power",
    "elev_gain_m": "total_ascent",
}


@pytest.mark.parametrize("path", fit.COMPLETE, ids=lambda p: p.stem)
def test_device_totals_are_the_session_message(path: Path) -> None:
    (session,) = fit.facts(path).sessions
    workout = fit.parsed(path).workouts[0]
    assert workout.cardio is not None
    expected = {k: float(session[f]) for k, f in DEVICE_FIELDS.items() if f in session}
    assert workout.cardio.device == expected
    assert workout.started_at == session["start_time"]
    elapsed = timedelta(seconds=session["total_elapsed_time"])
    assert workout.ended_at == max(session["start_time"] + elapsed, session["timestamp"])


@pytest.mark.parametrize("path", fit.COMPLETE, ids=lambda p: p.stem)
def test_source_id_comes_from_file_id(path: Path) -> None:
    f = fit.facts(path).file_id
    created = f["time_created"].strftime("%Y%m%dT%H%M%SZ")
    serial = f.get("serial_number") or ""
    expected = f"fit:{f['manufacturer']}:{serial}:{created}"
    assert fit.parsed(path).workouts[0].source_id == expected


def test_stryd_developer_fields_are_ignored_not_mistaken_for_native_ones() -> None:
    f = fit.facts(fit.STRYD)
    samples = fit.only_samples(fit.parsed(fit.STRYD))
    # The developer fields 'Distance' and 'Speed' hold 0 on the first record; native ones do not.
    assert samples["distance_m"].tolist() == [r["distance"] for r in f.records]
    assert samples["speed_mps"].tolist() == [r["enhanced_speed"] for r in f.records]
    assert samples["power_w"].notna().all()
    assert fit.warnings_of(fit.parsed(fit.STRYD)) == []


def test_edge810_undocumented_messages_are_skipped() -> None:
    names = fit.facts(fit.EDGE810).message_names
    assert {"unknown_22", "unknown_79", "unknown_104", "unknown_113"} <= names  # PROVENANCE
    samples = fit.only_samples(fit.parsed(fit.EDGE810))
    assert len(samples) == 4700 and samples["power_w"].notna().all()
    assert fit.warnings_of(fit.parsed(fit.EDGE810)) == []


def test_strava_malformed_imports_the_points_before_byte_7471_and_says_so() -> None:
    f = fit.facts(fit.STRAVA)
    assert isinstance(f.error, fitdecode.FitParseError) and f.error.offset == 7471
    assert len(f.records) == 473  # PROVENANCE: "473 records decode before the error"
    assert f.times[-1] == datetime(2085, 12, 21, 16, 46, 58, tzinfo=UTC)  # the nonsense one
    result = fit.parsed(fit.STRAVA)
    (workout,) = result.workouts
    assert result.rows == 473 and result.rows_rejected == 1
    warnings = fit.warnings_of(result)
    assert "byte 7471 of 78233" in warnings[0] and "local message 11" in warnings[0]
    assert any("2085-12-21" in w for w in warnings)
    samples = fit.only_samples(result)
    real_times = set(f.times[:-1])
    assert len(samples) == len(real_times)  # Strava writes position and distance apart
    assert samples["time"].max() == pd.Timestamp(max(real_times))
    assert samples["distance_m"].notna().all() and samples["lat"].notna().all()
    (session,) = f.sessions  # written before the records
    assert workout.cardio is not None
    assert workout.cardio.device == {
        "elapsed_s": session["total_elapsed_time"],
        "moving_s": session["total_timer_time"],
        "distance_m": session["total_distance"],
    }
    assert any("cover 5 min 14 s of the 59 min 18 s" in w for w in warnings)

"""Small FIT files built by hand: compressed timestamps, multisport sessions, repeats, courses.

Each file is written with the FIT layout by hand (definitions, data, CRC), so the expected
values are the ones encoded.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from pipelines.imports.parsers.fit import parse_fit
from tests.support import fit_files as fit

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
ENUM, UINT8, UINT16, SINT32, UINT32, UINT32Z = 0x00, 0x02, 0x84, 0x85, 0x86, 0x8C


def fit_time(moment: datetime) -> int:
    return int((moment - FIT_EPOCH).total_seconds())


def definition(local: int, global_num: int, fields: list[tuple[int, int, int]]) -> bytes:
    head = struct.pack("<BBBHB", 0x40 | local, 0, 0, global_num, len(fields))
    return head + b"".join(struct.pack("<BBB", *f) for f in fields)


FILE_ID = definition(0, 0, [(0, 1, ENUM), (1, 2, UINT16), (3, 4, UINT32Z), (4, 4, UINT32)])
RECORD = definition(
    1, 20, [(253, 4, UINT32), (3, 1, UINT8), (5, 4, UINT32), (0, 4, SINT32), (1, 4, SINT32)]
)
RECORD_NO_TIME = definition(2, 20, [(3, 1, UINT8)])  # for compressed-timestamp headers
EVENT = definition(3, 21, [(253, 4, UINT32), (0, 1, ENUM), (1, 1, ENUM), (3, 4, UINT32)])
SESSION = definition(
    4,
    18,
    [(253, 4, UINT32), (2, 4, UINT32), (7, 4, UINT32), (8, 4, UINT32), (9, 4, UINT32)]
    + [(5, 1, ENUM), (6, 1, ENUM), (16, 1, UINT8), (17, 1, UINT8), (20, 2, UINT16)]
    + [(22, 2, UINT16)],
)


def file_id(kind: int = 4) -> bytes:  # 4 = activity, 6 = course
    return bytes([0]) + struct.pack("<BHII", kind, 1, 12345, fit_time(T0))


def record(moment: datetime | int, hr: int, distance_m: float) -> bytes:
    """A record at 45° N, 7.5° E (semicircles = degrees × 2³¹ / 180)."""
    raw = moment if isinstance(moment, int) else fit_time(moment)
    lat, lon = 45 * 2**31 // 180, 75 * 2**31 // 1800
    return bytes([1]) + struct.pack("<IBIii", raw, hr, round(distance_m * 100), lat, lon)


def timer(moment: datetime, event_type: int, auto: bool) -> bytes:  # 0 start, 4 stop_all
    return bytes([3]) + struct.pack("<IBBI", fit_time(moment), 0, event_type, int(auto))


def session(start: datetime, seconds: float, sport: int, distance_m: float) -> bytes:
    end = start + timedelta(seconds=seconds)
    fields = (fit_time(end), fit_time(start), round(seconds * 1000), round(seconds * 900))
    totals = (round(distance_m * 100), sport, 0, 140, 170, 200, 12)
    return bytes([4]) + struct.pack("<IIIIIBBBBHH", *fields, *totals)


def test_compressed_timestamps_are_expanded_by_fitdecode() -> None:
    messages = [FILE_ID, file_id(), RECORD, record(T0, 100, 0.0), RECORD_NO_TIME]
    for k in range(1, 70):  # the 5-bit offset rolls over twice
        offset = (fit_time(T0) + k) & 0x1F
        messages.append(bytes([0x80 | (2 << 5) | offset]) + struct.pack("<B", 100 + k))
    result = parse_fit(fit.framed(*messages), time_zone="UTC")
    samples = fit.only_samples(result)
    expected = [pd.Timestamp(T0 + timedelta(seconds=k)) for k in range(70)]
    assert samples["time"].tolist() == expected
    assert samples["hr"].tolist() == [100.0 + k for k in range(70)]
    workout = result.workouts[0]
    assert workout.cardio is not None
    # No session message: one workout from the records, sport unknown.
    assert (workout.cardio.sport, workout.title, workout.cardio.device) == ("other", "Activity", {})
    assert workout.started_at == T0 and workout.ended_at == T0 + timedelta(seconds=69)


def test_multisport_sessions_split_the_records() -> None:
    ride_start = T0 + timedelta(seconds=300)
    messages = [FILE_ID, file_id(), RECORD, EVENT, timer(T0, 0, False)]
    messages += [record(T0 + timedelta(seconds=10 * k), 120 + k, 30.0 * k) for k in range(11)]
    messages += [
        timer(T0 + timedelta(seconds=50), 4, True),
        timer(T0 + timedelta(seconds=55), 0, True),
    ]
    messages += [timer(T0 + timedelta(seconds=100), 4, False)]
    messages += [record(T0 + timedelta(seconds=200), 99, 300.0)]  # between the sessions
    messages += [record(ride_start + timedelta(seconds=20 * k), 130, 100.0 * k) for k in range(11)]
    messages += [record(T0 + timedelta(hours=3), 99, 1.0)]  # long after both
    messages += [record(1000, 99, 1.0)]  # seconds since power-on: no real time
    messages += [SESSION, session(T0, 100, 1, 300.0), session(ride_start, 200, 2, 1000.0)]
    result = parse_fit(fit.framed(*messages), time_zone="Europe/Paris")
    assert result.rows == 11 + 1 + 11 + 2
    assert result.rows_rejected == 3
    run, ride = result.workouts
    assert run.cardio is not None and ride.cardio is not None
    assert (run.cardio.sport, ride.cardio.sport) == ("run", "ride")
    assert (run.line, ride.line) == (1, 2)
    assert len(run.cardio.samples) == 11 and len(ride.cardio.samples) == 11
    assert run.cardio.samples["distance_m"].iloc[-1] == 300.0
    assert ride.cardio.samples["time"].iloc[0] == pd.Timestamp(ride_start)
    assert run.cardio.samples["lat"].tolist() == pytest.approx([45.0] * 11, abs=1e-7)
    assert run.cardio.samples["lon"].tolist() == pytest.approx([7.5] * 11, abs=1e-7)
    assert run.cardio.device == {
        "elapsed_s": 100.0,
        "moving_s": 90.0,
        "distance_m": 300.0,
        "avg_hr": 140.0,
        "max_hr": 170.0,
        "avg_power_w": 200.0,
        "elev_gain_m": 12.0,
    }
    assert run.started_at == T0 and run.ended_at == T0 + timedelta(seconds=100)
    assert run.local_start == datetime(2024, 5, 1, 8, 0)  # CEST
    assert any("stopped 2 times (1 by auto-pause)" in w for w in run.cardio.warnings)
    assert any("without a real time" in w for w in run.cardio.warnings)
    assert any("dropped 2 points recorded outside the sessions" in w for w in run.cardio.warnings)
    first_id = f"fit:garmin:12345:{T0:%Y%m%dT%H%M%SZ}"
    assert (run.source_id, ride.source_id) == (first_id, f"{first_id}/1")


def test_a_session_repeated_by_chaining_is_collapsed() -> None:
    data = fit.EDGE800.read_bytes()
    result = parse_fit(data + data, time_zone="UTC")
    assert result.rows == 2 * 2263 and result.duplicates_collapsed == 1
    assert len(fit.only_samples(result)) == 2263


def test_a_course_file_is_not_an_activity() -> None:
    data = fit.framed(FILE_ID, file_id(kind=6), RECORD, record(T0, 100, 0.0))
    error = fit.refused(data)
    assert error.code == "unsupported_format" and "course" in error.message


def test_a_complete_file_without_timed_records_has_no_rows() -> None:
    assert (
        fit.refused(fit.framed(FILE_ID, file_id(), RECORD, record(1000, 90, 0.0))).code == "no_rows"
    )

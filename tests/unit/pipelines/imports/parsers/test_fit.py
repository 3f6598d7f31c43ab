"""FIT parser: the six real files, damaged and hostile variants, and small built files.

Expected figures come from the files themselves, read here with fitdecode on its
own (record counts, times, session fields, events), and are checked against the
numbers PROVENANCE.md states; never from the parser's output. Built files are
written with the FIT layout by hand (header, definitions, data, CRC), so their
expected values are the ones encoded.
"""

from __future__ import annotations

import math
import random
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import fitdecode
import pandas as pd
import pytest
from fitdecode.utils import compute_crc

from api.imports.formats import detect_format, is_fit
from pipelines.imports.parsers.base import SAMPLE_COLUMNS, ImportFormatError, ParseResult
from pipelines.imports.parsers.fit import parse_fit

REAL = Path(__file__).resolve().parents[5].parent / "shared" / "data" / "real"
FIT = REAL / "fit"
FENIX2 = FIT / "fenix2-run-4laps.fit"
EDGE810 = FIT / "edge810-ride-power-8laps.fit"
EDGE800 = FIT / "edge800-indoor-trainer-no-gps.fit"
EDGE500 = FIT / "edge500-ride-autopause.fit"
STRYD = FIT / "stryd-run-developer-fields.fit"
STRAVA = FIT / "strava-android-run-malformed.fit"
COMPLETE = [FENIX2, EDGE810, EDGE800, EDGE500, STRYD]

# PROVENANCE.md: records, first and last record time (UTC).
PROVENANCE = {
    FENIX2: (2809, "2015-08-15 14:45:08", "2015-08-15 15:32:21"),
    EDGE810: (4700, "2013-08-16 18:05:10", "2013-08-16 19:23:29"),
    EDGE800: (2263, "2011-11-02 12:54:19", "2011-11-02 13:32:02"),
    EDGE500: (3098, "2011-06-26 21:18:40", "2011-06-27 00:34:21"),
    STRYD: (3424, "2017-01-17 17:06:47", "2017-01-17 18:03:50"),
}
DEVICE_FIELDS = {
    "elapsed_s": "total_elapsed_time",
    "moving_s": "total_timer_time",
    "distance_m": "total_distance",
    "avg_hr": "avg_heart_rate",
    "max_hr": "max_heart_rate",
    "avg_power_w": "avg_power",
    "elev_gain_m": "total_ascent",
}


@dataclass
class Facts:
    """What fitdecode alone reads from a file."""

    records: list[dict[str, Any]] = field(default_factory=list)
    record_offsets: list[int] = field(default_factory=list)
    definition_offsets: list[int] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    lap_offsets: list[int] = field(default_factory=list)
    file_id: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    message_names: set[str] = field(default_factory=set)
    error: Exception | None = None

    @property
    def times(self) -> list[datetime]:
        return [r["timestamp"] for r in self.records]


def _values(frame: Any) -> dict[str, Any]:
    """Profile fields only: the Stryd developer fields 'Distance'/'Speed' must not shadow."""
    return {
        f.name: f.value
        for f in frame.fields
        if f.value is not None and not (f.field_def is not None and f.field_def.is_dev)
    }


@cache
def facts(path: Path) -> Facts:
    out = Facts()
    try:
        for frame in fitdecode.FitReader(str(path), keep_raw_chunks=True):
            if isinstance(frame, fitdecode.FitDefinitionMessage):
                out.definition_offsets.append(frame.chunk.offset)
            if not isinstance(frame, fitdecode.FitDataMessage):
                continue
            out.message_names.add(frame.name)
            if frame.name == "record":
                out.records.append(_values(frame))
                out.record_offsets.append(frame.chunk.offset)
            elif frame.name == "session":
                out.sessions.append(_values(frame))
            elif frame.name == "lap":
                out.lap_offsets.append(frame.chunk.offset)
            elif frame.name == "file_id":
                out.file_id = _values(frame)
            elif frame.name == "event":
                out.events.append(_values(frame))
    except fitdecode.FitError as exc:
        out.error = exc
    return out


@cache
def parsed(path: Path, zone: str = "UTC") -> ParseResult:
    return parse_fit(path.read_bytes(), time_zone=zone)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def warnings_of(result: ParseResult) -> list[str]:
    return [w for workout in result.workouts if workout.cardio for w in workout.cardio.warnings]


def only_samples(result: ParseResult) -> pd.DataFrame:
    assert len(result.workouts) == 1
    cardio = result.workouts[0].cardio
    assert cardio is not None
    return cardio.samples


# ---------------------------------------------------------------- the real files


@pytest.mark.parametrize("path", COMPLETE, ids=lambda p: p.stem)
def test_record_counts_and_times_match_fitdecode_and_provenance(path: Path) -> None:
    count, first, last = PROVENANCE[path]
    f = facts(path)
    assert f.error is None
    assert len(f.records) == count  # PROVENANCE checked against fitdecode
    assert (min(f.times), max(f.times)) == (utc(first), utc(last))
    result = parsed(path)
    assert result.format == "fit" and result.rows == count and result.rows_rejected == 0
    samples = only_samples(result)
    assert list(samples.columns) == list(SAMPLE_COLUMNS)
    assert str(samples["time"].dtype) == "datetime64[ns, UTC]"
    assert samples["time"].is_monotonic_increasing and samples["time"].is_unique
    # Records sharing a time are one point (edge500 has 3 such repeats).
    assert len(samples) == len(set(f.times))
    assert samples["time"].iloc[0] == pd.Timestamp(first, tz="UTC")
    assert samples["time"].iloc[-1] == pd.Timestamp(last, tz="UTC")


@pytest.mark.parametrize("path", COMPLETE, ids=lambda p: p.stem)
def test_device_totals_are_the_session_message(path: Path) -> None:
    (session,) = facts(path).sessions
    workout = parsed(path).workouts[0]
    assert workout.cardio is not None
    expected = {k: float(session[f]) for k, f in DEVICE_FIELDS.items() if f in session}
    assert workout.cardio.device == expected
    assert workout.started_at == session["start_time"]
    elapsed = timedelta(seconds=session["total_elapsed_time"])
    assert workout.ended_at == max(session["start_time"] + elapsed, session["timestamp"])


@pytest.mark.parametrize("path", [FENIX2, EDGE810, EDGE500, STRYD], ids=lambda p: p.stem)
def test_distance_steps_add_up_to_the_session_distance(path: Path) -> None:
    """Last − first cumulative distance within 5 m of the session's total_distance.

    Measured: fenix2 1.15 m short, edge810 1.91 m, stryd 1.00 m (its first record is
    at 1 m), edge500 exact.
    """
    samples = only_samples(parsed(path))
    distance = samples["distance_m"].dropna()
    steps = float(distance.iloc[-1] - distance.iloc[0])
    assert steps == pytest.approx(facts(path).sessions[0]["total_distance"], abs=5.0)
    assert (distance.diff().dropna() >= 0).all()


@pytest.mark.parametrize("path", [FENIX2, EDGE810, STRYD], ids=lambda p: p.stem)
def test_positions_are_semicircles_in_degrees(path: Path) -> None:
    f = facts(path)
    samples = only_samples(parsed(path))
    assert len(samples) == len(f.records)  # no repeats in these three: row i = record i
    lat = [r.get("position_lat", math.nan) * 180 / 2**31 for r in f.records]
    lon = [r.get("position_long", math.nan) * 180 / 2**31 for r in f.records]
    assert samples["lat"].tolist() == pytest.approx(lat, nan_ok=True)
    assert samples["lon"].tolist() == pytest.approx(lon, nan_ok=True)
    hr = [float(r.get("heart_rate", math.nan)) for r in f.records]
    assert samples["hr"].tolist() == pytest.approx(hr, nan_ok=True)


def test_fenix2_starts_in_stavanger_and_runs() -> None:
    result = parsed(FENIX2, "Europe/Oslo")
    (workout,) = result.workouts
    samples = only_samples(result)
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
    assert any("UTC+02:00" in w for w in warnings_of(parsed(FENIX2, "UTC")))


@pytest.mark.parametrize("path", COMPLETE, ids=lambda p: p.stem)
def test_source_id_comes_from_file_id(path: Path) -> None:
    f = facts(path).file_id
    created = f["time_created"].strftime("%Y%m%dT%H%M%SZ")
    serial = f.get("serial_number") or ""
    expected = f"fit:{f['manufacturer']}:{serial}:{created}"
    assert parsed(path).workouts[0].source_id == expected


def test_edge800_indoor_has_no_position_speed_or_distance_but_hr_and_power() -> None:
    f = facts(EDGE800)
    samples = only_samples(parsed(EDGE800))
    for column in ("lat", "lon", "speed_mps", "distance_m"):
        assert samples[column].isna().all(), column
    assert samples["hr"].notna().sum() == sum("heart_rate" in r for r in f.records) == 2263
    assert samples["power_w"].notna().sum() == sum("power" in r for r in f.records) == 2222
    workout = parsed(EDGE800).workouts[0]
    assert workout.cardio is not None and workout.cardio.sport == "ride"
    assert workout.cardio.device["avg_power_w"] == 201.0


def test_edge500_crosses_utc_midnight_and_keeps_its_autopauses() -> None:
    result = parsed(EDGE500, "America/Toronto")
    (workout,) = result.workouts
    samples = only_samples(result)
    assert samples["time"].iloc[0].date().isoformat() == "2011-06-26"
    assert samples["time"].iloc[-1].date().isoformat() == "2011-06-27"
    # ... but not in Toronto (EDT, UTC−4): 17:18 → 20:34 the same evening.
    assert workout.local_start == datetime(2011, 6, 26, 17, 18, 39)
    assert workout.ended_at is not None
    assert workout.ended_at.astimezone(workout.started_at.tzinfo).day == 27
    stops = [
        e
        for e in facts(EDGE500).events
        if e.get("event") == "timer" and str(e.get("event_type")).startswith("stop")
    ]
    auto = sum(e.get("timer_trigger") == "auto" for e in stops)
    # PROVENANCE says "30 timer stop events (auto-pause)"; fitdecode reads 29 auto + 1 manual.
    assert (len(stops), auto) == (30, 29)
    assert workout.cardio is not None
    assert any(
        f"stopped {len(stops)} times ({auto} by auto-pause)" in w for w in warnings_of(result)
    )
    device = workout.cardio.device
    assert device["moving_s"] < device["elapsed_s"]  # 10,699 s of 11,742 s
    repeats = len(facts(EDGE500).times) - len(set(facts(EDGE500).times))
    assert repeats == 3
    assert any(w.startswith(f"merged {repeats} records") for w in warnings_of(result))


def test_stryd_developer_fields_are_ignored_not_mistaken_for_native_ones() -> None:
    f = facts(STRYD)
    samples = only_samples(parsed(STRYD))
    # The developer fields 'Distance' and 'Speed' hold 0 on the first record; native ones do not.
    assert samples["distance_m"].tolist() == [r["distance"] for r in f.records]
    assert samples["speed_mps"].tolist() == [r["enhanced_speed"] for r in f.records]
    assert samples["power_w"].notna().all()
    assert warnings_of(parsed(STRYD)) == []


def test_edge810_undocumented_messages_are_skipped() -> None:
    names = facts(EDGE810).message_names
    assert {"unknown_22", "unknown_79", "unknown_104", "unknown_113"} <= names  # PROVENANCE
    samples = only_samples(parsed(EDGE810))
    assert len(samples) == 4700 and samples["power_w"].notna().all()
    assert warnings_of(parsed(EDGE810)) == []


def test_strava_malformed_imports_the_points_before_byte_7471_and_says_so() -> None:
    f = facts(STRAVA)
    assert isinstance(f.error, fitdecode.FitParseError) and f.error.offset == 7471
    assert len(f.records) == 473  # PROVENANCE: "473 records decode before the error"
    assert f.times[-1] == datetime(2085, 12, 21, 16, 46, 58, tzinfo=UTC)  # the nonsense one
    result = parsed(STRAVA)
    (workout,) = result.workouts
    assert result.rows == 473 and result.rows_rejected == 1
    warnings = warnings_of(result)
    assert "byte 7471 of 78233" in warnings[0] and "local message 11" in warnings[0]
    assert any("2085-12-21" in w for w in warnings)
    samples = only_samples(result)
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


def test_detector() -> None:
    for path in [*COMPLETE, STRAVA]:
        assert detect_format(path.read_bytes()[:64]) == "fit"
    assert not is_fit(b"Date,Workout Name\n")
    assert not is_fit(b"")
    assert not is_fit(FENIX2.read_bytes()[:11])


def test_progress_rises_to_one() -> None:
    seen: list[float] = []
    parse_fit(EDGE810.read_bytes(), time_zone="UTC", on_progress=seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 2


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ImportFormatError) as err:
        parse_fit(FENIX2.read_bytes(), time_zone="Mars/Olympus")
    assert err.value.code == "invalid_time_zone"


# ---------------------------------------------------------------- damaged and hostile


def refused(data: bytes) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as err:
        parse_fit(data, time_zone="UTC")
    return err.value


def test_empty_and_not_fit() -> None:
    assert refused(b"").code == "empty_file"
    assert refused(b"Date,Workout Name\n2024-01-01,x\n").code == "unsupported_format"
    cut = refused(FENIX2.read_bytes()[:7])
    assert cut.code == "corrupt_fit" and "byte 7" in cut.message


@pytest.mark.parametrize("path", [FENIX2, EDGE500], ids=lambda p: p.stem)
def test_header_only_is_corrupt(path: Path) -> None:
    data = path.read_bytes()
    error = refused(data[: data[0]])
    assert error.code == "corrupt_fit" and f"byte {data[0]}" in error.message


def test_cut_inside_the_first_definition_is_corrupt() -> None:
    data = EDGE810.read_bytes()
    start = facts(EDGE810).definition_offsets[0]
    error = refused(data[: start + 3])
    assert error.code == "corrupt_fit" and f"damaged at byte {start}" in error.message


def test_cut_after_one_record_is_corrupt() -> None:
    data = EDGE500.read_bytes()
    second = facts(EDGE500).record_offsets[1]
    error = refused(data[: second + 2])
    assert error.code == "corrupt_fit" and f"byte {second}" in error.message


@pytest.mark.parametrize("index", [200, 1000, 2500])
def test_cut_mid_record_imports_what_came_before(index: int) -> None:
    data = EDGE500.read_bytes()
    f = facts(EDGE500)
    cut = f.record_offsets[index]
    result = parse_fit(data[: cut + 5], time_zone="UTC")
    assert result.rows == index  # records 0 … index−1 read whole
    samples = only_samples(result)
    assert samples["time"].iloc[-1] == pd.Timestamp(f.times[index - 1])
    assert samples["time"].iloc[0] == pd.Timestamp(f.times[0])
    warning = warnings_of(result)[0]
    assert f"past byte {cut} of {cut + 5}" in warning and "ends in the middle" in warning
    workout = result.workouts[0]
    assert workout.cardio is not None
    # The session is written at the end of a Garmin file: no totals. The sport comes
    # from a lap message when one was finished before the cut (laps carry it too).
    assert workout.cardio.device == {}
    lap_before = any(offset < cut for offset in f.lap_offsets)
    assert workout.cardio.sport == ("ride" if lap_before else "other")
    assert workout.source_id == parsed(EDGE500).workouts[0].source_id


def test_a_bad_checksum_is_a_warning() -> None:
    data = bytearray(FENIX2.read_bytes())
    data[-1] ^= 0xFF  # the CRC itself: the content is intact
    result = parse_fit(bytes(data), time_zone="UTC")
    pd.testing.assert_frame_equal(only_samples(result), only_samples(parsed(FENIX2)))
    assert any("checksum" in w and "does not match" in w for w in warnings_of(result))
    # A changed heart-rate byte inside a record: read as written, flagged by the CRC.
    data = bytearray(FENIX2.read_bytes())
    data[facts(FENIX2).record_offsets[100] + 1] ^= 0x01
    result = parse_fit(bytes(data), time_zone="UTC")
    assert result.rows == 2809
    assert any("checksum" in w for w in warnings_of(result))


def test_bytes_after_the_data_are_ignored_with_a_warning() -> None:
    data = STRYD.read_bytes()
    result = parse_fit(data + b"\x00" * 10, time_zone="UTC")
    assert result.rows == 3424
    assert warnings_of(result) == [f"ignored 10 bytes after the FIT data (byte {len(data)})"]


def _header(size: int) -> bytes:
    head = struct.pack("<BBHI4s", 14, 0x20, 2132, size, b".FIT")
    return head + struct.pack("<H", compute_crc(head))


@pytest.mark.parametrize("seed", range(6))
def test_random_bytes_behind_a_valid_header_are_refused(seed: int) -> None:
    body = random.Random(seed).randbytes(200_000)
    for size in (len(body), 0xFFFFFFFF):
        error = refused(_header(size) + body)
        assert error.code == "corrupt_fit" and "damaged at byte" in error.message


def test_a_header_claiming_a_huge_data_size_stops_at_the_end() -> None:
    data = EDGE810.read_bytes()
    result = parse_fit(_header(0xFFFFFFF0) + data[data[0] :], time_zone="UTC")
    assert result.rows == 4700
    # The 2-byte CRC footer is read as the start of another message.
    assert f"past byte {len(data) - 2}" in warnings_of(result)[0]


def test_mutated_files_never_raise_anything_else() -> None:
    files = [EDGE800.read_bytes(), STRAVA.read_bytes()]
    rnd = random.Random(7)
    outcomes = set()
    for _ in range(40):
        data = bytearray(rnd.choice(files))
        start = rnd.randrange(14, len(data))
        if rnd.random() < 0.5:
            data[start : start + 64] = rnd.randbytes(64)
        else:
            data = data[:start]
        try:
            parse_fit(bytes(data), time_zone="UTC")
            outcomes.add("imported")
        except ImportFormatError as exc:
            outcomes.add(exc.code)
    assert outcomes <= {"imported", "corrupt_fit", "no_rows", "unsupported_format"}


# ---------------------------------------------------------------- built files

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
ENUM, UINT8, UINT16, SINT32, UINT32, UINT32Z = 0x00, 0x02, 0x84, 0x85, 0x86, 0x8C


def fit_time(moment: datetime) -> int:
    return int((moment - FIT_EPOCH).total_seconds())


def definition(local: int, global_num: int, fields: list[tuple[int, int, int]]) -> bytes:
    head = struct.pack("<BBBHB", 0x40 | local, 0, 0, global_num, len(fields))
    return head + b"".join(struct.pack("<BBB", *f) for f in fields)


def fit_file(*messages: bytes) -> bytes:
    body = b"".join(messages)
    content = _header(len(body)) + body
    return content + struct.pack("<H", compute_crc(content))


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
    result = parse_fit(fit_file(*messages), time_zone="UTC")
    samples = only_samples(result)
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
    result = parse_fit(fit_file(*messages), time_zone="Europe/Paris")
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
    data = EDGE800.read_bytes()
    result = parse_fit(data + data, time_zone="UTC")
    assert result.rows == 2 * 2263 and result.duplicates_collapsed == 1
    assert len(only_samples(result)) == 2263


def test_a_course_file_is_not_an_activity() -> None:
    data = fit_file(FILE_ID, file_id(kind=6), RECORD, record(T0, 100, 0.0))
    error = refused(data)
    assert error.code == "unsupported_format" and "course" in error.message


def test_a_complete_file_without_timed_records_has_no_rows() -> None:
    assert refused(fit_file(FILE_ID, file_id(), RECORD, record(1000, 90, 0.0))).code == "no_rows"

"""Damaged and hostile FIT files: what comes before the damage is imported and the rest said.

Cuts are made at offsets fitdecode reports; random bytes are seeded, so every run is the same.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest

from pipelines.imports.parsers.base import ImportFormatError
from pipelines.imports.parsers.fit import parse_fit
from tests.support import fit_files as fit


def test_empty_and_not_fit() -> None:
    assert fit.refused(b"").code == "empty_file"
    assert fit.refused(b"Date,Workout Name\n2024-01-01,x\n").code == "unsupported_format"
    cut = fit.refused(fit.FENIX2.read_bytes()[:7])
    assert cut.code == "corrupt_fit" and "byte 7" in cut.message


@pytest.mark.parametrize("path", [fit.FENIX2, fit.EDGE500], ids=lambda p: p.stem)
def test_header_only_is_corrupt(path: Path) -> None:
    data = path.read_bytes()
    error = fit.refused(data[: data[0]])
    assert error.code == "corrupt_fit" and f"byte {data[0]}" in error.message


def test_cut_inside_the_first_definition_is_corrupt() -> None:
    data = fit.EDGE810.read_bytes()
    start = fit.facts(fit.EDGE810).definition_offsets[0]
    error = fit.refused(data[: start + 3])
    assert error.code == "corrupt_fit" and f"damaged at byte {start}" in error.message


def test_cut_after_one_record_is_corrupt() -> None:
    data = fit.EDGE500.read_bytes()
    second = fit.facts(fit.EDGE500).record_offsets[1]
    error = fit.refused(data[: second + 2])
    assert error.code == "corrupt_fit" and f"byte {second}" in error.message


@pytest.mark.parametrize("index", [200, 1000, 2500])
def test_cut_mid_record_imports_what_came_before(index: int) -> None:
    data = fit.EDGE500.read_bytes()
    f = fit.facts(fit.EDGE500)
    cut = f.record_offsets[index]
    result = parse_fit(data[: cut + 5], time_zone="UTC")
    assert result.rows == index  # records 0 … index−1 read whole
    samples = fit.only_samples(result)
    assert samples["time"].iloc[-1] == pd.Timestamp(f.times[index - 1])
    assert samples["time"].iloc[0] == pd.Timestamp(f.times[0])
    warning = fit.warnings_of(result)[0]
    assert f"past byte {cut} of {cut + 5}" in warning and "ends in the middle" in warning
    workout = result.workouts[0]
    assert workout.cardio is not None
    # The session is written at the end of a Garmin file: no totals. The sport comes
    # from a lap message when one was finished before the cut (laps carry it too).
    assert workout.cardio.device == {}
    lap_before = any(offset < cut for offset in f.lap_offsets)
    assert workout.cardio.sport == ("ride" if lap_before else "other")
    assert workout.source_id == fit.parsed(fit.EDGE500).workouts[0].source_id


def test_a_bad_checksum_is_a_warning() -> None:
    data = bytearray(fit.FENIX2.read_bytes())
    data[-1] ^= 0xFF  # the CRC itself: the content is intact
    result = parse_fit(bytes(data), time_zone="UTC")
    pd.testing.assert_frame_equal(
        fit.only_samples(result), fit.only_samples(fit.parsed(fit.FENIX2))
    )
    assert any("checksum" in w and "does not match" in w for w in fit.warnings_of(result))
    # A changed heart-rate byte inside a record: read as written, flagged by the CRC.
    data = bytearray(fit.FENIX2.read_bytes())
    data[fit.facts(fit.FENIX2).record_offsets[100] + 1] ^= 0x01
    result = parse_fit(bytes(data), time_zone="UTC")
    assert result.rows == 2809
    assert any("checksum" in w for w in fit.warnings_of(result))


def test_bytes_after_the_data_are_ignored_with_a_warning() -> None:
    data = fit.STRYD.read_bytes()
    result = parse_fit(data + b"\x00" * 10, time_zone="UTC")
    assert result.rows == 3424
    assert fit.warnings_of(result) == [f"ignored 10 bytes after the FIT data (byte {len(data)})"]


@pytest.mark.parametrize("seed", range(6))
def test_random_bytes_behind_a_valid_header_are_refused(seed: int) -> None:
    body = random.Random(seed).randbytes(200_000)
    for size in (len(body), 0xFFFFFFFF):
        error = fit.refused(fit.header(size) + body)
        assert error.code == "corrupt_fit" and "damaged at byte" in error.message


def test_a_header_claiming_a_huge_data_size_stops_at_the_end() -> None:
    data = fit.EDGE810.read_bytes()
    result = parse_fit(fit.header(0xFFFFFFF0) + data[data[0] :], time_zone="UTC")
    assert result.rows == 4700
    # The 2-byte CRC footer is read as the start of another message.
    assert f"past byte {len(data) - 2}" in fit.warnings_of(result)[0]


def test_mutated_files_never_raise_anything_else() -> None:
    files = [fit.EDGE800.read_bytes(), fit.STRAVA.read_bytes()]
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

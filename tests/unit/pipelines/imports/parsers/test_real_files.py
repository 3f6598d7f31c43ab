"""Every real file of ../shared/data/real reads as it did before the locale-proof reader.

The counts were written down from the readers of main at 0cedd7c (one per format, before
they became one CSV reader), each file read in Europe/Berlin with kg (lb for the files
named ``lbs``) and km: (rows, workouts, sets, row errors, rows rejected, duplicates).
"""

from __future__ import annotations

import pytest

from pipelines.imports.parsers.base import ImportFormatError
from pipelines.imports.parsers.registry import ParseOptions, parse_upload
from tests.conftest import REAL_DATA

BEFORE: dict[str, tuple[int, int, int, int, int, int] | str] = dict([
    ("edge500-ride-autopause.fit", (3098, 1, 0, 0, 0, 0)),
    ("edge800-indoor-trainer-no-gps.fit", (2263, 1, 0, 0, 0, 0)),
    ("edge810-ride-power-8laps.fit", (4700, 1, 0, 0, 0, 0)),
    ("fenix2-run-4laps.fit", (2809, 1, 0, 0, 0, 0)),
    ("strava-android-run-malformed.fit", (473, 1, 0, 0, 1, 0)),
    ("stryd-run-developer-fields.fit", (3424, 1, 0, 0, 0, 0)),
    ("fitnotes-lbs-2017-2020.csv", (11493, 508, 11493, 0, 0, 0)),
    ("garmin-connect-run-hr.gpx", (206, 1, 0, 0, 0, 0)),
    ("gpsbabel-hike-1901-timestamps.gpx", "no_times"),
    ("gpsbabel-hike-4tracks-partial-times.gpx", (871, 1, 0, 0, 0, 0)),
    ("gpsbabel-hike-no-timestamps.gpx", "no_times"),
    ("strava-run-hr-full.gpx", (1118, 1, 0, 0, 0, 0)),
    ("gymbook-it-localized.csv", (5632, 160, 4988, 0, 0, 0)),
    ("hevy-kg-supersets-dropsets.csv", (8650, 411, 8650, 0, 0, 0)),
    ("hevy-lbs-miles.csv", (9436, 590, 9436, 0, 0, 0)),
    ("strong-kg-swedish-names.csv", (507, 62, 507, 0, 0, 0)),
    ("strong-lbs-large-set-types.csv", (23709, 1163, 22888, 0, 0, 0)),
    ("strong-semicolon-weight-unit-column.csv", (5402, 291, 5355, 2, 18, 2)),
    ("strong-zh-cn-localized-header.csv", (6778, 384, 6345, 0, 0, 29)),
    ("strong6-semicolon-quoted-kg.csv", (8004, 574, 8004, 0, 0, 0)),
    ("edge520-ride-power.tcx", (317, 1, 0, 0, 0, 0)),
    ("forerunner410-run-3laps-hr.tcx", (384, 1, 0, 0, 0, 0)),
    ("vivoactive-sup-sport-other.tcx", (111, 1, 0, 0, 0, 0)),
])  # fmt: skip

FILES = {path.name: path for path in REAL_DATA.glob("*/*") if path.name in BEFORE}


def test_every_real_file_is_listed() -> None:
    readable = {
        p.name for p in REAL_DATA.glob("*/*") if p.suffix in (".csv", ".gpx", ".tcx", ".fit")
    }
    assert readable == set(BEFORE)


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_real_file_reads_as_before(name: str) -> None:
    options = ParseOptions("Europe/Berlin", "lb" if "lbs" in name else "kg", "km")
    expected = BEFORE[name]
    if isinstance(expected, str):
        with pytest.raises(ImportFormatError) as caught:
            parse_upload(FILES[name].read_bytes(), name=name, options=options)
        assert caught.value.code == expected
        return
    (file,) = parse_upload(FILES[name].read_bytes(), name=name, options=options)
    result = file.result
    assert result is not None
    sets = sum(len(w.sets) for w in result.workouts)
    got = (
        result.rows,
        len(result.workouts),
        sets,
        result.errors_total,
        result.rows_rejected,
        result.duplicates_collapsed,
    )
    assert got == expected

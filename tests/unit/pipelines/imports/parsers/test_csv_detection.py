"""The CSV reader's first look at a file: which layout it is, its encoding, BOM and line ends.

Every real export is named for what it is; made-up bytes that only look like a CSV are not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from api.imports.formats import detect_format
from tests.conftest import REAL_DATA
from tests.support.csv_rows import classic, read_strong, refused_strong, strong_row
from tests.support.exports import (
    FITNOTES,
    GYMBOOK,
    HEVY_KG,
    HEVY_LB,
    LARGE,
    SEMICOLON,
    STRONG6,
    SWEDISH,
    ZH,
    read_csv,
    sets_of,
)
from tests.support.exports import csv_layout_of as sniff


@pytest.mark.parametrize(
    ("path", "name"),
    [(HEVY_KG, "hevy"), (HEVY_LB, "hevy"), (FITNOTES, "fitnotes"), (GYMBOOK, "gymbook")],
    ids=lambda p: getattr(p, "name", p),
)
def test_sniff_names_each_real_file(path: Path, name: str) -> None:
    assert sniff(path.read_bytes()[:65536]) == name


@pytest.mark.parametrize(
    "path",
    [*sorted((REAL_DATA / "strong").glob("*.csv")), REAL_DATA / "fit" / "fenix2-run-4laps.fit"],
    ids=lambda p: p.name,
)
def test_sniff_names_other_real_files_for_what_they_are(path: Path) -> None:
    # Strong is one layout of the same reader; a FIT file is no CSV layout at all.
    expected = "strong" if path.suffix == ".csv" else None
    assert sniff(path.read_bytes()[:65536]) == expected


@pytest.mark.parametrize("path", [SWEDISH, ZH, SEMICOLON, STRONG6, LARGE], ids=lambda p: p.name)
def test_sniff_accepts_every_real_strong_file(path: Path) -> None:
    assert sniff(path.read_bytes()[:65536]) == "strong"


@pytest.mark.parametrize(
    "path",
    [
        HEVY_KG,
        HEVY_LB,
        FITNOTES,
        GYMBOOK,  # 12 columns, but dd/mm/yy dates
        REAL_DATA / "fit" / "fenix2-run-4laps.fit",
        REAL_DATA / "gpx" / "strava-run-hr-full.gpx",
    ],
    ids=lambda p: p.name,
)
def test_sniff_rejects_other_real_files(path: Path) -> None:
    assert sniff(path.read_bytes()[:65536]) != "strong"


def test_sniff_rejects_garbage() -> None:
    assert sniff(b"") is None and sniff(b"\x00\x01") is None
    assert sniff(b"a,b,c\n1,2,3\n") is None


def test_twelve_columns_without_dates_are_not_strong() -> None:
    header = "a,b,c,d,e,f,g,h,i,j,k,l"
    data = classic("1,2,3,4,5,6,7,8,9,10,11,12", header=header)
    assert sniff(data) != "strong"
    assert refused_strong(data).code == "unsupported_format"


def test_oversized_header_field_is_not_strong() -> None:
    data = ('"' + "x" * 200_000 + '"\n' + strong_row() + "\n").encode()
    assert refused_strong(data).code == "unsupported_format"
    assert sniff(data[:65536]) != "strong"


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n\n"])
def test_empty_file(data: bytes) -> None:
    assert refused_strong(data).code == "empty_file"


def test_binary_file() -> None:
    assert refused_strong(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").code == "binary_file"
    assert sniff(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") != "strong"


def test_not_utf8() -> None:
    data = classic(strong_row(exercise="Bänkpress")).replace("ä".encode(), "ä".encode("latin-1"))
    error = refused_strong(data)
    assert error.code == "encoding" and "line 2" in error.message
    assert refused_strong("Date,Workout Name".encode("utf-16")).code == "encoding"


def test_a_utf16_export_is_named_for_its_encoding() -> None:
    # Excel's "Unicode text": UTF-16 with a byte-order mark, NUL bytes between letters.
    data = "Date,Exercise,Category,Weight (kgs),Reps\n".encode("utf-16")
    assert detect_format(data) == (
        "encoding",
        "the file is UTF-16 text; export it again as UTF-8 CSV",
    )


def test_bom_and_semicolons() -> None:
    data = b"\xef\xbb\xbf" + classic(strong_row()).replace(b",", b";")
    assert sniff(data) == "strong"
    [workout] = read_strong(data).workouts
    assert workout.sets[0].weight_kg == 100.0 and workout.sets[0].reps == 5


def test_old_mac_line_endings_read_like_any_other() -> None:
    lines = ["Date,Exercise,Category,Weight (kgs),Reps", "2024-05-01,Squat,Legs,100.0,5"]
    data = "\r".join([*lines, "2024-05-02,Squat,Legs,102.5,5", ""]).encode()
    assert detect_format(data) == "fitnotes"
    result = read_csv(data, "fitnotes")
    assert [s.weight_kg for s in sets_of(result)] == [100.0, 102.5]
    assert [s.line for s in sets_of(result)] == [2, 3]


def test_crlf_line_endings_keep_physical_lines() -> None:
    data = classic(strong_row(notes='"a\r\nb"'), strong_row(order="2")).replace(b"\n", b"\r\n")
    data = data.replace(b"\r\r\n", b"\r\n")
    first, second = sets_of(read_strong(data))
    assert (first.line, first.notes, second.line) == (2, "a\nb", 4)


def test_unterminated_quote_is_malformed() -> None:
    data = classic(strong_row(), strong_row(notes='"' + "x" * 200_000))
    error = refused_strong(data)
    assert error.code == "malformed" and "line 3" in error.message

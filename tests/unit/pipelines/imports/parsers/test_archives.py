"""Archive expansion: real FIT files zipped and gzipped here in memory, and hostile archives.

Bombs are checked by memory, not by time: ``tracemalloc`` shows that expanding a
10 GiB gzip bomb allocates little more than the cap, i.e. decompression stopped there.
"""

from __future__ import annotations

import gzip
import io
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from pipelines.imports.parsers.archives import CHUNK, RATIO_FLOOR, expand
from pipelines.imports.parsers.base import ImportFormatError
from pipelines.imports.parsers.fit import parse_fit

FIT = Path(__file__).resolve().parents[5].parent / "shared" / "data" / "real" / "fit"
FILES = sorted(FIT.glob("*.fit"))
MIB = 1024 * 1024


def zipped(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def refused(data: bytes, **caps: Any) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as err:
        expand(data, name="upload.zip", **caps)
    return err.value


def peak_bytes(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        action()
    except ImportFormatError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@cache
def zeros_member(mib: int) -> bytes:
    """One gzip member holding ``mib`` MiB of zeros (about 1 KiB per MiB), compressed in chunks."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MIB)
    parts = [compressor.compress(block) for _ in range(mib)]
    return b"".join([*parts, compressor.flush()])


def central_directory(data: bytes | bytearray) -> int:
    """Offset of the (first) central-directory header of a zip."""
    return data.index(b"PK\x01\x02")


# ---------------------------------------------------------------- ordinary uploads


def test_a_plain_file_is_returned_as_it_is() -> None:
    data = FILES[0].read_bytes()
    assert expand(data, name="run.fit") == [("run.fit", data)]
    assert expand(data, name=None) == [("upload", data)]
    assert expand(b"", name="empty.csv") == [("empty.csv", b"")]


def test_gzip_of_a_real_fit_file() -> None:
    data = FILES[0].read_bytes()
    assert expand(gzip.compress(data), name="a.fit.gz") == [("a.fit", data)]
    # Several gzip members one after the other are one file (gzip(1) does the same).
    half = len(data) // 2
    both = gzip.compress(data[:half]) + gzip.compress(data[half:])
    assert expand(both, name="a.FIT.GZ") == [("a.FIT", data)]
    assert expand(gzip.compress(data), name=None) == [("upload", data)]


def test_zip_with_one_file_and_with_many() -> None:
    one = FILES[1].read_bytes()
    assert expand(zipped({"ride.fit": one}), name="x.zip") == [("ride.fit", one)]
    members = {f"export/{p.name}": p.read_bytes() for p in FILES}
    noise = {
        "export/": b"",  # a directory entry
        "__MACOSX/export/._a.fit": b"\x00\x05\x16\x07",
        "export/.DS_Store": b"\x00\x00\x00\x01Bud1",
        "./export/notes.txt": b"hello",
    }
    result = expand(zipped({**members, **noise}), name="x.zip")
    assert result == [*members.items(), ("export/notes.txt", b"hello")]
    stored = expand(zipped(members, zipfile.ZIP_STORED), name="x.zip")
    assert stored == list(members.items())


def test_strava_bulk_export_layout_gz_inside_zip() -> None:
    members = {f"activities/{i}.fit.gz": gzip.compress(p.read_bytes()) for i, p in enumerate(FILES)}
    members["activities.csv"] = b"Activity ID,Activity Date\n"
    result = expand(zipped(members), name="export_123.zip")
    assert [name for name, _ in result] == [
        *(f"activities/{i}.fit" for i in range(len(FILES))),
        "activities.csv",
    ]
    assert [content for _, content in result[:-1]] == [p.read_bytes() for p in FILES]
    first = parse_fit(result[0][1], time_zone="UTC")
    assert first.rows == parse_fit(FILES[0].read_bytes(), time_zone="UTC").rows > 0


def test_garmin_export_layout_zip_inside_zip() -> None:
    inner = zipped({p.name: p.read_bytes() for p in FILES[:2]})
    result = expand(zipped({"DI_CONNECT/UploadedFiles_0-_Part1.zip": inner}), name="g.zip")
    assert result == [(p.name, p.read_bytes()) for p in FILES[:2]]


# ---------------------------------------------------------------- refused archives


def test_archive_nested_twice_is_refused() -> None:
    innermost = zipped({"a.fit": FILES[0].read_bytes()})
    middle = zipped({"middle.zip": innermost})
    error = refused(zipped({"outer/middle2.zip": middle}))
    assert error.code == "corrupt_archive" and "one level" in error.message
    # .fit.gz inside a zip inside a .gz is also two levels deep.
    gz_in_zip = zipped({"a.fit.gz": gzip.compress(b"x" * 100)})
    assert refused(gzip.compress(gz_in_zip)).code == "corrupt_archive"


def test_gzip_bomb_stops_at_the_cap() -> None:
    """10 GiB of zeros as 160 gzip members of 64 MiB (10 MB compressed)."""
    bomb = zeros_member(64) * 160
    assert len(bomb) < 11 * MIB
    cap = 32 * MIB
    error = refused(bomb, max_total_bytes=cap)
    assert error.code == "archive_too_large" and "33,554,432-byte limit" in error.message
    assert peak_bytes(lambda: expand(bomb, name="b.gz", max_total_bytes=cap)) < cap + 4 * CHUNK


@pytest.mark.parametrize("mib", [64, 256])
def test_gzip_bomb_with_default_caps_is_stopped_by_the_ratio(mib: int) -> None:
    bomb = zeros_member(mib)  # about 1,000 to 1: 65 KB and 250 KB
    error = refused(bomb)
    assert error.code == "archive_too_large" and "100 times" in error.message
    # The cap is 100 × the upload, or the 16 MiB floor when that is larger (64 MiB case).
    cap = max(100 * len(bomb), RATIO_FLOOR)
    assert cap <= mib * MIB / 4  # stopped at a quarter of the bomb or earlier
    assert peak_bytes(lambda: expand(bomb, name="b.gz")) < cap + 4 * CHUNK


def test_zip_member_declaring_more_than_the_cap_is_refused_before_reading() -> None:
    bomb = zipped({"zeros.bin": bytes(64 * MIB)})  # about 65 KB
    error = refused(bomb)
    assert error.code == "archive_too_large" and "declared 67,108,864 bytes" in error.message
    assert peak_bytes(lambda: expand(bomb, name="z.zip")) < 4 * MIB


def test_zip_member_lying_small_about_its_size_is_caught() -> None:
    data = bytearray(zipped({"zeros.bin": bytes(64 * MIB)}))
    struct.pack_into("<I", data, central_directory(data) + 24, 1000)  # uncompressed size
    error = refused(bytes(data))
    assert error.code == "corrupt_archive" and "zeros.bin" in error.message
    assert peak_bytes(lambda: expand(bytes(data), name="z.zip")) < 4 * MIB


def test_zip_member_lying_large_about_its_size_is_caught() -> None:
    data = bytearray(zipped({"a.fit": FILES[0].read_bytes()}))
    size = len(FILES[0].read_bytes())
    struct.pack_into("<I", data, central_directory(data) + 24, size + 100)
    error = refused(bytes(data))
    assert error.code == "corrupt_archive"
    assert f"declares {size + 100:,} bytes but holds {size:,}" in error.message


def test_zip_declaring_4_gib_is_refused_before_reading() -> None:
    data = bytearray(zipped({"a.fit": FILES[0].read_bytes()}))
    struct.pack_into("<I", data, central_directory(data) + 24, 0xFFFFFFF0)
    assert refused(bytes(data)).code == "archive_too_large"


def test_all_members_share_one_budget() -> None:
    members = {f"{i}.bin.gz": zeros_member(10) for i in range(3)}  # 30 MiB in all
    upload = zipped(members)  # zip deflates the gzip members again: under 1 KB
    error = refused(upload, max_total_bytes=25 * MIB, max_ratio=1e9)
    assert error.code == "archive_too_large" and "26,214,400-byte limit" in error.message
    assert len(expand(upload, name="ok.zip", max_total_bytes=31 * MIB, max_ratio=1e9)) == 3
    # With the default ratio, the floor (16 MiB) stops it first.
    assert "100 times" in refused(upload).message


def test_too_many_files() -> None:
    members = {f"f{i}.csv": b"x" for i in range(6)}
    error = refused(zipped(members), max_files=5)
    assert error.code == "too_many_files" and "6 files" in error.message
    assert len(expand(zipped(members), name="ok.zip", max_files=6)) == 6
    many = {f"f{i}.csv": b"x" for i in range(2001)}
    assert refused(zipped(many)).code == "too_many_files"  # the default cap, 2,000
    # Inner archives count too: 2 × 4 files inside one zip with max_files=6.
    inner = zipped({f"g{i}.csv": b"y" for i in range(4)})
    assert refused(zipped({"a.zip": inner, "b.zip": inner}), max_files=6).code == "too_many_files"


@pytest.mark.parametrize(
    "name", ["../evil.fit", "a/../../evil.fit", "/etc/passwd", "..\\evil.fit", "C:/x.fit"]
)
def test_names_outside_the_archive_are_refused(name: str) -> None:
    error = refused(zipped({"ok.fit": b"x", name: b"y"}))
    assert error.code == "corrupt_archive" and repr(name) in error.message


def test_empty_archives() -> None:
    assert refused(zipped({})).code == "empty_archive"
    assert refused(zipped({"dir/": b"", "__MACOSX/._x": b"z", ".hidden": b"z"})).code == (
        "empty_archive"
    )
    assert refused(zipped({"empty.csv": b""})).code == "empty_archive"
    assert refused(gzip.compress(b"")).code == "empty_archive"


def test_corrupt_zips() -> None:
    good = zipped({p.name: p.read_bytes() for p in FILES[:2]})
    assert refused(good[: len(good) // 2]).code == "corrupt_archive"  # truncated
    flipped = bytearray(good)
    flipped[200] ^= 0xFF  # inside the first member's deflate data
    assert refused(bytes(flipped)).code == "corrupt_archive"
    assert refused(b"PK\x03\x04" + bytes(range(256)) * 4).code == "corrupt_archive"
    encrypted = bytearray(good)
    struct.pack_into("<H", encrypted, central_directory(good) + 8, 0x0001)
    error = refused(bytes(encrypted))
    assert error.code == "corrupt_archive" and "cannot be read" in error.message


def test_corrupt_gzip() -> None:
    good = gzip.compress(FILES[0].read_bytes())
    error = refused(good[: len(good) // 2])
    assert error.code == "corrupt_archive" and "cut short" in error.message
    bad_crc = bytearray(good)
    bad_crc[-8] ^= 0xFF  # the CRC-32 in the trailer
    assert refused(bytes(bad_crc)).code == "corrupt_archive"
    assert refused(good + b"trailing junk").code == "corrupt_archive"

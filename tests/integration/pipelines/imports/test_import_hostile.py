"""Hostile uploads end in a finished job with a precise message — never a hang or a torn write."""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib

from sqlalchemy import text

from tests.conftest import REAL_DATA
from tests.support.http import register
from tests.support.import_jobs import import_file


async def _job(http, headers, name: str, content: bytes) -> dict:
    return await import_file(
        http, headers, name, content, expect="failed", content_type="application/octet-stream"
    )


def _gzip_bomb(mib: int = 600) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    chunk = bytes(1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(mib)]  # past the 512 MiB cap
    return b"".join(parts) + compressor.flush()


async def test_hostile_files_fail_cleanly(live_client, sync_engine):
    headers = await register(live_client)
    fit = (REAL_DATA / "fit" / "fenix2-run-4laps.fit").read_bytes()
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="1"><time>&x;</time></trkpt>'
        b"</trkseg></trk></gpx>"
    )
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(f'<!ENTITY a{i} "{"&a;" * 10}">'.encode() for i in range(9))
        + b"]><TrainingCenterDatabase>&a8;</TrainingCenterDatabase>"
    )
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(3000):
            archive.writestr(f"f{i}.csv", b"x")
    cases = {
        "bomb.gz": _gzip_bomb(),
        "xxe.gpx": xxe,
        "laughs.tcx": laughs,
        "cut.fit": fit[:20],
        "many.zip": many.getvalue(),
        "empty.gpx": b'<gpx version="1.1" creator="x"></gpx>',
    }
    codes = {}
    for name, content in cases.items():
        job = await _job(live_client, headers, name, content)
        assert job["status"] == "failed" and job["message"], (name, job)
        assert "internal error" not in job["message"], (name, job)
        codes[name] = {e["code"] for e in job["errors"]}
    assert codes["xxe.gpx"] == codes["laughs.tcx"] == {"unsafe_xml"}
    assert codes["bomb.gz"] == {"archive_too_large"} and codes["many.zip"] == {"too_many_files"}
    with sync_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM workouts")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM activity_samples")).scalar_one() == 0


async def test_a_gzipped_strong_export_imports(live_client):
    headers = await register(live_client)
    path = REAL_DATA / "strong" / "strong-kg-swedish-names.csv"
    gzipped = gzip.compress(path.read_bytes())
    job = await import_file(
        live_client,
        headers,
        "strong.csv.gz",
        gzipped,
        expect="succeeded",
        content_type="application/gzip",
        weight_unit="kg",
    )
    assert job["counts"]["workouts_created"] == 62

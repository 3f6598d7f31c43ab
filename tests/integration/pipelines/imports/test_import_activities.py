"""Every real activity and gym-log file imports through the API; a session counts once."""

from __future__ import annotations

import gzip
import io
import zipfile

import fitdecode
import gpxpy
import gpxpy.gpx
import pytest
from sqlalchemy import text

from tests.conftest import REAL_DATA
from tests.support.http import register
from tests.support.import_jobs import import_file

# Files with no usable timing cannot become sessions; each must fail with its reason.
UNTIMED = {"gpsbabel-hike-1901-timestamps.gpx", "gpsbabel-hike-no-timestamps.gpx"}
ACTIVITY_FILES = sorted(
    p for d in ("fit", "gpx", "tcx") for p in (REAL_DATA / d).iterdir() if p.is_file()
)
GYMLOG_FILES = sorted(
    p for d in ("hevy", "fitnotes", "gymbook") for p in (REAL_DATA / d).iterdir() if p.is_file()
)


async def _import(http, headers, name: str, content: bytes, **form) -> dict:
    return await import_file(
        http, headers, name, content, content_type="application/octet-stream", **form
    )


@pytest.mark.parametrize("path", ACTIVITY_FILES, ids=lambda p: p.name)
async def test_each_activity_file_imports_or_says_why(live_client, sync_engine, path):
    headers = await register(live_client)
    job = await _import(live_client, headers, path.name, path.read_bytes())
    if path.name in UNTIMED:
        assert job["status"] == "failed" and job["message"], job
        return
    assert job["status"] == "succeeded", job
    assert job["counts"]["workouts_created"] >= 1
    with sync_engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT c.elapsed_s, c.points, c.load, c.load_method, "
                "(SELECT count(*) FROM activity_samples s WHERE s.workout_id = c.workout_id) "
                "FROM cardio_sessions c JOIN workouts w ON w.id = c.workout_id "
                "WHERE w.import_job_id = :j ORDER BY c.points DESC LIMIT 1"
            ),
            {"j": job["id"]},
        ).one()
    elapsed, points, load, method, stored = row
    assert points == stored > 1 and elapsed > 0
    assert load > 0 and method in ("trimp", "srpe", "duration")


def _fit_records(path):
    out = []
    with fitdecode.FitReader(path.read_bytes()) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                fields = {f.name: f.value for f in frame.fields}
                if fields.get("position_lat") is not None and fields.get("timestamp"):
                    out.append(fields)
    return out


async def test_the_same_run_as_fit_and_gpx_counts_once(live_client, sync_engine):
    fit_path = REAL_DATA / "fit" / "fenix2-run-4laps.fit"
    # The same run written as a GPX by another "service": positions and times only.
    gpx = gpxpy.gpx.GPX()
    track = gpxpy.gpx.GPXTrack(name="Morning Run")
    track.type = "running"
    segment = gpxpy.gpx.GPXTrackSegment()
    for r in _fit_records(fit_path):
        segment.points.append(
            gpxpy.gpx.GPXTrackPoint(
                r["position_lat"] * 180 / 2**31,
                r["position_long"] * 180 / 2**31,
                time=r["timestamp"],
            )
        )
    track.segments.append(segment)
    gpx.tracks.append(track)
    gpx_bytes = gpx.to_xml().encode()

    headers = await register(live_client)
    first = await _import(live_client, headers, "run.gpx", gpx_bytes)
    assert first["counts"]["workouts_created"] == 1
    # The richer FIT (heart rate, cadence, …) takes the stored session over …
    second = await _import(live_client, headers, fit_path.name, fit_path.read_bytes())
    assert (second["counts"]["workouts_created"], second["counts"]["duplicates_skipped"]) == (0, 1)
    detail = (await live_client.get("/v1/workouts", headers=headers)).json()["items"]
    assert [w["source"] for w in detail] == ["fit"]  # the workout now belongs to the FIT import
    # … and the poorer GPX again adds nothing.
    third = await _import(live_client, headers, "run.gpx", gpx_bytes)
    assert (third["counts"]["workouts_created"], third["counts"]["duplicates_skipped"]) == (0, 1)
    with sync_engine.connect() as conn:
        sessions = conn.execute(
            text(
                "SELECT c.avg_hr FROM cardio_sessions c JOIN workouts w ON w.id = c.workout_id "
                "WHERE w.deleted_at IS NULL"
            )
        ).all()
    assert len(sessions) == 1 and sessions[0].avg_hr is not None  # the FIT's heart rate


@pytest.mark.parametrize("path", GYMLOG_FILES, ids=lambda p: p.name)
async def test_each_gym_log_imports(live_client, path):
    headers = await register(live_client)
    job = await _import(live_client, headers, path.name, path.read_bytes())
    assert job["status"] == "succeeded", job
    assert job["counts"]["rows_rejected"] == 0 and job["counts"]["sets_created"] > 0
    again = await _import(live_client, headers, path.name, path.read_bytes())
    assert again["counts"]["workouts_created"] == 0
    assert again["counts"]["duplicates_skipped"] == job["counts"]["workouts_created"]


async def test_archives_of_many_files(live_client):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "activities/a.fit.gz",
            gzip.compress((REAL_DATA / "fit" / "edge500-ride-autopause.fit").read_bytes()),
        )
        archive.writestr(
            "activities/b.tcx", (REAL_DATA / "tcx" / "edge520-ride-power.tcx").read_bytes()
        )
        archive.writestr("notes.txt", b"hello")
    headers = await register(live_client)
    job = await _import(live_client, headers, "export.zip", buffer.getvalue())
    # A file of the archive could not be read: the others are stored, the job is partial.
    assert job["status"] == "partial", job
    assert job["counts"]["workouts_created"] == 2 and job["counts"]["rows_rejected"] == 0
    assert [e["message"] for e in job["errors"] if e["line"] is None] == [
        # The upload check's own detector and words (api.imports.formats).
        "notes.txt: not a recognised export: expected Strong, Hevy, FitNotes or GymBook CSV, "
        "GPX, TCX, FIT, or a .zip/.gz of them"
    ]


async def test_a_damaged_fit_imports_what_was_read_and_says_where_it_broke(live_client):
    path = REAL_DATA / "fit" / "strava-android-run-malformed.fit"
    headers = await register(live_client)
    job = await _import(live_client, headers, path.name, path.read_bytes())
    assert job["status"] == "succeeded", job
    assert any("7471" in w for w in job["warnings"]), job["warnings"]
    assert any("2085" in w or "future" in w for w in job["warnings"]), job["warnings"]

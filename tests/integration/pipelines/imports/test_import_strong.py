"""Strong imports end to end in-process: upload over HTTP, run the task, read the results."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from pipelines.imports import store as import_store
from pipelines.imports.task import run_import
from pipelines.tasks.analytics import refresh_user
from pipelines.tasks.maintenance import sweep
from tests.conftest import REAL_DATA
from tests.support import strong_reference as ref
from tests.support.csv_rows import STRONG_HEADER
from tests.support.http import register, user_id_of
from tests.support.import_jobs import import_file, upload

STRONG = REAL_DATA / "strong"


async def test_kg_file_imports_and_yields_prs(live_client, sync_engine):
    path = STRONG / "strong-kg-swedish-names.csv"
    headers = await register(live_client, time_zone="Europe/Stockholm")
    job = await import_file(
        live_client, headers, path.name, path.read_bytes(), expect="succeeded", weight_unit="kg"
    )
    data_rows = ref.rows(path)
    assert job["status"] == "succeeded" and job["progress"] == 1.0
    assert job["counts"]["rows"] == len(data_rows) == 507
    assert job["counts"]["workouts_created"] == len(ref.workout_keys(path)) == 62
    assert job["counts"]["sets_created"] == 507
    assert job["counts"]["rows_rejected"] == 0
    with sync_engine.connect() as conn:  # the uploaded bytes are not kept once imported
        assert conn.execute(text("SELECT count(*) FROM import_files")).scalar_one() == 0

    # Before the refresh the analytics say they are stale.
    summary = (await live_client.get("/v1/analytics/summary", headers=headers)).json()
    assert summary["stale"] is True and summary["as_of"] is None

    user_id = await user_id_of(live_client, headers)
    assert refresh_user(user_id) is True

    prs = (await live_client.get("/v1/analytics/personal-records", headers=headers)).json()
    assert prs["stale"] is False and prs["as_of"] is not None
    by_name = {item["exercise_name"]: item for item in prs["items"]}
    for exercise in ("Squat (Barbell)", "Bench Press (Barbell)", "Deadlift (Barbell)"):
        expected = ref.rep_maxes(path, exercise, factor=1.0)
        got = {r["reps"]: r["weight_kg"] for r in by_name[exercise]["rep_maxes"]}
        assert got == pytest.approx(expected), exercise
        best = max(w * (1 + r / 30) if r > 1 else w for r, w in expected.items())
        assert by_name[exercise]["best_e1rm"]["e1rm_kg"] == pytest.approx(best)

    summary = (await live_client.get("/v1/analytics/summary", headers=headers)).json()
    assert summary["workouts"] == 62 and summary["sets"] == 507

    # The second upload of the same file adds nothing.
    again = await import_file(
        live_client, headers, path.name, path.read_bytes(), expect="succeeded", weight_unit="kg"
    )
    counts = again["counts"]
    assert counts["workouts_created"] == 0 and counts["sets_created"] == 0
    assert counts["duplicates_skipped"] == 62
    listing = (await live_client.get("/v1/workouts?limit=200", headers=headers)).json()
    assert len(listing["items"]) == 62


async def test_lb_file_with_set_types_and_rejected_row(live_client):
    path = STRONG / "strong-semicolon-weight-unit-column.csv"
    headers = await register(live_client)
    job = await import_file(live_client, headers, path.name, path.read_bytes(), expect="partial")
    # 18 of 2,401 rows rejected: under half, so no summary in the message.
    assert job["status"] == "partial" and job["progress"] == 1.0 and job["message"] is None
    rejected = [e for e in job["errors"] if e["line"] == 2401]
    assert rejected and rejected[0]["column"] == "Reps"
    # The 877777-reps row sinks its workout: 18 rows (grep -c of its Date;Name prefix).
    assert job["counts"]["rows_rejected"] == 18
    assert job["counts"]["workouts_created"] == len(ref.workout_keys(path)) - 1 == 291
    user_id = await user_id_of(live_client, headers)
    refresh_user(user_id)
    prs = (await live_client.get("/v1/analytics/personal-records", headers=headers)).json()
    by_name = {item["exercise_name"]: item for item in prs["items"]}
    exercise = "Bench Press (Dumbbell)"
    expected = ref.rep_maxes(path, exercise, factor=ref.LB)
    got = {r["reps"]: r["weight_kg"] for r in by_name[exercise]["rep_maxes"]}
    assert got == pytest.approx(expected)

    # Correcting the row and importing again creates that workout, complete.
    fixed = path.read_bytes().replace(b"lbs;877777;", b"lbs;8;")
    assert fixed != path.read_bytes()
    # Nothing is rejected any more.
    job = await import_file(live_client, headers, "fixed.csv", fixed, expect="succeeded")
    counts = job["counts"]
    assert (counts["workouts_created"], counts["sets_created"]) == (1, 18)
    assert counts["duplicates_skipped"] == 291 + 2  # stored ones + the 2 repeated in the file


async def test_file_without_unit_fails_asking_for_it(live_client):
    path = STRONG / "strong-lbs-large-set-types.csv"
    headers = await register(live_client)
    job = await import_file(live_client, headers, path.name, path.read_bytes(), expect="failed")
    assert job["status"] == "failed"
    assert "weight_unit" in job["message"]
    listing = (await live_client.get("/v1/workouts", headers=headers)).json()
    assert listing["items"] == []


async def test_another_users_import_is_404(live_client):
    path = STRONG / "strong-kg-swedish-names.csv"
    owner = await register(live_client)
    job_id = await upload(live_client, owner, path.name, path.read_bytes(), weight_unit="kg")
    stranger = await register(live_client)
    assert (await live_client.get(f"/v1/imports/{job_id}", headers=stranger)).status_code == 404


CLASSIC_HEADER = STRONG_HEADER + "\n"


async def test_a_file_of_only_bad_rows_fails_listing_them(live_client):
    headers = await register(live_client)
    body = CLASSIC_HEADER + '2024-01-01 08:00:00,"A",1h,"Squat (Barbell)",1,100,877777,0,0,,,\n'
    job = await import_file(
        live_client, headers, "bad.csv", body, expect="failed", weight_unit="kg"
    )
    assert job["counts"]["rows"] == 1 and job["counts"]["rows_rejected"] == 1
    assert {(e["line"], e["column"], e["code"]) for e in job["errors"]} == {
        (2, "Reps", "out_of_range"),
        (2, None, "workout_rejected"),
    }
    assert "none of the 1 records" in job["message"]
    # Every row rejected: the message names the cause in words, with the row's example.
    assert "1 row has a 'Reps' value outside what is possible" in job["message"]
    assert "line 2: reps 877777 is outside" in job["message"]


async def test_impossible_dates_are_rejected_and_analytics_still_refresh(live_client):
    headers = await register(live_client)
    body = CLASSIC_HEADER + "".join(
        f'{day},"A",1h,"Squat (Barbell)",1,100,5,0,0,,,\n'
        for day in ("0001-01-01 00:00:00", "9999-12-31 23:59:59", "2024-01-01 08:00:00")
    )
    job = await import_file(
        live_client, headers, "dates.csv", body, expect="partial", weight_unit="kg"
    )
    assert [(e["line"], e["code"]) for e in job["errors"]] == [
        (2, "out_of_range"),
        (3, "out_of_range"),
    ]
    # 2 of the 3 rows rejected, more than half: the message says why, quoting line 2.
    assert job["message"] == (
        "2 of 3 rows (66.7 %) were rejected: 2 rows have 'Date' values outside what is "
        "possible, such as line 2: '0001-01-01 00:00:00' is before 1900 or more than 24 "
        "hours in the future"
    )
    assert job["counts"]["workouts_created"] == 1
    user_id = await user_id_of(live_client, headers)
    assert refresh_user(user_id) is True
    summary = (await live_client.get("/v1/analytics/summary", headers=headers)).json()
    assert summary["stale"] is False and summary["workouts"] == 1


async def test_names_match_whatever_their_case_and_accents(live_client, sync_engine):
    # Translated catalogue names, accents on or off, and a custom exercise the user
    # made before: nothing new is created for any of them, and two spellings of one
    # new name that differ only in accents make one custom exercise, named as first seen.
    headers = await register(live_client)
    made = await live_client.post(
        "/v1/exercises",
        headers=headers,
        json={"name": "Rowing Haltère Unilatéral", "kind": "strength", "primary_muscles": []},
    )
    assert made.status_code == 201, made.text
    names = [
        "Sentadilla",
        "DÉVELOPPÉ COUCHÉ",
        "developpe couche",
        "Klimmzüge",
        "rowing haltere unilateral",
        "Élévation Latérale Poulie",
        "ELEVATION laterale poulie",
    ]
    body = CLASSIC_HEADER + "".join(
        f'2024-01-0{n + 1} 08:00:00,"A",1h,"{name}",1,50,5,0,0,,,\n' for n, name in enumerate(names)
    )
    await import_file(live_client, headers, "fr.csv", body, expect="succeeded", weight_unit="kg")
    user_id = await user_id_of(live_client, headers)
    with sync_engine.connect() as conn:
        used = conn.execute(
            text(
                "SELECT e.name, e.user_id IS NULL, count(*) FROM workout_sets s"
                " JOIN exercises e ON e.id = s.exercise_id WHERE s.user_id = :u"
                " GROUP BY 1, 2"
            ),
            {"u": user_id},
        ).all()
        customs = conn.execute(
            text("SELECT name FROM exercises WHERE user_id = :u ORDER BY name"), {"u": user_id}
        ).scalars()
        assert list(customs) == ["Rowing Haltère Unilatéral", "Élévation Latérale Poulie"]
    assert sorted(used) == [
        ("Bench Press (Barbell)", True, 2),
        ("Pull Up", True, 1),
        ("Rowing Haltère Unilatéral", False, 1),
        ("Squat (Barbell)", True, 1),
        ("Élévation Latérale Poulie", False, 2),
    ]


async def test_a_job_running_elsewhere_is_left_alone_and_a_stuck_one_resent(
    live_client, sync_engine, settings
):
    path = STRONG / "strong-kg-swedish-names.csv"
    headers = await register(live_client)
    job_id = await upload(live_client, headers, path.name, path.read_bytes(), weight_unit="kg")
    lock = text("SELECT pg_advisory_lock(hashtextextended(:k, 0))")
    unlock = text("SELECT pg_advisory_unlock(hashtextextended(:k, 0))")
    with sync_engine.connect() as other_worker:
        other_worker.execute(lock, {"k": f"import:{job_id}"})
        other_worker.commit()
        assert run_import(job_id) is None  # another worker holds it: nothing happens
        other_worker.execute(unlock, {"k": f"import:{job_id}"})
        other_worker.commit()
    # Left queued for longer than the resend age, the sweep sends it again.
    with sync_engine.begin() as conn:
        conn.execute(
            text("UPDATE import_jobs SET updated_at = now() - make_interval(secs => :s)"),
            {"s": settings.import_resend_after_s + 5},
        )
    assert sweep()["imports"] == 1
    assert run_import(job_id) == "succeeded"
    assert run_import(job_id) is None  # finished jobs are not run twice
    assert sweep()["imports"] == 0


async def test_a_running_import_is_resent_once_its_worker_is_gone_not_before(
    live_client, sync_engine
):
    path = STRONG / "strong-kg-swedish-names.csv"
    headers = await register(live_client)
    job_id = await upload(live_client, headers, path.name, path.read_bytes(), weight_unit="kg")
    lock = text("SELECT pg_advisory_lock(hashtextextended(:k, 0))")
    worker = sync_engine.connect()
    try:
        # A worker claims the job and holds its lock, as run_import does.
        worker.execute(lock, {"k": f"import:{job_id}"})
        worker.commit()
        with worker.begin():
            assert import_store.claim_job(worker, job_id) is not None
        backend = worker.execute(text("SELECT pg_backend_pid()")).scalar_one()
        worker.commit()
        with sync_engine.begin() as conn:  # silent for an hour, but its worker is alive
            conn.execute(
                text("UPDATE import_jobs SET updated_at = now() - interval '1 hour'"),
            )
        assert sweep()["imports"] == 0
        # The worker dies: PostgreSQL ends its session and with it the lock.
        with sync_engine.connect() as admin:
            assert admin.execute(
                text("SELECT pg_terminate_backend(:p)"), {"p": backend}
            ).scalar_one()
            admin.commit()
        worker.invalidate()
    finally:
        worker.close()
    with sync_engine.begin() as conn:  # however recent its last progress
        conn.execute(text("UPDATE import_jobs SET updated_at = now()"))
        status = conn.execute(text("SELECT status FROM import_jobs")).scalar_one()
    assert status == "running"
    deadline = 50
    while sweep()["imports"] != 1:  # the server notices the ended session within moments
        deadline -= 1
        assert deadline, "the dead worker's lock never went away"
        time.sleep(0.1)
    assert run_import(job_id) == "succeeded"  # the sweep's own lock ended with its commit
    assert sweep()["imports"] == 0

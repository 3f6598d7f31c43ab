"""Through PostgreSQL: incremental refreshes leave exactly the rows a full rebuild writes;
the sharded rebuild's progress; ``forma analytics rebuild``; deleting an athlete
forgets their derived rows; the beat's nightly rebuild."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from api.config import Settings
from pipelines.beat import schedule
from pipelines.cli import main
from pipelines.tasks.analytics import progress, rebuild_users, refresh_user, start_rebuild
from tests.support.http import register, user_id_of
from tests.support.stored import snapshot as _snapshot
from tests.support.workouts import BENCH, SQUAT, a_set, a_workout, new_id


async def _put(http, headers, start: datetime, sets: list[dict], **fields) -> str:
    workout_id = new_id()
    response = await http.put(
        f"/v1/workouts/{workout_id}",
        headers=headers,
        json={"id": workout_id, **a_workout(start, sets=sets, **fields)},
    )
    assert response.status_code == 201, response.text
    return workout_id


async def test_incremental_refreshes_equal_a_full_rebuild_in_postgresql(live_client, sync_engine):
    headers = await register(live_client)
    user_id = await user_id_of(live_client, headers)
    start = datetime(2024, 1, 1, 7, 0, tzinfo=UTC)
    ids = []
    for week in range(60):  # 60 weeks, two sessions a week, slowly heavier
        for offset, exercise in ((0, BENCH), (3, SQUAT)):
            kg = 80.0 + week * 0.5
            ids.append(
                await _put(
                    live_client,
                    headers,
                    start + timedelta(weeks=week, days=offset),
                    [a_set(exercise, weight_kg=kg, reps=5), a_set(exercise, weight_kg=kg, reps=5)],
                    session_rpe=7.0,
                )
            )
    assert refresh_user(user_id) is True
    # back-dated by a year: a heavy single early in the history, then refreshed from there
    await _put(
        live_client,
        headers,
        start + timedelta(weeks=8, days=1),
        [a_set(BENCH, weight_kg=140.0, reps=1)],
    )
    assert refresh_user(user_id) is True
    # a deletion in the middle, and the newest workout deleted (the calendar ends earlier)
    for workout_id in (ids[30], ids[-1]):
        response = await live_client.delete(f"/v1/workouts/{workout_id}", headers=headers)
        assert response.status_code == 204, response.text
        assert refresh_user(user_id) is True
    incremental = _snapshot(sync_engine, user_id)
    rebuild_users([user_id])
    full = _snapshot(sync_engine, user_id)
    assert incremental == full
    assert (
        len(full["analytics_daily_load"])
        == ((start + timedelta(weeks=59)).date() - start.date()).days + 1
    )  # first session to the last one left (week 59's Monday)
    # the back-dated 140 kg single is the standing 1-rep record
    singles = [r for r in full["analytics_rep_max_prs"] if r[3] == 1 and r[2] == "rep_max"]
    assert [r[4] for r in singles] == [140.0]


async def test_sharded_rebuild_reports_progress_and_clears_markers(live_client, sync_engine):
    users = []
    for _ in range(3):
        headers = await register(live_client)
        await _put(live_client, headers, datetime(2025, 5, 5, 7, tzinfo=UTC), [a_set(), a_set()])
        users.append(await user_id_of(live_client, headers))
    rebuild_id, shards = start_rebuild(users, shard_size=2)
    assert [len(s) for s in shards] == [2, 1]
    assert progress(rebuild_id)["finished_at"] is None
    for shard in shards:
        rebuild_users(shard, rebuild_id=rebuild_id)
    row = progress(rebuild_id)
    assert (row["shards_done"], row["users_done"], row["sets_done"]) == (2, 3, 6)
    assert row["finished_at"] is not None
    assert row["read_s"] > 0 and row["derive_s"] > 0 and row["write_s"] > 0
    with sync_engine.connect() as conn:
        owed = conn.execute(
            text("SELECT count(*) FROM analytics_dirty WHERE user_id = ANY(:u)"), {"u": users}
        ).scalar_one()
        days = conn.execute(
            text("SELECT count(*) FROM analytics_daily_load WHERE user_id = ANY(:u)"), {"u": users}
        ).scalar_one()
    assert owed == 0 and days == 3  # one training day each


async def test_forma_analytics_rebuild_command(live_client, sync_engine, capsys):
    headers = await register(live_client, email="rebuild-me@example.com")
    await _put(live_client, headers, datetime(2025, 6, 2, 7, tzinfo=UTC), [a_set()])
    assert main(["analytics", "rebuild", "--local", "--shard-size", "1"]) == 0
    assert "rebuilt 1 athletes (1 sets)" in capsys.readouterr().out
    assert main(["analytics", "rebuild", "--user", "REBUILD-ME@example.com"]) == 0
    assert main(["analytics", "rebuild", "--user", "nobody@example.com"]) == 2
    assert "no user with e-mail 'nobody@example.com'" in capsys.readouterr().err


async def test_deleting_an_athlete_forgets_their_derived_rows(live_client, sync_engine):
    headers = await register(live_client)
    await _put(live_client, headers, datetime(2025, 6, 2, 7, tzinfo=UTC), [a_set()])
    user_id = await user_id_of(live_client, headers)
    assert refresh_user(user_id) is True
    assert sum(map(len, _snapshot(sync_engine, user_id).values())) > 0
    with sync_engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE id = :u"), {"u": user_id})
    assert sum(map(len, _snapshot(sync_engine, user_id).values())) == 0


@pytest.mark.parametrize(("hour", "scheduled"), [(3, True), (None, False)])
def test_the_beat_schedules_the_nightly_rebuild_unless_turned_off(hour, scheduled):
    settings = Settings(environment="test", secret_key="x" * 32, rebuild_hour_utc=hour)
    entries = schedule(settings)
    assert ("nightly-analytics-rebuild" in entries) is scheduled
    if scheduled:
        nightly = entries["nightly-analytics-rebuild"]
        assert nightly["task"] == "analytics.rebuild_all"
        assert nightly["schedule"].hour == {3} and nightly["schedule"].minute == {0}

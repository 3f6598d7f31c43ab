"""What an athlete's analytics show: only their own data, and whether it is fresh
(``stale``/``as_of`` on every endpoint until the refresh lands).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pipelines.tasks.analytics import refresh_user
from tests.support.analytics import BENCH, SQUAT, athlete, get, local, put, records, rep_maxes, s

# ------------------------------------------------------------------ isolation


async def test_another_athletes_data_never_appears(live_client):
    me, my_id = await athlete(live_client)
    other, other_id = await athlete(live_client)
    sled = await live_client.post(
        "/v1/exercises", json={"name": "Sled Push Heavy", "kind": "strength"}, headers=other
    )
    assert sled.status_code == 201, sled.text
    sled_id = sled.json()["id"]
    day = datetime.now(ZoneInfo("Europe/Oslo")) - timedelta(days=2)
    await put(live_client, other, local("Europe/Oslo", 2024, 5, 6, 9), [
        s(SQUAT, 200.0, 5), s(sled_id, 150.0, 8), s(BENCH, 150.0, 1)], rpe=9)  # fmt: skip
    await put(live_client, other, day.replace(hour=9, minute=0, second=0, microsecond=0), [
        s(SQUAT, 200.0, 5)], rpe=9)  # fmt: skip
    await put(live_client, me, local("Europe/Oslo", 2024, 5, 6, 18), [s(BENCH, 100.0, 5)], rpe=5)
    assert refresh_user(my_id) is True and refresh_user(other_id) is True
    await put(live_client, other, local("Europe/Oslo", 2024, 5, 7, 9), [s(SQUAT, 1.0, 1)], rpe=1)

    prs = await records(live_client, me)
    assert list(prs) == [BENCH] and rep_maxes(prs[BENCH]) == {5: (100.0, "2024-05-06")}
    assert (await live_client.get(
        f"/v1/analytics/exercises/{sled_id}/progress", headers=me)).status_code == 404  # fmt: skip
    squat = await get(live_client, me, f"/v1/analytics/exercises/{SQUAT}/progress")
    assert squat["items"] == [] and squat["sessions"] == [] and squat["best_session"] is None
    load = await get(live_client, me, "/v1/analytics/load?from=2024-05-06&to=2024-05-06")
    assert [(i["sessions"], i["load"]) for i in load["items"]] == [(1, 300.0)]
    summary = await get(live_client, me, "/v1/analytics/summary")
    assert (summary["workouts"], summary["exercises"], summary["volume_load_kg"]) == (1, 1, 500.0)
    assert summary["stale"] is False  # the other athlete's pending refresh is not mine
    balance = await get(live_client, me, "/v1/analytics/muscle-balance?weeks=2")
    assert all(w["muscles"] == [] for w in balance["weeks"]) and balance["totals"] == []


# ------------------------------------------------------------------ freshness


async def test_stale_until_refreshed_on_every_endpoint(live_client):
    headers, user_id = await athlete(live_client)
    urls = [
        "/v1/analytics/load", "/v1/analytics/muscle-balance", "/v1/analytics/summary",
        f"/v1/analytics/exercises/{BENCH}/progress", "/v1/analytics/personal-records",
    ]  # fmt: skip

    async def freshness() -> set[tuple]:
        return {
            (b["stale"], b["as_of"]) for b in [await get(live_client, headers, u) for u in urls]
        }

    assert await freshness() == {(False, None)}  # nothing written, nothing owed
    assert (await get(live_client, headers, urls[0]))["items"] == []
    workout_id = await put(
        live_client, headers, local("Europe/Oslo", 2024, 5, 6, 10), [s(BENCH, 100.0, 5)], rpe=5
    )
    assert await freshness() == {(True, None)}
    assert refresh_user(user_id) is True
    [(stale, as_of)] = await freshness()
    assert stale is False and as_of is not None
    url = "/v1/analytics/load?from=2024-05-06&to=2024-05-06"
    assert (await get(live_client, headers, url))["items"][0]["load"] == 300.0

    await live_client.patch(f"/v1/workouts/{workout_id}", json={"session_rpe": 8}, headers=headers)
    assert await freshness() == {(True, as_of)}  # the figures still reflect the old data
    assert (await get(live_client, headers, url))["items"][0]["load"] == 300.0
    assert refresh_user(user_id) is True
    [(stale, newer)] = await freshness()
    assert stale is False and datetime.fromisoformat(newer) > datetime.fromisoformat(as_of)
    assert (await get(live_client, headers, url))["items"][0]["load"] == 8 * 60

"""GET /v1/workouts and /v1/workouts/{id} over an imported Strong file."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import REAL_DATA
from tests.support.http import register
from tests.support.import_jobs import import_file

SWEDISH = REAL_DATA / "strong" / "strong-kg-swedish-names.csv"
ZONE = ZoneInfo("Europe/Stockholm")


def _file_workouts() -> Counter[tuple[str, str]]:
    with SWEDISH.open(encoding="utf-8") as fh:
        return Counter((r["Date"], r["Workout Name"].strip()) for r in csv.DictReader(fh))


@pytest.fixture
async def imported(live_client):
    headers = await register(live_client, time_zone="Europe/Stockholm")
    content = SWEDISH.read_bytes()
    await import_file(
        live_client, headers, SWEDISH.name, content, expect="succeeded", weight_unit="kg"
    )
    return headers


async def test_pages_walk_every_workout_once_newest_first(live_client, imported):
    seen: list[dict] = []
    cursor = None
    while True:
        url = "/v1/workouts?limit=25" + (f"&cursor={cursor}" if cursor else "")
        page = (await live_client.get(url, headers=imported)).json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    expected = _file_workouts()
    assert len(seen) == len({w["id"] for w in seen}) == len(expected) == 62
    starts = [w["started_at"] for w in seen]
    assert starts == sorted(starts, reverse=True)
    assert sum(w["set_count"] for w in seen) == sum(expected.values()) == 507


async def test_from_to_filter_in_utc_and_local(live_client, imported):
    local_days = [datetime.fromisoformat(d) for d, _ in _file_workouts()]
    lo, hi = datetime(2022, 9, 1), datetime(2022, 10, 1)
    expected = sum(1 for d in local_days if lo <= d < hi)
    # A bound without an offset is read in the user's own zone (Europe/Stockholm).
    page = (
        await live_client.get(
            "/v1/workouts?limit=200&from=2022-09-01T00:00:00&to=2022-10-01T00:00:00",
            headers=imported,
        )
    ).json()
    assert len(page["items"]) == expected
    utc_lo = lo.replace(tzinfo=ZONE).isoformat()
    utc_hi = hi.replace(tzinfo=ZONE).isoformat()
    page_utc = (
        await live_client.get(
            "/v1/workouts", params={"limit": 200, "from": utc_lo, "to": utc_hi}, headers=imported
        )
    ).json()
    assert len(page_utc["items"]) == expected
    bad = await live_client.get(
        "/v1/workouts?from=2022-10-01T00:00:00Z&to=2022-09-01T00:00:00Z", headers=imported
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_range"


async def test_one_workout_with_its_sets_in_order(live_client, imported):
    page = (await live_client.get("/v1/workouts?limit=200", headers=imported)).json()
    first = page["items"][-1]  # the oldest: 2022-07-28 20:14:20 "Ben"
    assert first["title"] == "Ben"
    assert first["started_at"] == "2022-07-28T18:14:20Z"  # 20:14:20 CEST = UTC+2
    assert first["ended_at"] == "2022-07-28T18:21:20Z"  # Duration "7m"
    detail = (await live_client.get(f"/v1/workouts/{first['id']}", headers=imported)).json()
    with SWEDISH.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["Date"] == "2022-07-28 20:14:20"]
    assert [s["exercise_name"] for s in detail["sets"]] == [r["Exercise Name"] for r in rows]
    assert [s["weight_kg"] for s in detail["sets"]] == [float(r["Weight"]) for r in rows]
    assert [s["reps"] for s in detail["sets"]] == [int(r["Reps"]) for r in rows]
    assert {s["weight_unit"] for s in detail["sets"]} == {"kg"}
    assert [s["position"] for s in detail["sets"]] == list(range(len(rows)))


async def test_another_users_workout_is_404(live_client, imported):
    page = (await live_client.get("/v1/workouts?limit=1", headers=imported)).json()
    stranger = await register(live_client)
    wid = page["items"][0]["id"]
    assert (await live_client.get(f"/v1/workouts/{wid}", headers=stranger)).status_code == 404
    assert (await live_client.get("/v1/workouts", headers=stranger)).json()["items"] == []


async def test_bad_cursor_and_limit_are_422(live_client, imported):
    for query in ("cursor=bm90LWpzb24", "cursor=WyJ4Il0", "limit=0", "limit=201", "from=yesterday"):
        response = await live_client.get(f"/v1/workouts?{query}", headers=imported)
        assert response.status_code == 422, query

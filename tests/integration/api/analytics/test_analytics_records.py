"""``GET /v1/analytics/personal-records`` in cursor pages (DESIGN §6 lists).

A page holds ``limit`` exercises, each with every one of its records; without ``limit``
the whole list comes in one page, as it did before pages existed. The pages of a list
concatenate to exactly that whole list.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from api.exercises.catalogue import exercise_id
from api.pagination import MAX_LIMIT
from pipelines.tasks.analytics import refresh_user
from tests.support.analytics import BENCH, PULL_UP, ROW, SQUAT, athlete, get, local, put, s
from tests.support.http import assert_error

URL = "/v1/analytics/personal-records"
CABLE = str(exercise_id("cable-crossover"))
CHEST = str(exercise_id("chest-press-machine"))
CALF = str(exercise_id("calf-press-machine"))
# Names that sort before and after every exercise above: "Arnold …" and "Zottman …".
FIRST = str(exercise_id("arnold-press-dumbbell"))
LAST = str(exercise_id("zottman-curl-dumbbell"))
SEVEN = [BENCH, SQUAT, ROW, CABLE, CHEST, CALF, PULL_UP]


async def trained_on(live_client, exercises: list[str], **athlete_args: Any):
    """An athlete with records in ``exercises`` (two rep counts each; max reps for the
    pull-up), refreshed."""
    headers, user_id = await athlete(live_client, **athlete_args)
    sets = [s(x, None if x == PULL_UP else 40.0 + 5 * i, 8) for i, x in enumerate(exercises)] + [
        s(x, None if x == PULL_UP else 50.0 + 5 * i, 3) for i, x in enumerate(exercises)
    ]
    await put(live_client, headers, local("Europe/Oslo", 2024, 5, 6, 10), sets, rpe=7)
    assert refresh_user(user_id) is True
    return headers, user_id


async def walk(live_client, headers, limit: int, **params: Any) -> list[list[dict]]:
    """Every page of the list, following ``next_cursor`` to the end."""
    pages: list[list[dict]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params} | ({"cursor": cursor} if cursor else {})
        response = await live_client.get(URL, params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) <= 20, "pagination does not end"


async def test_without_limit_every_exercise_comes_in_one_page(live_client):
    headers, _ = await trained_on(live_client, SEVEN)
    whole = await get(live_client, headers, URL)
    assert whole["next_cursor"] is None
    assert sorted(i["exercise_id"] for i in whole["items"]) == sorted(SEVEN)
    bench = next(i for i in whole["items"] if i["exercise_id"] == BENCH)
    assert [(r["reps"], r["weight_kg"]) for r in bench["rep_maxes"]] == [(3, 50.0), (8, 40.0)]
    pull_up = next(i for i in whole["items"] if i["exercise_id"] == PULL_UP)
    assert pull_up["max_reps"]["reps"] == 8 and pull_up["rep_maxes"] == []


async def test_pages_concatenate_to_the_whole_list(live_client):
    headers, _ = await trained_on(live_client, SEVEN)
    whole = (await get(live_client, headers, URL))["items"]
    for limit in (1, 3, 6):
        pages = await walk(live_client, headers, limit)
        sizes = [len(p) for p in pages]
        assert sizes == [limit] * (7 // limit) + ([7 % limit] if 7 % limit else []), limit
        flat = [item for page in pages for item in page]
        assert flat == whole, limit  # same entries, same order: no gap, no duplicate
        assert len({i["exercise_id"] for i in flat}) == 7
    # A page exactly as long as the list ends it: no empty page after it.
    [page] = await walk(live_client, headers, 7)
    assert page == whole
    [page] = await walk(live_client, headers, MAX_LIMIT)
    assert page == whole


async def test_every_page_carries_freshness(live_client):
    headers, _ = await trained_on(live_client, SEVEN)
    first = await get(live_client, headers, f"{URL}?limit=2")
    assert first["stale"] is False and first["as_of"] is not None
    second = await get(live_client, headers, f"{URL}?limit=2&cursor={first['next_cursor']}")
    assert (second["stale"], second["as_of"]) == (False, first["as_of"])


async def test_a_later_page_is_not_shifted_by_records_added_meanwhile(live_client):
    headers, user_id = await trained_on(live_client, SEVEN)
    before = (await get(live_client, headers, URL))["items"]
    first = await get(live_client, headers, f"{URL}?limit=3")
    assert first["items"] == before[:3]
    # New records land before the cursor ("Arnold …") and after everything ("Zottman …").
    await put(live_client, headers, local("Europe/Oslo", 2024, 5, 8, 10), [
        s(FIRST, 20.0, 10), s(LAST, 15.0, 10)], rpe=7)  # fmt: skip
    assert refresh_user(user_id) is True
    after = (await get(live_client, headers, URL))["items"]
    ids = [i["exercise_id"] for i in after]
    assert ids[0] == FIRST and ids[-1] == LAST and len(ids) == 9
    rest = await walk(live_client, headers, 3, cursor=first["next_cursor"])
    seen = [i["exercise_id"] for i in first["items"]] + [i["exercise_id"] for p in rest for i in p]
    # Everything after the last item of page one, exactly once; the one inserted before it
    # is not repeated into later pages and nothing that was there is skipped.
    assert seen == [i["exercise_id"] for i in before] + [LAST]
    assert FIRST not in seen


def _cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


async def test_bad_cursor_and_limit_bounds(live_client):
    headers, _ = await trained_on(live_client, SEVEN[:2])
    for cursor in ("not-a-cursor", _cursor(["bench", "not-a-uuid"]), _cursor(["only one"]),
                   _cursor({"name_key": "x"}), _cursor(["x", 12]),
                   # a lone surrogate: valid JSON, no UTF-8 (the database would refuse it)
                   _cursor(["\ud800", "00000000-0000-0000-0000-000000000000"])):  # fmt: skip
        response = await live_client.get(URL, params={"cursor": cursor}, headers=headers)
        error = assert_error(response, 422, "invalid_cursor")
        assert "cursor" in error["message"], error
    for limit in (0, -1, MAX_LIMIT + 1):
        response = await live_client.get(URL, params={"limit": limit}, headers=headers)
        error = assert_error(response, 422, "validation_error")
        assert error["details"][0]["loc"] == ["query", "limit"], error
    assert len((await get(live_client, headers, f"{URL}?limit=1"))["items"]) == 1
    assert len((await get(live_client, headers, f"{URL}?limit={MAX_LIMIT}"))["items"]) == 2


async def test_one_exercise_in_pages(live_client):
    headers, _ = await trained_on(live_client, SEVEN)
    body = await get(live_client, headers, f"{URL}?exercise_id={SQUAT}&limit=1")
    assert [i["exercise_id"] for i in body["items"]] == [SQUAT] and body["next_cursor"] is None


async def test_another_athletes_records_are_on_no_page(live_client):
    mine = [BENCH, SQUAT, ROW]
    headers, _ = await trained_on(live_client, mine)
    other, _ = await trained_on(live_client, [FIRST, CABLE, CHEST, LAST, BENCH])
    pages = await walk(live_client, headers, 1)
    assert sorted(i["exercise_id"] for p in pages for i in p) == sorted(mine)
    bench = next(i for p in pages for i in p if i["exercise_id"] == BENCH)
    assert [(r["reps"], r["weight_kg"]) for r in bench["rep_maxes"]] == [(3, 50.0), (8, 40.0)]
    # Another athlete's cursor only says where to start in my own list.
    theirs = await get(live_client, other, f"{URL}?limit=1")
    assert theirs["items"][0]["exercise_id"] == FIRST
    from_theirs = await walk(live_client, headers, 1, cursor=theirs["next_cursor"])
    assert sorted(i["exercise_id"] for p in from_theirs for i in p) == sorted(mine)

"""GET /v1/exercises?q=…: ranked, case- and accent-insensitive search, paged by rank key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from api.exercises import repository, service
from api.exercises.catalogue import exercise_id
from tests.support.http import assert_error, register
from tests.support.workouts import a_set, a_workout, new_id

# q=squat over the seeded catalogue, by hand: the names that start with "squat" (by
# name), then those with a word starting with it, then the alias-only matches
# ("Squat Clean", "Squat Snatch").
NAME_PREFIX = [
    "Squat (Barbell)",
    "Squat (Bodyweight)",
    "Squat (Dumbbell)",
    "Squat (Machine)",
    "Squat (Smith Machine)",
]
WORD_PREFIX = [
    "Belt Squat",
    "Box Squat (Barbell)",
    "Bulgarian Split Squat",
    "Bulgarian Split Squat (Smith Machine)",
    "Front Squat (Barbell)",
    "Goblet Squat (Kettlebell)",
    "Hack Squat",
    "Hack Squat (Barbell)",
    "Jump Squat",
    "Low Bar Squat (Barbell)",
    "Overhead Squat (Barbell)",
    "Pause Squat (Barbell)",
    "Pendulum Squat (Machine)",
    "Pin Squat (Barbell)",
    "Pistol Squat",
    "Zercher Squat (Barbell)",
]
ALIAS_ONLY = ["Clean (Barbell)", "Snatch (Barbell)"]


@pytest.fixture(autouse=True)
def _fresh_popularity() -> Iterator[None]:
    # The counts are cached per process; each test's rows are rolled back afterwards.
    service.POPULARITY.clear()
    yield
    service.POPULARITY.clear()


async def _names(client, headers, q: str, **params: Any) -> list[str]:
    response = await client.get("/v1/exercises", params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


async def _custom(client, headers, name: str, *aliases: str) -> str:
    body = {
        "name": name,
        "kind": "strength",
        "equipment": "machine",
        "primary_muscles": ["quads"],
        "aliases": list(aliases),
    }
    response = await client.post("/v1/exercises", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _train(client, headers, exercise: str, *, workouts: int = 1, sets: int = 1) -> None:
    start = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)
    for n in range(workouts):
        body = a_workout(start + timedelta(days=n), sets=[a_set(exercise)] * sets)
        response = await client.put(f"/v1/workouts/{new_id()}", headers=headers, json=body)
        assert response.status_code == 201, response.text


async def test_squat_answers_names_then_words_then_aliases_then_inside(client):
    headers = await register(client)
    # The caller's own: one matched only by an alias, one only inside a word.
    await _custom(client, headers, "Wall Sit Hold", "Squat Hold")
    await _custom(client, headers, "Sissysquat Bench")
    names = await _names(client, headers, "squat", limit=200)
    assert names == (
        NAME_PREFIX + WORD_PREFIX + ALIAS_ONLY + ["Wall Sit Hold"] + ["Sissysquat Bench"]
    )


async def test_an_exact_name_comes_first(client):
    headers = await register(client)
    assert await _names(client, headers, "Hack Squat") == ["Hack Squat", "Hack Squat (Barbell)"]
    assert (await _names(client, headers, "  BELT–squat "))[0] == "Belt Squat"


async def test_case_and_accents_do_not_matter(client):
    headers = await register(client)
    for q in ("sentadilla", "Sentadilla", "SENTADÍLLA"):
        # Only a translated alias of Squat (Barbell) says "sentadilla".
        assert await _names(client, headers, q) == ["Squat (Barbell)"], q
    for q in ("développé", "developpe", "DÉVELOPPÉ COUCHÉ", "developpe couche"):
        names = await _names(client, headers, q)
        assert names[0] == "Bench Press (Barbell)", q
        # "Développé Militaire" is Overhead Press's.
        assert ("Overhead Press (Barbell)" in names) is (" " not in q), q
    await _custom(client, headers, "Élévation Latérale Poulie")
    assert await _names(client, headers, "elevation lat") == ["Élévation Latérale Poulie"]
    assert await _names(client, headers, "ÉLÉVATION") == ["Élévation Latérale Poulie"]


async def test_more_athletes_rank_higher_within_a_tier(client):
    # Zercher: two athletes, one set each. Pin: one athlete, many sets. Distinct
    # athletes count, not sets: Zercher heads the word-prefix tier, then Pin, then
    # the others by name; the name-prefix tier still comes first.
    zercher = str(exercise_id("zercher-squat-barbell"))
    pin = str(exercise_id("pin-squat-barbell"))
    for _ in range(2):
        await _train(client, await register(client), zercher)
    await _train(client, await register(client), pin, workouts=3, sets=5)
    headers = await register(client)
    names = await _names(client, headers, "squat", limit=200)
    rest = [n for n in WORD_PREFIX if n not in ("Zercher Squat (Barbell)", "Pin Squat (Barbell)")]
    assert names == (
        NAME_PREFIX + ["Zercher Squat (Barbell)", "Pin Squat (Barbell)"] + rest + ALIAS_ONLY
    )


async def test_another_users_custom_exercises_stay_theirs(client):
    other = await register(client)
    theirs = await _custom(client, other, "Squat Zeta")
    await _train(client, other, theirs, workouts=2)
    # To its owner it is a trained name-prefix match: first of its tier.
    assert (await _names(client, other, "squat"))[:2] == ["Squat Zeta", "Squat (Barbell)"]
    headers = await register(client)
    response = await client.get(
        "/v1/exercises", params={"q": "squat", "limit": 200}, headers=headers
    )
    assert theirs not in [item["id"] for item in response.json()["items"]]
    assert [item["name"] for item in response.json()["items"]][:5] == NAME_PREFIX
    assert await _names(client, headers, "zeta") == []


async def test_paging_a_search_gives_the_one_big_page(client):
    headers = await register(client)
    await _custom(client, headers, "Wall Sit Hold", "Squat Hold")
    await _train(client, await register(client), str(exercise_id("belt-squat")))
    one = (
        await client.get("/v1/exercises", params={"q": "squat", "limit": 200}, headers=headers)
    ).json()
    assert one["next_cursor"] is None
    paged: list[str] = []
    cursor = None
    while True:
        params = {"q": "squat", "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/exercises", params=params, headers=headers)).json()
        assert 1 <= len(page["items"]) <= 2
        paged += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert paged == [item["id"] for item in one["items"]]
    assert len(set(paged)) == len(paged) == len(one["items"]) == 24
    assert one["items"][5]["name"] == "Belt Squat"  # the trained one heads its tier


async def test_a_cursor_of_another_listing_is_refused(client):
    headers = await register(client)
    by_name = (await client.get("/v1/exercises", params={"limit": 2}, headers=headers)).json()
    response = await client.get(
        "/v1/exercises",
        params={"q": "squat", "cursor": by_name["next_cursor"]},
        headers=headers,
    )
    assert_error(response, 422, "invalid_cursor")
    searched = (
        await client.get("/v1/exercises", params={"q": "squat", "limit": 2}, headers=headers)
    ).json()
    response = await client.get(
        "/v1/exercises", params={"cursor": searched["next_cursor"]}, headers=headers
    )
    assert_error(response, 422, "invalid_cursor")


async def test_a_search_answers_when_the_counts_cannot_be_had(client, monkeypatch, caplog):
    # A statement timeout on a huge database, say: ranked without popularity, and
    # the request's transaction is still usable for the rest of the search.
    async def failing(session):
        await session.execute(text("SELECT 1 / 0"))
        return {}

    monkeypatch.setattr(repository, "catalogue_popularity", failing)
    await _train(client, await register(client), str(exercise_id("zercher-squat-barbell")))
    headers = await register(client)
    assert await _names(client, headers, "squat", limit=200) == (
        NAME_PREFIX + WORD_PREFIX + ALIAS_ONLY
    )
    assert "exercise popularity unavailable" in caplog.text


async def test_popularity_ranks_a_search_served_in_autocommit(live_client, caplog):
    # A real read request runs its statements in autocommit mode (the rolled-back tier
    # above cannot show it): the counts must load there too, not fail on a SAVEPOINT.
    await _train(
        live_client,
        await register(live_client),
        str(exercise_id("zercher-squat-barbell")),
        workouts=2,
    )
    headers = await register(live_client)
    names = await _names(live_client, headers, "squat", limit=200)
    # the only trained word-prefix match leads its tier; the other tiers are untouched
    assert (
        names
        == NAME_PREFIX
        + ["Zercher Squat (Barbell)"]
        + [n for n in WORD_PREFIX if n != "Zercher Squat (Barbell)"]
        + ALIAS_ONLY
    )
    assert "exercise popularity unavailable" not in caplog.text

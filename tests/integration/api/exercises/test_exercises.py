"""GET /v1/exercises: catalogue search, custom exercises, pagination."""

from __future__ import annotations

from api.exercises.catalogue import CATALOGUE_V1, exercise_id, normalise_name
from tests.support.http import register


async def test_search_finds_by_name_and_alias(client):
    headers = await register(client)
    bench = next(e for e in CATALOGUE_V1 if e.name == "Bench Press (Barbell)")
    found = (
        await client.get("/v1/exercises", params={"q": "bench press (barbell)"}, headers=headers)
    ).json()
    ids = [item["id"] for item in found["items"]]
    assert str(exercise_id(bench.slug)) in ids
    alias_owner = next(e for e in CATALOGUE_V1 if e.aliases)
    alias = alias_owner.aliases[0]
    by_alias = (
        await client.get("/v1/exercises", params={"q": alias, "limit": 200}, headers=headers)
    ).json()
    assert str(exercise_id(alias_owner.slug)) in [i["id"] for i in by_alias["items"]]


async def test_pages_cover_the_catalogue_in_name_order(client):
    headers = await register(client)
    names: list[str] = []
    cursor = None
    while True:
        params = {"limit": 97} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/exercises", params=params, headers=headers)).json()
        names += [i["name"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(names) == len(CATALOGUE_V1)
    assert [normalise_name(n) for n in names] == sorted(
        normalise_name(e.name) for e in CATALOGUE_V1
    )


async def test_wildcards_are_literal_and_one_exercise_is_readable(client):
    headers = await register(client)
    none = (await client.get("/v1/exercises", params={"q": "%_%"}, headers=headers)).json()
    assert none["items"] == []
    squat = next(e for e in CATALOGUE_V1 if e.name == "Squat (Barbell)")
    one = await client.get(f"/v1/exercises/{exercise_id(squat.slug)}", headers=headers)
    assert one.status_code == 200
    assert one.json()["kind"] == "strength" and one.json()["custom"] is False
    missing = await client.get(
        "/v1/exercises/00000000-0000-0000-0000-000000000000", headers=headers
    )
    assert missing.status_code == 404

"""Custom exercises: create, search, edit, merge targets, scoping and delete (rolled-back tier)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.exercises import (
    BENCH,
    BENCH_ID,
    LANDMINE,
    create_exercise,
    edit_merge_delete,
)
from tests.support.http import assert_error, register


def _locs(response) -> list[list[Any]]:
    return [d["loc"] for d in assert_error(response, 422, "validation_error")["details"]]


async def test_create_is_201_and_found_by_search(client):
    headers = await register(client)
    created = await create_exercise(client, headers, **LANDMINE)
    assert uuid.UUID(created["id"]).version == 4
    assert created == {
        "id": created["id"],
        "name": "Half-Kneeling Landmine Jab",  # trimmed
        "aliases": ["Landmine Jab"],
        "kind": "strength",
        "equipment": "barbell",
        "primary_muscles": ["front_delts"],
        "secondary_muscles": ["triceps", "obliques"],
        "custom": True,
        "merged_into_id": None,
    }
    found = await client.get("/v1/exercises", params={"q": "kneeling landmine"}, headers=headers)
    assert [i["id"] for i in found.json()["items"]] == [created["id"]]
    by_alias = await client.get("/v1/exercises", params={"q": "landmine jab"}, headers=headers)
    assert created["id"] in [i["id"] for i in by_alias.json()["items"]]
    one = await client.get(f"/v1/exercises/{created['id']}", headers=headers)
    assert one.status_code == 200 and one.json() == created
    # Optional fields default to empty; repeated muscles are kept once.
    minimal = await create_exercise(
        client, headers, name="Tyre Flip", kind="bodyweight", primary_muscles=["glutes", "glutes"]
    )
    assert minimal["aliases"] == [] and minimal["equipment"] is None
    assert minimal["primary_muscles"] == ["glutes"] and minimal["secondary_muscles"] == []


@pytest.mark.parametrize(
    "name",
    [
        "bench press (barbell)",
        "  BENCH   PRESS(Barbell) ",
        "Bench Press ( barbell )",
        "Flat Barbell Bench Press",  # an alias of the catalogue's bench press
        "flat  barbell bench press",
        "BENCH PRESS",
        "Développé Couché",  # a translated name of it, accents on or off
        "developpe couche",
        "BÉNCH PRÉSS",
    ],
)
async def test_catalogue_names_and_aliases_are_taken(client, name):
    headers = await register(client)
    response = await client.post(
        "/v1/exercises", headers=headers, json={"name": name, "kind": "strength"}
    )
    error = assert_error(response, 409, "exercise_exists")
    assert error["details"]["id"] == BENCH_ID and error["details"]["field"] == "name"


async def test_own_names_and_aliases_are_taken_but_not_other_users(client):
    headers = await register(client)
    mine = await create_exercise(client, headers, **LANDMINE)
    for body in (
        {"name": "half kneeling landmine jab", "kind": "strength"},
        {"name": "Landmine jab", "kind": "bodyweight"},  # my alias
        {"name": "Something New", "kind": "strength", "aliases": ["HALF-KNEELING LANDMINE JAB"]},
    ):
        error = assert_error(await client.post("/v1/exercises", headers=headers, json=body), 409)
        assert error["code"] == "exercise_exists" and error["details"]["id"] == mine["id"]
    # An alias may not take a catalogue name either: imports resolve names through aliases.
    alias_taken = await client.post(
        "/v1/exercises",
        headers=headers,
        json={"name": "My Press", "kind": "strength", "aliases": ["Bench Press (Barbell)"]},
    )
    error = assert_error(alias_taken, 409, "exercise_exists")
    assert error["details"] == {"id": BENCH_ID, "name": BENCH.name, "field": "aliases"}
    # Accents never tell two of my names apart either: imports would merge them.
    accented = await client.post(
        "/v1/exercises",
        headers=headers,
        json={"name": "Hälf Knééling Landmine Jab", "kind": "strength"},
    )
    assert assert_error(accented, 409, "exercise_exists")["details"]["id"] == mine["id"]
    other = await register(client)
    theirs = await create_exercise(client, other, **LANDMINE)
    assert theirs["id"] != mine["id"]


async def test_bad_bodies_are_422_naming_the_field(client):
    headers = await register(client)
    cases = [
        (
            {"name": "X", "kind": "strength", "primary_muscles": ["chest", "wings"]},
            ["body", "primary_muscles", 1],
        ),
        (
            {"name": "X", "kind": "strength", "secondary_muscles": ["Chest"]},
            ["body", "secondary_muscles", 0],
        ),
        ({"name": "X", "kind": "plyometric"}, ["body", "kind"]),
        ({"name": "X", "kind": "strength", "equipment": "spoon"}, ["body", "equipment"]),
        ({"name": "   ", "kind": "strength"}, ["body", "name"]),
        ({"name": "---", "kind": "strength"}, ["body", "name"]),  # nothing left normalised
        ({"name": "x" * 201, "kind": "strength"}, ["body", "name"]),
        ({"kind": "strength"}, ["body", "name"]),
        ({"name": "X"}, ["body", "kind"]),
        ({"name": "X", "kind": "strength", "aliases": [""]}, ["body", "aliases", 0]),
        ({"name": "X", "kind": "strength", "user_id": str(uuid.uuid4())}, ["body", "user_id"]),
    ]
    for body, loc in cases:
        response = await client.post("/v1/exercises", headers=headers, json=body)
        assert loc in _locs(response), (body, response.text)
    bad_muscle = await client.post(
        "/v1/exercises",
        headers=headers,
        json={"name": "X", "kind": "strength", "primary_muscles": ["wings"]},
    )
    assert "wings" in bad_muscle.json()["error"]["details"][0]["msg"]
    # 200 characters after trimming are fine.
    assert (await create_exercise(client, headers, name=" " + "y" * 200 + " ", kind="timed"))[
        "name"
    ] == ("y" * 200)
    mine = await create_exercise(client, headers, name="Yoke Walk", kind="cardio")
    for body, loc in (
        ({"name": None}, ["body", "name"]),
        ({"kind": None}, ["body", "kind"]),
        ({"primary_muscles": None}, ["body", "primary_muscles"]),
        ({"primary_muscles": ["quads", "ears"]}, ["body", "primary_muscles", 1]),
        ({"kind": "yoga"}, ["body", "kind"]),
    ):
        response = await client.patch(f"/v1/exercises/{mine['id']}", headers=headers, json=body)
        assert loc in _locs(response), (body, response.text)


async def test_patch_renames_and_changes_fields(client):
    headers = await register(client)
    mine = await create_exercise(client, headers, **LANDMINE)
    other = await create_exercise(client, headers, name="Yoke Walk", kind="cardio")
    url = f"/v1/exercises/{mine['id']}"
    response = await client.patch(
        url,
        headers=headers,
        json={
            "name": "Landmine Punch",
            "kind": "bodyweight",
            "equipment": None,
            "primary_muscles": ["obliques"],
            "aliases": [],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Landmine Punch" and body["kind"] == "bodyweight"
    assert body["equipment"] is None and body["primary_muscles"] == ["obliques"]
    assert body["secondary_muscles"] == ["triceps", "obliques"]  # not sent: unchanged
    assert body["aliases"] == []
    assert (await client.get(url, headers=headers)).json() == body
    found = await client.get("/v1/exercises", params={"q": "punch"}, headers=headers)
    assert [i["id"] for i in found.json()["items"]] == [mine["id"]]
    gone = await client.get("/v1/exercises", params={"q": "landmine jab"}, headers=headers)
    assert gone.json()["items"] == []
    # The old name is free again; renames follow the same uniqueness rules.
    await create_exercise(client, headers, name="Half-Kneeling Landmine Jab", kind="strength")
    for name, taken_by in (("bench press", BENCH_ID), ("YOKE walk", other["id"])):
        error = assert_error(
            await client.patch(url, headers=headers, json={"name": name}), 409, "exercise_exists"
        )
        assert error["details"]["id"] == taken_by
    # A change of case is a rename of the exercise itself, not a clash with it.
    recased = await client.patch(url, headers=headers, json={"name": "LANDMINE punch"})
    assert recased.status_code == 200 and recased.json()["name"] == "LANDMINE punch"
    assert (await client.patch(url, headers=headers, json={})).json() == recased.json()


async def test_catalogue_exercises_are_403(client):
    headers = await register(client)
    mine = await create_exercise(client, headers, name="Yoke Walk", kind="cardio")
    changes = await edit_merge_delete(
        client, headers, BENCH_ID, patch={"name": "Bench"}, into=mine["id"]
    )
    for response in changes:
        assert_error(response, 403, "catalogue_exercise")
    still = (await client.get(f"/v1/exercises/{BENCH_ID}", headers=headers)).json()
    assert still["name"] == BENCH.name and still["merged_into_id"] is None


async def test_another_users_exercise_is_404_everywhere(client):
    owner = await register(client)
    theirs = await create_exercise(client, owner, **LANDMINE)
    intruder = await register(client)
    mine = await create_exercise(client, intruder, name="Yoke Walk", kind="cardio")
    url = f"/v1/exercises/{theirs['id']}"
    changes = await edit_merge_delete(
        client, intruder, theirs["id"], patch={"name": "Mine Now"}, into=BENCH_ID
    )
    for response in (
        await client.get(url, headers=intruder),
        *changes,
        # Not as a merge target either.
        await client.post(
            f"/v1/exercises/{mine['id']}/merge", headers=intruder, json={"into": theirs["id"]}
        ),
    ):
        assert_error(response, 404, "not_found")
    listed = await client.get("/v1/exercises", params={"q": "landmine jab"}, headers=intruder)
    assert theirs["id"] not in [i["id"] for i in listed.json()["items"]]
    assert (await client.get(url, headers=owner)).json() == theirs
    assert (await client.get(f"/v1/exercises/{mine['id']}", headers=intruder)).json() == mine


async def test_merge_targets_are_checked(client):
    headers = await register(client)
    a = await create_exercise(client, headers, name="Keg Toss", kind="cardio")
    b = await create_exercise(client, headers, name="Keg Carry", kind="cardio")
    c = await create_exercise(client, headers, name="Keg Load", kind="cardio")
    merge = f"/v1/exercises/{a['id']}/merge"
    assert_error(
        await client.post(merge, headers=headers, json={"into": a["id"]}),
        422,
        "invalid_merge_target",
    )
    assert_error(await client.post(merge, headers=headers, json={"into": str(uuid.uuid4())}), 404)
    assert _locs(await client.post(merge, headers=headers, json={})) == [["body", "into"]]
    # b → c, then a cannot go into b (merged), only into c.
    into_c = await client.post(
        f"/v1/exercises/{b['id']}/merge", headers=headers, json={"into": c["id"]}
    )
    assert into_c.status_code == 200 and into_c.json()["id"] == c["id"]
    error = assert_error(
        await client.post(merge, headers=headers, json={"into": b["id"]}), 409, "target_merged"
    )
    assert error["details"]["merged_into_id"] == c["id"]
    # c → a: what was merged into c (b) now points at a too, one hop.
    assert (
        await client.post(f"/v1/exercises/{c['id']}/merge", headers=headers, json={"into": a["id"]})
    ).status_code == 200
    for merged in (b, c):
        got = (await client.get(f"/v1/exercises/{merged['id']}", headers=headers)).json()
        assert got["merged_into_id"] == a["id"]
    listed = await client.get("/v1/exercises", params={"q": "keg"}, headers=headers)
    assert [i["id"] for i in listed.json()["items"]] == [a["id"]]
    # A merged exercise is frozen: no edits, no second merge, no delete.
    frozen = await edit_merge_delete(
        client, headers, b["id"], patch={"kind": "timed"}, into=a["id"]
    )
    for response in frozen:
        assert_error(response, 409, "already_merged")
    # The target of merges cannot be deleted while the redirects point at it.
    in_use = assert_error(
        await client.delete(f"/v1/exercises/{a['id']}", headers=headers), 409, "exercise_in_use"
    )
    assert sorted(in_use["details"]["merged_from"]) == sorted([b["id"], c["id"]])


async def test_unused_exercise_deletes_to_204(client):
    headers = await register(client)
    mine = await create_exercise(client, headers, **LANDMINE)
    response = await client.delete(f"/v1/exercises/{mine['id']}", headers=headers)
    assert response.status_code == 204 and response.content == b""
    assert_error(await client.get(f"/v1/exercises/{mine['id']}", headers=headers), 404)
    assert_error(await client.delete(f"/v1/exercises/{mine['id']}", headers=headers), 404)
    await create_exercise(client, headers, **LANDMINE)  # the name is free again


async def test_routes_declare_their_errors(client):
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    expected = {
        ("/v1/exercises", "post"): {"401", "409", "422"},
        ("/v1/exercises/{exercise_id}", "patch"): {"401", "403", "404", "409", "422"},
        ("/v1/exercises/{exercise_id}/merge", "post"): {"401", "403", "404", "409", "422"},
        ("/v1/exercises/{exercise_id}", "delete"): {"401", "403", "404", "409", "422"},
    }
    for (path, method), statuses in expected.items():
        operation = paths[path][method]
        assert statuses <= set(operation["responses"]), (path, method)
        assert operation["description"]
    muscles = spec["components"]["schemas"]["ExerciseCreate"]["properties"]["primary_muscles"]
    assert "chest" in muscles["items"]["enum"] and muscles["description"]

"""Custom exercises: create, edit, merge into another (sets, sync feed, analytics), delete."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from api.exercises.catalogue import CATALOGUE_V1, exercise_id
from pipelines.imports.task import run_import
from pipelines.tasks.analytics import refresh_user
from tests.support.http import assert_error, register

BENCH = next(e for e in CATALOGUE_V1 if e.name == "Bench Press (Barbell)")
BENCH_ID = str(exercise_id(BENCH.slug))
SQUAT_ID = str(exercise_id(next(e for e in CATALOGUE_V1 if e.name == "Squat (Barbell)").slug))

LANDMINE = {
    "name": "  Half-Kneeling Landmine Jab ",
    "kind": "strength",
    "equipment": "barbell",
    "primary_muscles": ["front_delts"],
    "secondary_muscles": ["triceps", "obliques"],
    "aliases": ["Landmine Jab"],
}


async def _create(http, headers, **body: Any) -> dict[str, Any]:
    response = await http.post("/v1/exercises", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _locs(response) -> list[list[Any]]:
    return [d["loc"] for d in assert_error(response, 422, "validation_error")["details"]]


# --- rolled-back tier --------------------------------------------------------------------


async def test_create_is_201_and_found_by_search(client):
    headers = await register(client)
    created = await _create(client, headers, **LANDMINE)
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
    minimal = await _create(
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
    mine = await _create(client, headers, **LANDMINE)
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
    theirs = await _create(client, other, **LANDMINE)
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
    assert (await _create(client, headers, name=" " + "y" * 200 + " ", kind="timed"))["name"] == (
        "y" * 200
    )
    mine = await _create(client, headers, name="Yoke Walk", kind="cardio")
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
    mine = await _create(client, headers, **LANDMINE)
    other = await _create(client, headers, name="Yoke Walk", kind="cardio")
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
    await _create(client, headers, name="Half-Kneeling Landmine Jab", kind="strength")
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
    mine = await _create(client, headers, name="Yoke Walk", kind="cardio")
    for response in (
        await client.patch(f"/v1/exercises/{BENCH_ID}", headers=headers, json={"name": "Bench"}),
        await client.post(
            f"/v1/exercises/{BENCH_ID}/merge", headers=headers, json={"into": mine["id"]}
        ),
        await client.delete(f"/v1/exercises/{BENCH_ID}", headers=headers),
    ):
        assert_error(response, 403, "catalogue_exercise")
    still = (await client.get(f"/v1/exercises/{BENCH_ID}", headers=headers)).json()
    assert still["name"] == BENCH.name and still["merged_into_id"] is None


async def test_another_users_exercise_is_404_everywhere(client):
    owner = await register(client)
    theirs = await _create(client, owner, **LANDMINE)
    intruder = await register(client)
    mine = await _create(client, intruder, name="Yoke Walk", kind="cardio")
    url = f"/v1/exercises/{theirs['id']}"
    for response in (
        await client.get(url, headers=intruder),
        await client.patch(url, headers=intruder, json={"name": "Mine Now"}),
        await client.post(f"{url}/merge", headers=intruder, json={"into": BENCH_ID}),
        await client.delete(url, headers=intruder),
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
    a = await _create(client, headers, name="Keg Toss", kind="cardio")
    b = await _create(client, headers, name="Keg Carry", kind="cardio")
    c = await _create(client, headers, name="Keg Load", kind="cardio")
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
    for response in (
        await client.patch(f"/v1/exercises/{b['id']}", headers=headers, json={"kind": "timed"}),
        await client.post(
            f"/v1/exercises/{b['id']}/merge", headers=headers, json={"into": a["id"]}
        ),
        await client.delete(f"/v1/exercises/{b['id']}", headers=headers),
    ):
        assert_error(response, 409, "already_merged")
    # The target of merges cannot be deleted while the redirects point at it.
    in_use = assert_error(
        await client.delete(f"/v1/exercises/{a['id']}", headers=headers), 409, "exercise_in_use"
    )
    assert sorted(in_use["details"]["merged_from"]) == sorted([b["id"], c["id"]])


async def test_unused_exercise_deletes_to_204(client):
    headers = await register(client)
    mine = await _create(client, headers, **LANDMINE)
    response = await client.delete(f"/v1/exercises/{mine['id']}", headers=headers)
    assert response.status_code == 204 and response.content == b""
    assert_error(await client.get(f"/v1/exercises/{mine['id']}", headers=headers), 404)
    assert_error(await client.delete(f"/v1/exercises/{mine['id']}", headers=headers), 404)
    await _create(client, headers, **LANDMINE)  # the name is free again


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


# --- committed tier: imports, a second connection, the analytics worker ------------------

HEADER = (
    "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,"
    "Notes,Workout Notes,RPE\n"
)
# Local times in Pacific/Auckland (UTC+13 in January): every workout's UTC day is the
# day before its local day, so a UTC date where a local one belongs shows up.
ROWS = [
    '2024-01-01 08:00:00,"Legs",1h,"Squat (Barbell)",1,120,5,0,0,,,',
    '2024-01-03 08:00:00,"Push",1h,"Bench Press (Barbell)",1,100,5,0,0,,,',
    '2024-01-03 08:00:00,"Push",1h,"Spoto Press",1,105,3,0,0,,,',
    '2024-01-03 08:00:00,"Push",1h,"Spoto Press",2,95,5,0,0,,,',
    '2024-01-10 08:00:00,"Push 2",1h,"Spoto Press",W,60,10,0,0,,,',
    '2024-01-10 08:00:00,"Push 2",1h,"Spoto Press",1,112.5,1,0,0,,,',
    '2024-01-10 08:00:00,"Push 2",1h,"Spoto Press",2,100,6,0,0,,,',
    '2024-01-17 08:00:00,"Legs 2",1h,"Squat (Barbell)",1,125,5,0,0,,,',
]
SPOTO_SETS = 5


async def _import(http, headers, body: str) -> None:
    response = await http.post(
        "/v1/imports",
        headers=headers,
        files={"file": ("strong.csv", body.encode(), "text/csv")},
        data={"weight_unit": "kg", "time_zone": "Pacific/Auckland"},
    )
    assert response.status_code == 202, response.text
    assert run_import(uuid.UUID(response.json()["id"])) == "succeeded"


async def _custom_id(http, headers, name: str) -> str:
    found = (await http.get("/v1/exercises", params={"q": name}, headers=headers)).json()
    (item,) = [i for i in found["items"] if i["name"] == name]
    assert item["custom"] is True
    return item["id"]


@pytest.fixture
async def athlete(live_client):
    """A user with the CSV imported (``Spoto Press`` became custom) and analytics fresh."""
    headers = await register(live_client, time_zone="Pacific/Auckland")
    await _import(live_client, headers, HEADER + "\n".join(ROWS) + "\n")
    me = (await live_client.get("/v1/users/me", headers=headers)).json()
    user_id = uuid.UUID(me["id"])
    assert refresh_user(user_id) is True
    spoto = await _custom_id(live_client, headers, "Spoto Press")
    return headers, user_id, spoto


def _sets_by_exercise(conn, user_id) -> dict[str, int]:
    rows = conn.execute(
        text(
            "SELECT exercise_id::text, count(*) FROM workout_sets WHERE user_id = :u "
            "GROUP BY exercise_id"
        ),
        {"u": user_id},
    )
    return dict(rows.all())


def _change_seqs(conn, user_id) -> dict[str, int]:
    rows = conn.execute(
        text("SELECT title, change_seq FROM workouts WHERE user_id = :u"), {"u": user_id}
    )
    return dict(rows.all())


def _sync_seq(conn, user_id) -> int:
    return conn.execute(
        text("SELECT sync_seq FROM users WHERE id = :u"), {"u": user_id}
    ).scalar_one()


def _dirty_since(conn, user_id) -> date | None:
    return conn.execute(
        text("SELECT since_day FROM analytics_dirty WHERE user_id = :u"), {"u": user_id}
    ).scalar_one_or_none()


async def _records(http, headers) -> dict[str, dict]:
    body = (await http.get("/v1/analytics/personal-records", headers=headers)).json()
    return {item["exercise_name"]: item for item in body["items"]}


async def test_merge_moves_the_sets_resends_their_workouts_and_analytics_follow(
    live_client, athlete, sync_engine
):
    headers, user_id, spoto = athlete
    before = await _records(live_client, headers)
    assert {r["reps"]: r["weight_kg"] for r in before["Spoto Press"]["rep_maxes"]} == {
        3: 105.0,
        5: 95.0,
        1: 112.5,
        6: 100.0,
    }
    with sync_engine.connect() as conn:
        sets_before = _sets_by_exercise(conn, user_id)
        seqs_before = _change_seqs(conn, user_id)
        sync_before = _sync_seq(conn, user_id)
        assert _dirty_since(conn, user_id) is None
    assert sets_before == {spoto: SPOTO_SETS, BENCH_ID: 1, SQUAT_ID: 2}

    response = await live_client.post(
        f"/v1/exercises/{spoto}/merge", headers=headers, json={"into": BENCH_ID}
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == BENCH_ID and response.json()["name"] == BENCH.name

    # Read from a second connection right after the 2xx: all of it is committed.
    with sync_engine.connect() as conn:
        assert _sets_by_exercise(conn, user_id) == {BENCH_ID: 1 + SPOTO_SETS, SQUAT_ID: 2}
        assert _sync_seq(conn, user_id) == sync_before + 1
        seqs_after = _change_seqs(conn, user_id)
        assert seqs_after == {
            **seqs_before,
            "Push": sync_before + 1,
            "Push 2": sync_before + 1,
        }
        assert seqs_after["Legs"] == seqs_before["Legs"] < sync_before + 1
        # The first workout with Spoto Press sets, by its Auckland day (UTC: 2 Jan).
        assert _dirty_since(conn, user_id) == date(2024, 1, 3)
        merged_into = conn.execute(
            text("SELECT merged_into_id::text FROM exercises WHERE id = :e"), {"e": spoto}
        ).scalar_one()
        assert merged_into == BENCH_ID

    source = (await live_client.get(f"/v1/exercises/{spoto}", headers=headers)).json()
    assert source["merged_into_id"] == BENCH_ID and source["name"] == "Spoto Press"
    listed = await live_client.get("/v1/exercises", params={"q": "spoto"}, headers=headers)
    assert listed.json()["items"] == []
    push2 = (await live_client.get("/v1/workouts", headers=headers)).json()["items"]
    push2_id = next(w["id"] for w in push2 if w["title"] == "Push 2")
    sets = (await live_client.get(f"/v1/workouts/{push2_id}", headers=headers)).json()["sets"]
    assert {s["exercise_name"] for s in sets} == {BENCH.name}

    assert refresh_user(user_id) is True
    records = await _records(live_client, headers)
    assert "Spoto Press" not in records
    bench = records[BENCH.name]
    # By hand: the bench's own 100×5 (3 Jan) and the moved sets; the warm-up never counts.
    assert {r["reps"]: r["weight_kg"] for r in bench["rep_maxes"]} == {
        5: 100.0,
        3: 105.0,
        1: 112.5,
        6: 100.0,
    }
    assert {r["reps"]: r["achieved_on"] for r in bench["rep_maxes"]} == {
        5: "2024-01-03",
        3: "2024-01-03",
        1: "2024-01-10",
        6: "2024-01-10",
    }
    # Epley: 100·(1 + 6/30) = 120 beats 100·(1 + 5/30) ≈ 116.7, 105·1.1 = 115.5, 112.5.
    assert bench["best_e1rm"]["e1rm_kg"] == pytest.approx(120.0)
    assert bench["best_e1rm"]["achieved_on"] == "2024-01-10"
    with sync_engine.connect() as conn:
        assert _dirty_since(conn, user_id) is None

    again = await live_client.post(
        f"/v1/exercises/{spoto}/merge", headers=headers, json={"into": BENCH_ID}
    )
    error = assert_error(again, 409, "already_merged")
    assert error["details"]["merged_into_id"] == BENCH_ID
    with sync_engine.connect() as conn:  # the refused request changed nothing
        assert _sync_seq(conn, user_id) == sync_before + 1
        assert _dirty_since(conn, user_id) is None


async def test_concurrent_merges_of_one_exercise_merge_it_once(live_client, athlete, sync_engine):
    headers, user_id, spoto = athlete
    dumbbell = str(exercise_id("bench-press-dumbbell"))
    with sync_engine.connect() as conn:
        sync_before = _sync_seq(conn, user_id)
    responses = await asyncio.gather(
        *(
            live_client.post(f"/v1/exercises/{spoto}/merge", headers=headers, json={"into": into})
            for into in (BENCH_ID, dumbbell)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()["id"]
    loser = next(r for r in responses if r.status_code == 409)
    assert_error(loser, 409, "already_merged")
    with sync_engine.connect() as conn:
        assert _sync_seq(conn, user_id) == sync_before + 1
        moved = _sets_by_exercise(conn, user_id)
    assert spoto not in moved
    assert moved[winner] == SPOTO_SETS + (1 if winner == BENCH_ID else 0)


async def test_rename_and_kind_change_mark_analytics_stale_from_first_use(
    live_client, athlete, sync_engine
):
    headers, user_id, spoto = athlete
    url = f"/v1/exercises/{spoto}"
    # Only live workouts count: delete the first one with Spoto Press sets.
    with sync_engine.begin() as conn:
        conn.execute(
            text("UPDATE workouts SET deleted_at = now() WHERE user_id = :u AND title = 'Push'"),
            {"u": user_id},
        )
    muscles = await live_client.patch(url, headers=headers, json={"primary_muscles": ["chest"]})
    assert muscles.status_code == 200
    with sync_engine.connect() as conn:
        assert _dirty_since(conn, user_id) is None  # muscles do not change any figure
    renamed = await live_client.patch(url, headers=headers, json={"name": "Spoto Bench"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Spoto Bench"
    with sync_engine.connect() as conn:
        assert _dirty_since(conn, user_id) == date(2024, 1, 10)
    assert refresh_user(user_id) is True
    assert "Spoto Bench" in await _records(live_client, headers)

    kind = await live_client.patch(url, headers=headers, json={"kind": "bodyweight"})
    assert kind.status_code == 200 and kind.json()["kind"] == "bodyweight"
    with sync_engine.connect() as conn:
        assert _dirty_since(conn, user_id) == date(2024, 1, 10)
    assert refresh_user(user_id) is True
    spoto_bench = (await _records(live_client, headers))["Spoto Bench"]
    # Bodyweight now: no e1RM, no rep-max PRs, the most reps in a working set (6).
    assert spoto_bench["best_e1rm"] is None and spoto_bench["rep_maxes"] == []
    assert spoto_bench["max_reps"]["reps"] == 6

    # An exercise no workout uses changes kind without owing a refresh.
    unused = await _create(live_client, headers, name="Yoke Walk", kind="cardio")
    await live_client.patch(
        f"/v1/exercises/{unused['id']}", headers=headers, json={"kind": "timed"}
    )
    with sync_engine.connect() as conn:
        assert _dirty_since(conn, user_id) is None


async def test_delete_in_use_is_409_and_moves_nothing(live_client, athlete, sync_engine):
    headers, user_id, spoto = athlete
    response = await live_client.delete(f"/v1/exercises/{spoto}", headers=headers)
    error = assert_error(response, 409, "exercise_in_use")
    assert error["details"]["sets"] == SPOTO_SETS and "merge" in error["message"]
    with sync_engine.connect() as conn:
        assert _sets_by_exercise(conn, user_id)[spoto] == SPOTO_SETS
    assert (await live_client.get(f"/v1/exercises/{spoto}", headers=headers)).status_code == 200
    unused = await _create(live_client, headers, name="Yoke Walk", kind="cardio")
    gone = await live_client.delete(f"/v1/exercises/{unused['id']}", headers=headers)
    assert gone.status_code == 204
    with sync_engine.connect() as conn:  # committed before the 204
        count = conn.execute(
            text("SELECT count(*) FROM exercises WHERE id = :e"), {"e": unused["id"]}
        ).scalar_one()
        assert count == 0


async def test_created_exercise_is_committed_before_the_201(live_client, sync_engine):
    headers = await register(live_client)
    created = await _create(live_client, headers, **LANDMINE)
    with sync_engine.connect() as conn:
        row = conn.execute(
            text("SELECT name, name_key, kind, user_id IS NOT NULL FROM exercises WHERE id = :e"),
            {"e": created["id"]},
        ).one()
    assert tuple(row) == (
        "Half-Kneeling Landmine Jab",
        "half kneeling landmine jab",
        "strength",
        True,
    )


async def test_importing_a_merged_name_again_lands_on_the_target(live_client, athlete, sync_engine):
    headers, user_id, spoto = athlete
    merged = await live_client.post(
        f"/v1/exercises/{spoto}/merge", json={"into": BENCH_ID}, headers=headers
    )
    assert merged.status_code == 200
    later = '2024-02-01 08:00:00,"Push 3",1h,"Spoto Press",1,107.5,2,0,0,,,'
    await _import(live_client, headers, HEADER + later + "\n")
    with sync_engine.connect() as conn:
        counts = _sets_by_exercise(conn, user_id)
    assert counts.get(spoto, 0) == 0
    assert counts[BENCH_ID] == 1 + SPOTO_SETS + 1  # its own, the merged ones, the new one

"""``/v1/body-metrics``: units, bounds, upsert by local date, pages, scoping, commit, staleness."""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from tests.support.http import assert_error, register

URL = "/v1/body-metrics"
LB = 0.45359237  # kg per international pound, by definition
DAY = date(2024, 5, 1)


def today_utc() -> date:
    return datetime.now(UTC).date()


def assert_validation(response: httpx.Response, *loc: str) -> dict[str, Any]:
    error = assert_error(response, 422, "validation_error")
    locs = [item["loc"] for item in error["details"]]
    assert ["body", *loc] in locs, error
    return error


async def post(http: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    return await http.post(URL, json=body, headers=headers)


async def listed(http: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict]:
    response = await http.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def user_id(http: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    return uuid.UUID((await http.get("/v1/users/me", headers=headers)).json()["id"])


# --- create and replace ---------------------------------------------------------------------


async def test_create_then_replace_same_date(client):
    headers = await register(client)
    first = await post(
        client,
        headers,
        measured_on="2024-05-01",
        body_mass=81.5,
        body_mass_unit="kg",
        resting_hr=52,
        max_hr=188,
    )
    assert first.status_code == 201, first.text
    created = first.json()
    assert set(created) == {
        "id",
        "measured_on",
        "body_mass_kg",
        "body_mass_unit",
        "resting_hr",
        "max_hr",
        "created_at",
        "updated_at",
    }
    assert created["measured_on"] == "2024-05-01"
    assert created["body_mass_kg"] == 81.5 and created["body_mass_unit"] == "kg"
    assert created["resting_hr"] == 52 and created["max_hr"] == 188

    # The same POST again (a retry) changes nothing and answers 200.
    retry = await post(
        client,
        headers,
        measured_on="2024-05-01",
        body_mass=81.5,
        body_mass_unit="kg",
        resting_hr=52,
        max_hr=188,
    )
    assert retry.status_code == 200, retry.text
    assert {k: v for k, v in retry.json().items() if k != "updated_at"} == {
        k: v for k, v in created.items() if k != "updated_at"
    }

    # A different body for the same date replaces every value; left-out ones become null.
    second = await post(
        client, headers, measured_on="2024-05-01", body_mass=180, body_mass_unit="lb"
    )
    assert second.status_code == 200, second.text
    replaced = second.json()
    assert replaced["id"] == created["id"]
    assert replaced["created_at"] == created["created_at"]
    assert math.isclose(replaced["body_mass_kg"], 180 * LB, rel_tol=1e-12)
    assert replaced["body_mass_unit"] == "lb"
    assert replaced["resting_hr"] is None and replaced["max_hr"] is None

    items = await listed(client, headers)
    assert [i["id"] for i in items] == [created["id"]]
    assert items[0] == replaced
    got = await client.get(f"{URL}/{created['id']}", headers=headers)
    assert got.status_code == 200 and got.json() == replaced


async def test_pounds_are_stored_as_kilograms_with_their_unit(client):
    headers = await register(client, unit_system="metric")
    response = await post(
        client, headers, measured_on="2024-05-01", body_mass=180, body_mass_unit="lb"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    # The request's unit wins over the profile's.
    assert body["body_mass_unit"] == "lb"
    assert body["body_mass_kg"] == pytest.approx(180 * 0.45359237, rel=1e-12)
    assert body["body_mass_kg"] == pytest.approx(81.6466266, abs=1e-7)


@pytest.mark.parametrize(
    ("unit_system", "mass", "unit", "kg"),
    [("imperial", 200.0, "lb", 200 * LB), ("metric", 72.3, "kg", 72.3)],
)
async def test_unit_comes_from_the_profile_when_absent(client, unit_system, mass, unit, kg):
    headers = await register(client, unit_system=unit_system)
    response = await post(client, headers, measured_on="2024-05-01", body_mass=mass)
    assert response.status_code == 201, response.text
    assert response.json()["body_mass_unit"] == unit
    assert response.json()["body_mass_kg"] == pytest.approx(kg, rel=1e-12)


async def test_no_unit_anywhere_is_422_naming_body_mass_unit(client):
    headers = await register(client)  # unit_system not chosen
    me = (await client.get("/v1/users/me", headers=headers)).json()
    assert me["unit_system"] is None
    response = await post(client, headers, measured_on="2024-05-01", body_mass=80)
    error = assert_validation(response, "body_mass_unit")
    assert "unit_system" in error["details"][0]["msg"]
    assert await listed(client, headers) == []
    # Heart rates alone need no unit.
    ok = await post(client, headers, measured_on="2024-05-01", resting_hr=55)
    assert ok.status_code == 201, ok.text
    assert ok.json()["body_mass_kg"] is None and ok.json()["body_mass_unit"] is None


# --- bounds ---------------------------------------------------------------------------------

# (extra body fields, expected status, the field a 422 names)
BOUNDS: list[tuple[dict[str, Any], int, str | None]] = [
    ({"body_mass": 20, "body_mass_unit": "kg"}, 201, None),
    ({"body_mass": 19.99, "body_mass_unit": "kg"}, 422, "body_mass"),
    ({"body_mass": math.nextafter(20.0, 0.0), "body_mass_unit": "kg"}, 422, "body_mass"),
    ({"body_mass": 400, "body_mass_unit": "kg"}, 201, None),
    ({"body_mass": 400.1, "body_mass_unit": "kg"}, 422, "body_mass"),
    ({"body_mass": math.nextafter(400.0, math.inf), "body_mass_unit": "kg"}, 422, "body_mass"),
    ({"body_mass": 44, "body_mass_unit": "lb"}, 422, "body_mass"),  # 44 lb < 20 kg
    ({"body_mass": 45, "body_mass_unit": "lb"}, 201, None),  # 45 lb > 20 kg
    ({"body_mass": 881, "body_mass_unit": "lb"}, 201, None),  # 881 lb < 400 kg
    ({"body_mass": 882, "body_mass_unit": "lb"}, 422, "body_mass"),  # 882 lb > 400 kg
    ({"body_mass": -80, "body_mass_unit": "kg"}, 422, "body_mass"),
    ({"body_mass": 80, "body_mass_unit": "stone"}, 422, "body_mass_unit"),
    ({"resting_hr": 20}, 201, None),
    ({"resting_hr": 19}, 422, "resting_hr"),
    ({"resting_hr": 150}, 201, None),
    ({"resting_hr": 151}, 422, "resting_hr"),
    ({"resting_hr": 55.5}, 422, "resting_hr"),
    ({"max_hr": 80}, 201, None),
    ({"max_hr": 79}, 422, "max_hr"),
    ({"max_hr": 250}, 201, None),
    ({"max_hr": 251}, 422, "max_hr"),
    ({"resting_hr": 99, "max_hr": 100}, 201, None),
    ({"resting_hr": 100, "max_hr": 100}, 422, "max_hr"),
    ({"resting_hr": 120, "max_hr": 100}, 422, "max_hr"),
    ({"body_mass_unit": "kg", "resting_hr": 50}, 422, "body_mass_unit"),  # a unit, no mass
]


@pytest.mark.parametrize(("extra", "status", "field"), BOUNDS)
async def test_bounds(client, extra, status, field):
    headers = await register(client)
    response = await post(client, headers, measured_on="2024-05-01", **extra)
    if status == 201:
        assert response.status_code == 201, response.text
        stored = response.json()
        if "body_mass" in extra:
            assert stored["body_mass_kg"] == pytest.approx(
                extra["body_mass"] * (LB if extra["body_mass_unit"] == "lb" else 1), rel=1e-12
            )
        for key in ("resting_hr", "max_hr"):
            assert stored[key] == extra.get(key)
    else:
        assert field is not None
        assert_validation(response, field)
        assert await listed(client, headers) == []


@pytest.mark.parametrize(
    ("measured_on", "status"),
    [
        (lambda: today_utc() + timedelta(days=1), 201),
        (lambda: today_utc() + timedelta(days=2), 422),
        (lambda: date(1900, 1, 1), 201),
        (lambda: date(1899, 12, 31), 422),
    ],
    ids=["tomorrow", "tomorrow+1", "1900-01-01", "1899-12-31"],
)
async def test_date_bounds(client, measured_on, status):
    headers = await register(client, time_zone="UTC")
    day = measured_on()
    response = await post(client, headers, measured_on=day.isoformat(), resting_hr=50)
    if status == 201:
        assert response.status_code == 201, response.text
        assert response.json()["measured_on"] == day.isoformat()
    else:
        assert_validation(response, "measured_on")


async def test_future_limit_is_tomorrow_in_the_users_own_zone(client):
    zone = "Pacific/Kiritimati"  # UTC+14: its today is often UTC's tomorrow
    headers = await register(client, time_zone=zone)
    local_today = datetime.now(ZoneInfo(zone)).date()
    ok = await post(
        client, headers, measured_on=(local_today + timedelta(days=1)).isoformat(), resting_hr=50
    )
    assert ok.status_code == 201, ok.text
    late = await post(
        client, headers, measured_on=(local_today + timedelta(days=2)).isoformat(), resting_hr=50
    )
    assert_validation(late, "measured_on")


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        ("{}", ["body", "measured_on"]),
        ('{"measured_on": "2024-05-01"}', ["body"]),
        ('{"measured_on": "2024-05-01", "body_mass": null, "resting_hr": null}', ["body"]),
        (
            '{"measured_on": "2024-05-01", "body_mass": NaN, "body_mass_unit": "kg"}',
            ["body", "body_mass"],
        ),
        (
            '{"measured_on": "2024-05-01", "body_mass": Infinity, "body_mass_unit": "kg"}',
            ["body", "body_mass"],
        ),
        ('{"measured_on": "2024-05-01", "resting_hr": 50, "weight": 80}', ["body", "weight"]),
        ('{"measured_on": "2024-05-01", "resting_hr": 50, "user_id": "x"}', ["body", "user_id"]),
        ('{"measured_on": "May 1st", "resting_hr": 50}', ["body", "measured_on"]),
    ],
    ids=[
        "empty",
        "no-measurement",
        "all-null",
        "nan",
        "infinity",
        "unknown",
        "user_id",
        "bad-date",
    ],
)
async def test_malformed_bodies_are_422(client, raw, loc):
    headers = await register(client, unit_system="metric")
    response = await client.post(
        URL, content=raw, headers={**headers, "Content-Type": "application/json"}
    )
    error = assert_error(response, 422, "validation_error")
    assert loc in [item["loc"] for item in error["details"]], error
    assert await listed(client, headers) == []


# --- reading --------------------------------------------------------------------------------


async def test_pages_of_ten_over_25_dates(client):
    headers = await register(client, unit_system="metric")
    days = [DAY + timedelta(days=3 * i) for i in range(25)]
    for i, day in enumerate(days):
        response = await post(client, headers, measured_on=day.isoformat(), body_mass=70 + i / 10)
        assert response.status_code == 201, response.text
    pages: list[list[dict]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        response = await client.get(URL, params=params, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "pagination does not end"
    assert [len(p) for p in pages] == [10, 10, 5]
    seen = [item for p in pages for item in p]
    assert len({i["id"] for i in seen}) == 25
    assert [i["measured_on"] for i in seen] == [d.isoformat() for d in sorted(days, reverse=True)]
    by_day = {i["measured_on"]: i["body_mass_kg"] for i in seen}
    assert by_day == {d.isoformat(): pytest.approx(70 + n / 10) for n, d in enumerate(days)}


async def test_limit_is_capped(client):
    from api.pagination import MAX_LIMIT

    headers = await register(client)
    response = await client.get(URL, params={"limit": MAX_LIMIT + 1}, headers=headers)
    assert_error(response, 422, "validation_error")
    assert (await client.get(URL, params={"limit": MAX_LIMIT}, headers=headers)).status_code == 200


async def test_from_to_are_inclusive_local_dates(client):
    headers = await register(client)
    days = [DAY + timedelta(days=i) for i in range(10)]
    for day in days:
        assert (await post(client, headers, measured_on=day.isoformat(), resting_hr=50)).is_success
    lo, hi = days[2], days[6]
    items = await listed(client, headers, **{"from": lo.isoformat(), "to": hi.isoformat()})
    expected = [d.isoformat() for d in reversed(days) if lo <= d <= hi]
    assert [i["measured_on"] for i in items] == expected and len(expected) == 5
    only_from = await listed(client, headers, **{"from": days[8].isoformat()})
    assert [i["measured_on"] for i in only_from] == [days[9].isoformat(), days[8].isoformat()]
    only_to = await listed(client, headers, to=days[0].isoformat())
    assert [i["measured_on"] for i in only_to] == [days[0].isoformat()]
    # Filters still hold on later pages.
    first = (
        await client.get(
            URL, params={"from": lo.isoformat(), "to": hi.isoformat(), "limit": 2}, headers=headers
        )
    ).json()
    rest = await listed(
        client,
        headers,
        **{"from": lo.isoformat(), "to": hi.isoformat(), "cursor": first["next_cursor"]},
    )
    assert [i["measured_on"] for i in first["items"] + rest] == expected

    bad = await client.get(
        URL, params={"from": hi.isoformat(), "to": lo.isoformat()}, headers=headers
    )
    assert_error(bad, 422, "invalid_range")
    forged = await client.get(URL, params={"cursor": "not-a-cursor"}, headers=headers)
    assert_error(forged, 422, "invalid_cursor")


async def test_other_users_rows_are_404_and_invisible(client):
    owner = await register(client, unit_system="metric")
    other = await register(client, unit_system="metric")
    created = (await post(client, owner, measured_on="2024-05-01", body_mass=80)).json()
    url = f"{URL}/{created['id']}"
    assert_error(await client.get(url, headers=other), 404, "not_found")
    assert_error(await client.delete(url, headers=other), 404, "not_found")
    assert await listed(client, other) == []
    # The same date is the other user's own row, not a replace of the owner's.
    theirs = await post(client, other, measured_on="2024-05-01", body_mass=60)
    assert theirs.status_code == 201 and theirs.json()["id"] != created["id"]
    assert (await client.get(url, headers=owner)).json()["body_mass_kg"] == 80
    assert_error(await client.get(f"{URL}/{uuid.uuid4()}", headers=owner), 404, "not_found")
    assert_error(await client.get(f"{URL}/not-a-uuid", headers=owner), 422, "validation_error")


async def test_delete_is_204_then_gone(client):
    headers = await register(client)
    created = (await post(client, headers, measured_on="2024-05-01", resting_hr=50)).json()
    url = f"{URL}/{created['id']}"
    deleted = await client.delete(url, headers=headers)
    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(await client.get(url, headers=headers), 404, "not_found")
    assert_error(await client.delete(url, headers=headers), 404, "not_found")
    assert await listed(client, headers) == []
    # The date is free again: a new POST creates a new row.
    again = await post(client, headers, measured_on="2024-05-01", resting_hr=51)
    assert again.status_code == 201 and again.json()["id"] != created["id"]


async def test_requires_a_token(client):
    assert_error(await client.get(URL), 401)
    assert_error(await client.post(URL, json={"measured_on": "2024-05-01", "resting_hr": 50}), 401)


async def test_openapi_documents_fields_and_errors(client):
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for name in ("BodyMetricCreate", "BodyMetricRead", "BodyMetricPage"):
        for field, prop in schemas[name]["properties"].items():
            assert prop.get("description"), f"{name}.{field} has no description"
    paths = spec["paths"]
    assert {"200", "201", "401", "422"} <= set(paths[URL]["post"]["responses"])
    assert {"200", "401", "422"} <= set(paths[URL]["get"]["responses"])
    one = paths[URL + "/{metric_id}"]
    assert {"200", "401", "404", "422"} <= set(one["get"]["responses"])
    assert {"204", "401", "404", "422"} <= set(one["delete"]["responses"])


async def test_concurrent_posts_for_one_date_leave_one_row(live_client, sync_engine):
    headers = await register(live_client)
    uid = await user_id(live_client, headers)
    responses = await asyncio.gather(
        *(post(live_client, headers, measured_on="2024-06-01", resting_hr=50) for _ in range(2))
    )
    assert sorted(r.status_code for r in responses) == [200, 201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    with sync_engine.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM body_metrics WHERE user_id = :u"), {"u": uid}
        ).scalar_one()
    assert count == 1


# --- committed tier: a 2xx is stored, and analytics owe a refresh ----------------------------


def _dirty(sync_engine: Any, uid: uuid.UUID) -> list[tuple[date]]:
    with sync_engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT since_day FROM analytics_dirty WHERE user_id = :u"), {"u": uid}
            )
        ]


async def test_read_after_2xx_from_a_second_connection(live_client, sync_engine):
    headers = await register(live_client)
    uid = await user_id(live_client, headers)
    query = text(
        "SELECT id, body_mass_kg, body_mass_unit, resting_hr, max_hr FROM body_metrics "
        "WHERE user_id = :u AND measured_on = :d"
    )
    created = await post(
        live_client,
        headers,
        measured_on="2024-05-01",
        body_mass=180,
        body_mass_unit="lb",
        resting_hr=48,
        max_hr=190,
    )
    assert created.status_code == 201, created.text
    with sync_engine.connect() as conn:
        row = conn.execute(query, {"u": uid, "d": date(2024, 5, 1)}).one()
    assert str(row.id) == created.json()["id"]
    assert math.isclose(row.body_mass_kg, 180 * 0.45359237, rel_tol=1e-12)
    assert (row.body_mass_unit, row.resting_hr, row.max_hr) == ("lb", 48, 190)

    replaced = await post(live_client, headers, measured_on="2024-05-01", resting_hr=47)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["updated_at"] > replaced.json()["created_at"]
    with sync_engine.connect() as conn:
        rows = conn.execute(query, {"u": uid, "d": date(2024, 5, 1)}).all()
    assert [(r.body_mass_kg, r.body_mass_unit, r.resting_hr, r.max_hr) for r in rows] == [
        (None, None, 47, None)
    ]


async def test_writes_mark_analytics_stale_from_the_date(live_client, sync_engine):
    headers = await register(live_client)
    uid = await user_id(live_client, headers)
    assert _dirty(sync_engine, uid) == []

    bad = await post(live_client, headers, measured_on="2024-05-10", body_mass=80)  # no unit
    assert_validation(bad, "body_mass_unit")
    assert _dirty(sync_engine, uid) == []  # a refused write marks nothing

    created = await post(live_client, headers, measured_on="2024-05-10", resting_hr=50)
    assert created.status_code == 201
    assert _dirty(sync_engine, uid) == [(date(2024, 5, 10),)]

    # A later date keeps the earlier mark (LEAST); an earlier one moves it back.
    assert (await post(live_client, headers, measured_on="2024-05-20", resting_hr=50)).is_success
    assert _dirty(sync_engine, uid) == [(date(2024, 5, 10),)]
    older = await post(live_client, headers, measured_on="2024-05-03", max_hr=190)
    assert older.status_code == 201
    assert _dirty(sync_engine, uid) == [(date(2024, 5, 3),)]

    # A replace and a delete mark too: clear the marker as a refresh would, then write.
    with sync_engine.begin() as conn:
        conn.execute(text("DELETE FROM analytics_dirty WHERE user_id = :u"), {"u": uid})
    replaced = await post(live_client, headers, measured_on="2024-05-20", resting_hr=49)
    assert replaced.status_code == 200
    assert _dirty(sync_engine, uid) == [(date(2024, 5, 20),)]
    with sync_engine.begin() as conn:
        conn.execute(text("DELETE FROM analytics_dirty WHERE user_id = :u"), {"u": uid})
    deleted = await live_client.delete(f"{URL}/{created.json()['id']}", headers=headers)
    assert deleted.status_code == 204
    assert _dirty(sync_engine, uid) == [(date(2024, 5, 10),)]
    with sync_engine.connect() as conn:
        left = conn.execute(
            text("SELECT measured_on FROM body_metrics WHERE user_id = :u ORDER BY 1"), {"u": uid}
        ).scalars()
        assert list(left) == [date(2024, 5, 3), date(2024, 5, 20)]

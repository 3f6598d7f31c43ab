"""``POST /v1/body-metrics``: units, bounds, upsert by local date."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.body_metrics import LB, URL, listed, post
from tests.support.http import assert_error, assert_validation, register


def today_utc() -> date:
    return datetime.now(UTC).date()


# --- create and replace ---------------------------------------------------------------------


async def test_create_then_replace_same_date(client):
    headers = await register(client)
    day = {
        "measured_on": "2024-05-01",
        "body_mass": 81.5,
        "body_mass_unit": "kg",
        "resting_hr": 52,
        "max_hr": 188,
    }
    first = await post(client, headers, **day)
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
    retry = await post(client, headers, **day)
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
    error = assert_validation(response, "body", "body_mass_unit")
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
        assert_validation(response, "body", field)
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
        assert_validation(response, "body", "measured_on")


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
    assert_validation(late, "body", "measured_on")


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

"""``/v1/body-metrics``: pages, local-date ranges, scoping, delete, concurrency, commit and
analytics staleness.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from tests.support.body_metrics import URL, listed, post
from tests.support.http import assert_error, assert_validation, register, user_id_of

DAY = date(2024, 5, 1)


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
    uid = await user_id_of(live_client, headers)
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
    uid = await user_id_of(live_client, headers)
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
    uid = await user_id_of(live_client, headers)
    assert _dirty(sync_engine, uid) == []

    bad = await post(live_client, headers, measured_on="2024-05-10", body_mass=80)  # no unit
    assert_validation(bad, "body", "body_mass_unit")
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

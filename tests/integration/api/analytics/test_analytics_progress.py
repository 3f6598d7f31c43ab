"""``GET /v1/analytics/exercises/{id}/progress``: Brzycki, RIR-adjusted, relative strength,
best session, pose, and the range rules shared with ``/load``. Expected values by hand.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pipelines.tasks.analytics import refresh_user
from tests.support import analytics
from tests.support.analytics import BENCH, get, local, put, s
from tests.support.http import assert_error


async def test_progress_brzycki_rir_relative_strength_best_session_and_pose(live_client):
    headers, user_id = await analytics.athlete(live_client)
    for measured_on, mass, unit in (
        ("2024-04-28", 80.0, "kg"), ("2024-05-08", 180.0, "lb"), ("2024-05-20", 70.0, "kg"),
    ):  # fmt: skip
        response = await live_client.post(
            "/v1/body-metrics",
            json={"measured_on": measured_on, "body_mass": mass, "body_mass_unit": unit},
            headers=headers,
        )
        assert response.status_code in (200, 201), response.text
    oslo = "Europe/Oslo"
    # Mon 22 Apr, before any body mass: e1RM 80·(1 + 5/30) = 93.33, Brzycki 80·36/32 = 90.
    await put(live_client, headers, local(oslo, 2024, 4, 22, 10), [s(BENCH, 80.0, 5)], rpe=6)
    # Mon 6 May, body mass 80 (28 Apr). Epley: 100·(1 + 5/30) = 116.67 beats 90·(1 + 8/30) =
    # 114; Brzycki: 100·36/32 = 112.5 beats 90·36/29 = 111.72; RIR-adjusted: RPE 8 → RIR 2 →
    # 100·(1 + 7/30) = 123.33 beats 90·(1 + 9/30) = 117. Pose: form 0.8, 0.6; 4 − 5, 7 − 8.
    await put(live_client, headers, local(oslo, 2024, 5, 6, 10), [
        s(BENCH, 100.0, 5, rpe=8, detected_reps=4, form_score=0.8),
        s(BENCH, 90.0, 8, rir=1, detected_reps=7, form_score=0.6),
    ], rpe=7)  # fmt: skip
    # Wed 8 May, body mass 180 lb logged that day = 81.6466266 kg. Epley: 110 (1 rep) vs
    # 105·(1 + 3/30) = 115.5; Brzycki 105·36/34 = 111.18; RIR: 1 + 0 = 1 effective rep → 110
    # (the unrated 105×3 has none). Pose: form 0.9, 0.7; 2 − 1.
    await put(live_client, headers, local(oslo, 2024, 5, 8, 10), [
        s(BENCH, 110.0, 1, rir=0, detected_reps=2, form_score=0.9),
        s(BENCH, 105.0, 3, form_score=0.7),
    ], rpe=8)  # fmt: skip
    # Mon 13 May: 100·(1 + 10/30) = 133.33 = Brzycki 100·36/27; RPE 9.5 → 100·(1 + 10.5/30) =
    # 135; volume 2 × 1000 = 2000, the best session.
    await put(live_client, headers, local(oslo, 2024, 5, 13, 10), [
        s(BENCH, 100.0, 10, rpe=9.5), s(BENCH, 100.0, 10, rpe=9.5)], rpe=9)  # fmt: skip
    assert refresh_user(user_id) is True

    url = f"/v1/analytics/exercises/{BENCH}/progress"
    body = await get(live_client, headers, url)
    mass = 180 * analytics.LB
    expected = [
        ("2024-04-22", 80 * (1 + 5 / 30), 90.0, None, None),
        ("2024-05-06", 100 * (1 + 5 / 30), 112.5, 100 * (1 + 7 / 30), 80.0),
        ("2024-05-08", 105 * 1.1, 105 * 36 / 34, 110.0, mass),
        ("2024-05-13", 100 * (1 + 10 / 30), 100 * 36 / 27, 135.0, mass),
    ]
    assert len(body["items"]) == len(expected)
    for item, (day, epley, brzycki, rir, body_mass) in zip(body["items"], expected, strict=True):
        assert item["date"] == day
        assert item["e1rm_kg"] == pytest.approx(epley)
        assert item["e1rm_brzycki_kg"] == pytest.approx(brzycki)
        assert item["e1rm_rir_kg"] == (None if rir is None else pytest.approx(rir))
        assert item["body_mass_kg"] == (None if body_mass is None else pytest.approx(body_mass))
        relative = None if body_mass is None else pytest.approx(epley / body_mass)
        assert item["relative_strength"] == relative
    assert [(d["date"], d["sets"], d["reps"], d["volume_load_kg"], d["max_reps"])
            for d in body["sessions"]] == [
        ("2024-04-22", 1, 5, 400.0, 5), ("2024-05-06", 2, 13, 1220.0, 8),
        ("2024-05-08", 2, 4, 425.0, 3), ("2024-05-13", 2, 20, 2000.0, 10),
    ]  # fmt: skip
    assert body["best_session"] == {"date": "2024-05-13", "volume_load_kg": 2000.0}
    assert body["plateau"]["best_e1rm_kg"] == pytest.approx(400 / 3)
    assert body["plateau"]["best_on"] == "2024-05-13"
    # Week of 6 May: form (0.8 + 0.6 + 0.9 + 0.7)/4 = 0.75 over 4 sets; detected − logged:
    # (−1 − 1 + 1)/3 over the 3 sets having both. No pose data in the other weeks.
    assert body["pose"] == [
        {"week_start": "2024-05-06", "form_sets": 4, "mean_form_score": pytest.approx(0.75),
         "detected_sets": 3, "rep_discrepancy": pytest.approx(-1 / 3)},
    ]  # fmt: skip

    # A window: the days inside it; the best session stays the all-time one; pose from the
    # days inside (8 May only: form (0.9 + 0.7)/2, discrepancy +1).
    window = await get(live_client, headers, f"{url}?from=2024-05-07&to=2024-05-31")
    assert [i["date"] for i in window["items"]] == ["2024-05-08", "2024-05-13"]
    assert [d["date"] for d in window["sessions"]] == ["2024-05-08", "2024-05-13"]
    assert window["best_session"] == body["best_session"]
    assert window["pose"] == [
        {"week_start": "2024-05-06", "form_sets": 2, "mean_form_score": pytest.approx(0.8),
         "detected_sets": 1, "rep_discrepancy": 1.0},
    ]  # fmt: skip
    assert_error(
        await live_client.get(f"{url}?from=2024-05-08&to=2024-05-07", headers=headers), 422
    )
    prs = analytics.rep_maxes((await analytics.records(live_client, headers))[BENCH])
    assert prs == {
        1: (110.0, "2024-05-08"), 3: (105.0, "2024-05-08"), 5: (100.0, "2024-05-06"),
        8: (90.0, "2024-05-06"), 10: (100.0, "2024-05-13"),
    }  # fmt: skip

    # A body mass logged later, between two training days, reaches the days after it only.
    response = await live_client.post(
        "/v1/body-metrics",
        json={"measured_on": "2024-05-10", "body_mass": 75.0, "body_mass_unit": "kg"},
        headers=headers,
    )
    assert response.status_code in (200, 201), response.text
    assert (await get(live_client, headers, url))["stale"] is True
    assert refresh_user(user_id) is True
    items = {i["date"]: i for i in (await get(live_client, headers, url))["items"]}
    assert items["2024-05-08"]["body_mass_kg"] == pytest.approx(mass)
    assert items["2024-05-13"]["body_mass_kg"] == 75.0
    assert items["2024-05-13"]["relative_strength"] == pytest.approx(400 / 3 / 75)


# ------------------------------------------------------------------- range


async def test_progress_range_is_capped_like_load(live_client):
    headers, user_id = await analytics.athlete(live_client)
    await put(live_client, headers, local("Europe/Oslo", 2024, 5, 6, 10), [s(BENCH, 100.0, 5)])
    assert refresh_user(user_id) is True
    url = f"/v1/analytics/exercises/{BENCH}/progress"
    day = date(2024, 5, 6)

    async def dates(**query: str) -> list[str]:
        response = await live_client.get(url, params=query, headers=headers)
        assert response.status_code == 200, response.text
        return [i["date"] for i in response.json()["items"]]

    def refused(response, code: str) -> None:
        error = assert_error(response, 422, code)
        assert error["message"] in (
            "`to` must not be before `from`", "a range may span at most 3660 days",
        )  # fmt: skip

    reversed_range = {"from": "2024-05-08", "to": "2024-05-07"}
    refused(await live_client.get(url, params=reversed_range, headers=headers), "invalid_range")
    # 3660 days, both ends included, is the longest range: 6 May 2024 − 3659 days.
    longest = {"from": (day - timedelta(3659)).isoformat(), "to": day.isoformat()}
    assert await dates(**longest) == ["2024-05-06"]
    too_long = {"from": (day - timedelta(3660)).isoformat(), "to": day.isoformat()}
    refused(await live_client.get(url, params=too_long, headers=headers), "range_too_long")
    # An open `to` counts as the athlete's today for the length, as in /load.
    now = analytics.today()
    assert await dates(**{"from": (now - timedelta(3659)).isoformat()}) == ["2024-05-06"]
    open_end = {"from": (now - timedelta(3660)).isoformat()}
    refused(await live_client.get(url, params=open_end, headers=headers), "range_too_long")
    # An open `from` is the whole history; a `from` after today alone is an empty range.
    assert await dates(to=(now + timedelta(4000)).isoformat()) == ["2024-05-06"]
    assert await dates(**{"from": (now + timedelta(1)).isoformat()}) == []
    assert await dates() == ["2024-05-06"]
    # /load answers the same codes for the same ranges.
    load = "/v1/analytics/load"
    refused(await live_client.get(load, params=reversed_range, headers=headers), "invalid_range")
    refused(await live_client.get(load, params=too_long, headers=headers), "range_too_long")

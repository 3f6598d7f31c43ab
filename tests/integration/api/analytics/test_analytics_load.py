"""``GET /v1/analytics/load`` against a day-by-day loop the test runs itself.

Every expected figure is computed by hand (the arithmetic in the comments) or by
:mod:`tests.support.analytics_rules`, never with ``models.*``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pipelines.tasks.analytics import refresh_user
from tests.support.analytics import (
    BENCH,
    ROW,
    assert_days,
    athlete,
    get,
    local,
    monday,
    put,
    put_plan,
    s,
    today,
    w,
)
from tests.support.analytics_rules import expected_load_days, expected_periods, main_plan
from tests.support.http import assert_error


async def test_load_series_equals_a_day_by_day_loop(live_client, trained):
    headers, _, plans, _ = trained
    d0, last, now = plans[0]["day"], plans[-1]["day"], today()
    body = await get(live_client, headers, f"/v1/analytics/load?from={d0}&to={now}")
    assert body["stale"] is False and body["as_of"] is not None
    expected = expected_load_days(plans, now)
    assert_days(body["items"], expected)
    items = {i["date"]: i for i in body["items"]}

    # By hand, day 0: two sessions add up, 360 + 240 = 600; CTL = 600·(1 − e^(−1/42)),
    # ATL = 600·(1 − e^(−1/7)), TSB 0, no rolling ACWR, EWMA ACWR (2/8·600)/(2/29·600) = 29/8.
    first = items[d0.isoformat()]
    assert first["sessions"] == 2 and first["load"] == pytest.approx(600.0)
    assert first["srpe_load"] == pytest.approx(600.0) and first["duration_s"] == 5400.0
    assert first["volume_load_kg"] == pytest.approx(100 * 5 + 105 * 3 + 2 * 140 * 5)
    assert first["ctl"] == pytest.approx(600 * (1 - math.exp(-1 / 42)))
    assert first["atl"] == pytest.approx(600 * (1 - math.exp(-1 / 7)))
    assert first["tsb"] == 0 and first["acwr_rolling"] is None and first["ramp_rate"] is None
    assert first["acwr_ewma"] == pytest.approx(29 / 8) and first["acwr_high"] is True
    # Day 1, a rest day between sessions, is a zero day; TSB = CTL₀ − ATL₀.
    rest = items[(d0 + timedelta(1)).isoformat()]
    assert rest["sessions"] == 0 and rest["load"] == 0 and rest["srpe_load"] is None
    assert rest["tsb"] == pytest.approx(first["ctl"] - first["atl"])
    assert rest["atl"] == pytest.approx(first["atl"] * math.exp(-1 / 7))
    # Day 2: (8 + 9 + 8) / 3 × 50 = 416.67, no sRPE (unrated); day 3: 7 × 45; day 5: 4 × 3 × 7.
    assert items[(d0 + timedelta(2)).isoformat()]["load"] == pytest.approx(25 / 3 * 50)
    assert items[(d0 + timedelta(2)).isoformat()]["srpe_load"] is None
    assert items[(d0 + timedelta(3)).isoformat()]["load"] == pytest.approx(315.0)
    assert items[(d0 + timedelta(5)).isoformat()]["load"] == pytest.approx(84.0)
    # Ramp rate on day 7 = CTL₇ − CTL₀; rolling ACWR from day 27 (the 28th day) on.
    day7 = items[(d0 + timedelta(7)).isoformat()]
    assert day7["ramp_rate"] == pytest.approx(day7["ctl"] - first["ctl"])
    assert items[(d0 + timedelta(26)).isoformat()]["acwr_rolling"] is None
    assert items[(d0 + timedelta(27)).isoformat()]["acwr_rolling"] is not None

    # After the last training day, up to today: zero-load projections, states decaying.
    tail = [i for i in body["items"] if i["date"] > last.isoformat()]
    assert len(tail) == (now - last).days and all(i["projected"] for i in tail)
    for before, day in zip(body["items"][-len(tail) - 1 :], tail, strict=False):
        assert day["load"] == 0 and day["sessions"] == 0
        assert day["atl"] == pytest.approx(before["atl"] * math.exp(-1 / 7))
        assert day["ctl"] == pytest.approx(before["ctl"] * math.exp(-1 / 42))
        assert day["tsb"] == pytest.approx(before["ctl"] - before["atl"])

    # Weeks: Foster monotony = mean ÷ population SD of the 7 daily loads, rest days 0.
    weeks = {}
    for start in sorted({monday(p["day"]) for p in plans}):
        week = [expected.get(start + timedelta(k), {"load": 0.0})["load"] for k in range(7)]
        mean = sum(week) / 7
        sd = math.sqrt(sum((x - mean) ** 2 for x in week) / 7)
        weeks[start.isoformat()] = (sum(week), mean / sd if sd else None)
    got = {x["week_start"]: x for x in body["weeks"]}
    assert list(got) == list(weeks)
    for start, (load, monotony) in weeks.items():
        assert got[start]["load"] == pytest.approx(load)
        assert got[start]["monotony"] == pytest.approx(monotony)
        assert got[start]["strain"] == pytest.approx(load * monotony)


async def test_load_range_bounds_and_refusals(live_client, trained):
    headers, _, plans, _ = trained
    d0, last, now = plans[0]["day"], plans[-1]["day"], today()
    expected = expected_load_days(plans, now)
    url = "/v1/analytics/load"

    # A window inside the series: its days, with states carried from before the window.
    lo, hi = d0 + timedelta(10), d0 + timedelta(20)
    body = await get(live_client, headers, f"{url}?from={lo}&to={hi}")
    assert_days(body["items"], {d: v for d, v in expected.items() if lo <= d <= hi})
    assert [x["week_start"] for x in body["weeks"]] == sorted(
        {monday(p["day"]).isoformat() for p in plans if monday(lo) <= monday(p["day"]) <= hi}
    )
    # A window after the last training day: projections only, continued exactly.
    lo = last + timedelta(2)
    body = await get(live_client, headers, f"{url}?from={lo}&to={now}")
    assert_days(body["items"], {d: v for d, v in expected.items() if d >= lo})
    assert all(i["projected"] for i in body["items"])
    # Up to a day between the last training day and today: projected up to `to` only.
    body = await get(live_client, headers, f"{url}?from={last}&to={last + timedelta(3)}")
    assert_days(
        body["items"], {d: v for d, v in expected.items() if last <= d <= last + timedelta(3)}
    )
    # Before the first training day there is no series; after today, nothing is projected.
    body = await get(
        live_client, headers, f"{url}?from={d0 - timedelta(5)}&to={now + timedelta(5)}"
    )
    assert_days(body["items"], expected)
    # The default window (the 90 days up to today) holds the whole series here.
    body = await get(live_client, headers, url)
    assert_days(body["items"], expected)
    # A `to` in year 1's first 90 days: the default `from` stops at 0001-01-01, no overflow.
    body = await get(live_client, headers, f"{url}?to=0001-01-01")
    assert body["items"] == [] and body["weeks"] == []

    assert_error(
        await live_client.get(f"{url}?from={d0}&to={d0 - timedelta(1)}", headers=headers), 422
    )
    too_long = f"{url}?from={now - timedelta(3660)}&to={now}"  # 3661 days
    assert_error(await live_client.get(too_long, headers=headers), 422)
    longest = await get(live_client, headers, f"{url}?from={now - timedelta(3659)}&to={now}")
    assert_days(longest["items"], expected)


async def test_incremental_refreshes_continue_the_series_across_a_break(live_client):
    headers, user_id = await athlete(live_client)
    plans = main_plan(today() - timedelta(days=40))
    early = [p for p in plans if p["day"] <= plans[0]["day"] + timedelta(9)]
    for plan in early:
        await put_plan(live_client, headers, plan)
    assert refresh_user(user_id) is True  # full: the first refresh
    # Three weeks later training resumes; each write now refreshes incrementally.
    late = [p for p in plans if p["day"] >= plans[0]["day"] + timedelta(30)]
    for plan in late:
        await put_plan(live_client, headers, plan)
        assert refresh_user(user_id) is True
    # A back-dated workout on the rest day (day 1) rewrites everything after it.
    back = w(plans[0]["day"] + timedelta(1), 12, 40, 6, [s(ROW, 70.0, 10)])
    await put_plan(live_client, headers, back)
    assert refresh_user(user_id) is True
    now = today()
    kept = [*early, *late, back]
    body = await get(live_client, headers, f"/v1/analytics/load?from={plans[0]['day']}&to={now}")
    assert_days(body["items"], expected_load_days(kept, now))
    for period, start_of in (("week", monday), ("month", lambda d: d.replace(day=1))):
        summary = await get(live_client, headers, f"/v1/analytics/summary?period={period}&count=20")
        got = {p["start"]: p for p in summary["periods"]}
        want = expected_periods(kept, start_of)
        assert list(got) == list(want)
        for start, values in want.items():
            assert {k: got[start][k] for k in values} == pytest.approx(values), start


async def test_one_single_workout(live_client):
    headers, user_id = await athlete(live_client)
    now = datetime.now(ZoneInfo("Europe/Oslo")).date()
    day = now - timedelta(days=3)
    await put(live_client, headers, local("Europe/Oslo", day.year, day.month, day.day, 10), [
        s(BENCH, 100.0, 5)], rpe=5)  # fmt: skip
    assert refresh_user(user_id) is True
    items = (await get(live_client, headers, "/v1/analytics/load"))["items"]
    assert [i["date"] for i in items] == [(day + timedelta(k)).isoformat() for k in range(4)]
    # Day 0: load 5 × 60 = 300, CTL = 300(1 − e^(−1/42)), ATL = 300(1 − e^(−1/7)), TSB 0;
    # EWMA ACWR = (2/8 · 300) / (2/29 · 300) = 29/8 → flagged high; no rolling ACWR, no ramp.
    ctl, atl = 300 * (1 - math.exp(-1 / 42)), 300 * (1 - math.exp(-1 / 7))
    first = items[0]
    assert (first["load"], first["tsb"], first["projected"]) == (300.0, 0.0, False)
    assert (first["ctl"], first["atl"]) == (pytest.approx(ctl), pytest.approx(atl))
    assert first["acwr_ewma"] == pytest.approx(29 / 8) and first["acwr_high"] is True
    assert first["acwr_rolling"] is None and first["ramp_rate"] is None
    # Day k after: CTL₀·e^(−k/42), ATL₀·e^(−k/7), TSB_k = CTL_(k−1) − ATL_(k−1),
    # EWMA ACWR = (6/8)^k·(2/8) ÷ ((27/29)^k·(2/29)).
    for k, item in enumerate(items[1:], start=1):
        assert item["projected"] is True and item["load"] == 0.0
        assert item["ctl"] == pytest.approx(ctl * math.exp(-k / 42))
        assert item["atl"] == pytest.approx(atl * math.exp(-k / 7))
        assert item["tsb"] == pytest.approx(
            ctl * math.exp(-(k - 1) / 42) - atl * math.exp(-(k - 1) / 7)
        )
        assert item["acwr_ewma"] == pytest.approx((0.75**k * 2 / 8) / ((27 / 29) ** k * 2 / 29))
    summary = await get(live_client, headers, "/v1/analytics/summary")
    assert summary["workouts"] == 1 and summary["habits"]["streak_weeks"] == 1
    # one 300 in seven days: mean 300/7, SD (300/7)·√6 → monotony 1/√6
    assert [(p["sessions"], p["load"]) for p in summary["periods"]] == [(1, 300.0)]
    assert summary["periods"][0]["monotony"] == pytest.approx(1 / math.sqrt(6))
    progress = await get(live_client, headers, f"/v1/analytics/exercises/{BENCH}/progress")
    assert [i["e1rm_kg"] for i in progress["items"]] == [pytest.approx(100 * (1 + 5 / 30))]

"""``/v1/analytics`` load, summary and muscle balance against numbers the test computes.

Workouts go in through the phone API, ``refresh_user`` runs the refresh the worker
would, and every expected figure is computed here — by hand (the arithmetic in the
comments) or by a plain-Python loop over the workouts posted — never with ``models.*``.
Traps (time zones, units, odd sets) and exercise progress: ``test_analytics_views_traps.py``.
"""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.exercises.catalogue import CATALOGUE_V1, exercise_id
from pipelines.tasks.analytics import refresh_user
from tests.support.http import assert_error, register

TZ = "Europe/Oslo"
BENCH = str(exercise_id("bench-press-barbell"))
SQUAT = str(exercise_id("squat-barbell"))
ROW = str(exercise_id("bent-over-row-barbell"))
PULL_UP = str(exercise_id("pull-up"))
CATALOGUE = {str(exercise_id(e.slug)): e for e in CATALOGUE_V1}
PUSH = {"chest", "front_delts", "side_delts", "triceps"}
PULL = {"lats", "upper_back", "rear_delts", "biceps", "traps"}
UPPER = PUSH | PULL | {"forearms", "neck"}
LOWER = {"quads", "hamstrings", "glutes", "adductors", "abductors", "calves", "hip_flexors"}


# --------------------------------------------------------------------------- helpers


def s(exercise: str, weight: float | None, reps: int | None, **extra: Any) -> dict[str, Any]:
    return {"exercise_id": exercise, "weight_kg": weight, "reps": reps, **extra}


def w(day: date, hour: int, minutes: int | None, rpe: float | None, sets: list) -> dict:
    return {"day": day, "hour": hour, "minutes": minutes, "rpe": rpe, "sets": sets}


def today(tz: str = TZ) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def athlete(http, tz: str = TZ) -> tuple[dict[str, str], uuid.UUID]:
    headers = await register(http, time_zone=tz)
    return headers, uuid.UUID((await http.get("/v1/users/me", headers=headers)).json()["id"])


async def put(http, headers, plan: dict, tz: str = TZ) -> str:
    start = datetime(*plan["day"].timetuple()[:3], plan["hour"], tzinfo=ZoneInfo(tz))
    body: dict[str, Any] = {"started_at": start.isoformat(), "time_zone": tz, "sets": plan["sets"]}
    if plan["minutes"] is not None:
        body["ended_at"] = (start + timedelta(minutes=plan["minutes"])).isoformat()
    if plan["rpe"] is not None:
        body["session_rpe"] = plan["rpe"]
    workout_id = str(uuid.uuid4())
    response = await http.put(f"/v1/workouts/{workout_id}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return workout_id


async def get(http, headers, url: str) -> dict:
    response = await http.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def close(actual: Any, expected: Any) -> bool:
    if expected is None or isinstance(expected, bool):
        return actual == expected
    return actual == pytest.approx(expected, rel=1e-9, abs=1e-9)


def assert_days(items: list[dict], expected: dict[date, dict]) -> None:
    assert [i["date"] for i in items] == [d.isoformat() for d in expected]
    for item, (day, want) in zip(items, expected.items(), strict=True):
        wrong = {k: (item[k], v) for k, v in want.items() if not close(item[k], v)}
        assert not wrong, f"{day}: (got, expected) {wrong}"


# ------------------------------------------------- the rules, written out plainly


def working(plan: dict) -> list[dict]:
    return [x for x in plan["sets"] if x.get("set_type", "working") != "warmup"]


def volume(plan: dict) -> float:
    """Σ weight × reps over non-warm-up sets; assisted exercises add none."""
    return sum(
        (x["weight_kg"] or 0.0) * (x["reps"] or 0)
        for x in working(plan)
        if CATALOGUE[x["exercise_id"]].kind != "assisted"
    )


def session_load(plan: dict) -> float:
    """sRPE × minutes when rated; else mean working-set RPE (10 − RIR), else 7, × minutes
    (else working sets × 3 min)."""
    if plan["rpe"] is not None and plan["minutes"]:
        return plan["rpe"] * plan["minutes"]
    ratings = [
        x["rpe"] if x.get("rpe") is not None else 10 - x["rir"]
        for x in working(plan)
        if x.get("rpe") is not None or x.get("rir") is not None
    ]
    rpe = sum(ratings) / len(ratings) if ratings else 7.0
    return rpe * (plan["minutes"] or 3.0 * len(working(plan)))


def series(loads: list[float]) -> list[dict]:
    """CTL/ATL (τ 42/7), TSB, rolling and EWMA ACWR, ramp rate, flags — one day at a time."""
    k_ctl, k_atl = 1 - math.exp(-1 / 42), 1 - math.exp(-1 / 7)
    l7, l28 = 2 / (7 + 1), 2 / (28 + 1)
    ctl = atl = acute = chronic = 0.0
    out: list[dict] = []
    for i, load in enumerate(loads):
        tsb = ctl - atl  # yesterday's states (0 on the first day)
        ctl += (load - ctl) * k_ctl
        atl += (load - atl) * k_atl
        acute = l7 * load + (1 - l7) * acute
        chronic = l28 * load + (1 - l28) * chronic
        rolling = None
        if i >= 27 and sum(loads[i - 27 : i + 1]) > 0:
            rolling = (sum(loads[i - 6 : i + 1]) / 7) / (sum(loads[i - 27 : i + 1]) / 28)
        ewma = acute / chronic if chronic > 0 else None
        out.append(
            {
                "load": load, "ctl": ctl, "atl": atl, "tsb": tsb, "acwr_rolling": rolling,
                "acwr_ewma": ewma, "ramp_rate": ctl - out[i - 7]["ctl"] if i >= 7 else None,
                "acwr_high": (rolling or 0) > 1.5 or (ewma or 0) > 1.5,
                "acwr_low": rolling is not None and rolling < 0.8,
            }
        )  # fmt: skip
    return out


def expected_load_days(plans: list[dict], until: date) -> dict[date, dict]:
    """Every day from the first training day to ``until`` with its loop values."""
    first, last = min(p["day"] for p in plans), max(p["day"] for p in plans)
    days = [first + timedelta(days=i) for i in range((until - first).days + 1)]
    loads = [sum(session_load(p) for p in plans if p["day"] == d) for d in days]
    out = {}
    for day, values in zip(days, series(loads), strict=True):
        on_day = [p for p in plans if p["day"] == day]
        rated = [p["rpe"] * p["minutes"] for p in on_day if p["rpe"] and p["minutes"]]
        out[day] = {
            **values,
            "sessions": len(on_day),
            "duration_s": sum((p["minutes"] or 0) * 60.0 for p in on_day),
            "volume_load_kg": sum(volume(p) for p in on_day),
            "srpe_load": sum(rated) if rated else None,
            "trimp": None,
            "projected": day > last,
        }
    return out


def pr_days(plans: list[dict]) -> list[date]:
    """The day of every set that raised a record when done: rep-max (strength, weight > 0,
    1–12 reps, heavier than before) or max reps (bodyweight); ties do not count."""
    best: dict[tuple, float] = {}
    days = []
    for plan in sorted(plans, key=lambda p: (p["day"], p["hour"])):
        for x in working(plan):
            kind, weight, reps = CATALOGUE[x["exercise_id"]].kind, x["weight_kg"], x["reps"] or 0
            if kind == "strength" and (weight or 0) > 0 and 1 <= reps <= 12:
                key, value = (x["exercise_id"], reps), weight
            elif kind == "bodyweight" and reps > 0:
                key, value = (x["exercise_id"], "max"), reps
            else:
                continue
            if key not in best or value > best[key]:
                best[key] = value
                days.append(plan["day"])
    return days


def expected_periods(plans: list[dict], start_of) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for plan in plans:
        p = out.setdefault(
            start_of(plan["day"]).isoformat(),
            {"sessions": 0, "sets": 0, "reps": 0, "volume_load_kg": 0.0, "load": 0.0, "prs": 0},
        )
        p["sessions"] += 1
        p["sets"] += len(working(plan))
        p["reps"] += sum(x["reps"] or 0 for x in working(plan))
        p["volume_load_kg"] += volume(plan)
        p["load"] += session_load(plan)
    for day in pr_days(plans):
        out[start_of(day).isoformat()]["prs"] += 1
    return dict(sorted(out.items()))


def expected_muscles(plans: list[dict]) -> dict[str, dict[str, list[float]]]:
    """Week → muscle → [fractional sets, volume]: 1.0 per primary, 0.5 per secondary."""
    out: dict[str, dict[str, list[float]]] = {}
    for plan in plans:
        week = out.setdefault(monday(plan["day"]).isoformat(), {})
        for x in working(plan):
            entry = CATALOGUE[x["exercise_id"]]
            vol = volume({"sets": [x]})
            for muscles, share in ((entry.primary_muscles, 1.0), (entry.secondary_muscles, 0.5)):
                for m in muscles:
                    total = week.setdefault(m, [0.0, 0.0])
                    total[0] += share
                    total[1] += share * vol
    return out


def window_totals(weeks: dict[str, dict[str, list[float]]]) -> dict[tuple[str, str], float]:
    totals: dict[tuple[str, str], float] = {}
    for week in weeks.values():
        for m, (sets, vol) in week.items():
            totals[(m, "sets")] = totals.get((m, "sets"), 0.0) + sets
            totals[(m, "volume")] = totals.get((m, "volume"), 0.0) + vol
    return totals


def flat(muscles: list[dict]) -> dict[tuple[str, str], float]:
    out = {(m["muscle"], "sets"): m["sets"] for m in muscles}
    return out | {(m["muscle"], "volume"): m["volume_load_kg"] for m in muscles}


def ratio(sets: dict[str, float], top: set[str], bottom: set[str]) -> float | None:
    below = sum(v for m, v in sets.items() if m in bottom)
    return sum(v for m, v in sets.items() if m in top) / below if below else None


def main_plan(d0: date) -> list[dict]:
    """35 days of training ending six days ago, every load rule represented."""
    plans = [
        # day 0, two sessions: 6 × 60 min + 8 × 30 min = 360 + 240 = 600
        w(d0, 8, 60, 6, [s(BENCH, 100.0, 5), s(BENCH, 105.0, 3)]),
        w(d0, 18, 30, 8, [s(SQUAT, 140.0, 5), s(SQUAT, 140.0, 5)]),
        # day 1: rest. Day 2, unrated: working-set RPE 8, 9 and RIR 2 (→ 8), the warm-up's
        # RPE 5 ignored: (8 + 9 + 8) / 3 × 50 min = 416.67
        w(
            d0 + timedelta(2),
            10,
            50,
            None,
            [
                s(BENCH, 60.0, 10, set_type="warmup", rpe=5),
                s(BENCH, 100.0, 5, rpe=8),
                s(BENCH, 100.0, 5, rpe=9),
                s(BENCH, 100.0, 5, rir=2),
            ],
        ),  # fmt: skip
        # day 3, nothing rated: 7 × 45 min = 315
        w(d0 + timedelta(3), 10, 45, None, [s(ROW, 80.0, 8), s(ROW, 80.0, 8)]),
        # day 5, no end time: 4 working sets × 3 min × 7 = 84
        w(d0 + timedelta(5), 10, None, None, [s(SQUAT, 120.0, 5)] * 4),
    ]
    for i, offset in enumerate((7, 9, 12, 14, 16, 19, 21, 23, 26, 28, 30, 33)):
        plans.append(
            w(
                d0 + timedelta(offset),
                17,
                40 + 5 * (i % 4),
                5 + i % 4,
                [
                    s(BENCH, 100.0 + 2.5 * (i % 3), 5),
                    s(ROW, 80.0, 8),
                    s(PULL_UP, None, 8 + i % 3),
                ],
            )  # fmt: skip
        )
    # day 34, the last training day: the heaviest bench (deleted in the deletion test)
    plans.append(w(d0 + timedelta(34), 17, 60, 9, [s(BENCH, 120.0, 3), s(SQUAT, 150.0, 3)]))
    return plans


@pytest.fixture
async def trained(live_client):
    headers, user_id = await athlete(live_client)
    plans = main_plan(today() - timedelta(days=40))
    ids = [await put(live_client, headers, p) for p in plans]
    assert refresh_user(user_id) is True
    return headers, user_id, plans, ids


# --------------------------------------------------------------------------- load


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
        await put(live_client, headers, plan)
    assert refresh_user(user_id) is True  # full: the first refresh
    # Three weeks later training resumes; each write now refreshes incrementally.
    late = [p for p in plans if p["day"] >= plans[0]["day"] + timedelta(30)]
    for plan in late:
        await put(live_client, headers, plan)
        assert refresh_user(user_id) is True
    # A back-dated workout on the rest day (day 1) rewrites everything after it.
    back = w(plans[0]["day"] + timedelta(1), 12, 40, 6, [s(ROW, 70.0, 10)])
    await put(live_client, headers, back)
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


async def test_deleting_a_records_first_holder_hands_it_to_the_tie(live_client):
    headers, user_id = await athlete(live_client)
    first = await put(live_client, headers, w(date(2024, 1, 30), 10, 60, 5, [s(BENCH, 100.0, 5)]))
    await put(live_client, headers, w(date(2024, 2, 6), 10, 60, 5, [s(BENCH, 100.0, 5)]))
    assert refresh_user(user_id) is True
    records = await get(live_client, headers, "/v1/analytics/personal-records")
    assert records["items"][0]["rep_maxes"][0]["achieved_on"] == "2024-01-30"  # ties: earliest
    summary = await get(live_client, headers, "/v1/analytics/summary")
    assert [(p["start"], p["prs"]) for p in summary["periods"]] == [
        ("2024-01-29", 1), ("2024-02-05", 0),
    ]  # fmt: skip
    assert (await live_client.delete(f"/v1/workouts/{first}", headers=headers)).status_code == 204
    assert refresh_user(user_id) is True
    records = await get(live_client, headers, "/v1/analytics/personal-records")
    assert records["items"][0]["rep_maxes"][0]["achieved_on"] == "2024-02-06"
    summary = await get(live_client, headers, "/v1/analytics/summary")
    assert [(p["start"], p["prs"]) for p in summary["periods"]] == [("2024-02-05", 1)]


async def test_deleting_the_last_workouts_ends_the_series_on_the_day_before(live_client):
    headers, user_id = await athlete(live_client)
    tue = await put(live_client, headers, w(date(2024, 2, 20), 10, 60, 5, [s(BENCH, 100.0, 5)]))
    last = await put(live_client, headers, w(date(2024, 3, 5), 10, 60, 5, [s(BENCH, 105.0, 5)]))
    assert refresh_user(user_id) is True
    url = "/v1/analytics/load?from=2024-02-20&to=2024-03-06"
    assert [i["projected"] for i in (await get(live_client, headers, url))["items"]] == (
        [False] * 15 + [True]
    )
    # Deleting 5 March leaves nothing from 1 March (where the refresh starts) on: the stored
    # zero days 21 Feb … 4 Mar must go, and the days after 20 Feb become projections.
    assert (await live_client.delete(f"/v1/workouts/{last}", headers=headers)).status_code == 204
    assert refresh_user(user_id) is True
    plans = [w(date(2024, 2, 20), 10, 60, 5, [s(BENCH, 100.0, 5)])]
    body = await get(live_client, headers, url)
    assert_days(body["items"], expected_load_days(plans, date(2024, 3, 6)))
    assert [x["week_start"] for x in body["weeks"]] == ["2024-02-19"]
    # Deleting the only workout left empties every view.
    assert (await live_client.delete(f"/v1/workouts/{tue}", headers=headers)).status_code == 204
    assert refresh_user(user_id) is True
    assert (await get(live_client, headers, url))["items"] == []
    summary = await get(live_client, headers, "/v1/analytics/summary")
    assert (summary["workouts"], summary["periods"], summary["weekly_volume"]) == (0, [], [])
    assert (await get(live_client, headers, "/v1/analytics/personal-records"))["items"] == []
    progress = await get(live_client, headers, f"/v1/analytics/exercises/{BENCH}/progress")
    assert progress["items"] == [] and progress["sessions"] == []


# --------------------------------------------------------------------------- deletion


async def test_a_deleted_workout_vanishes_from_every_series(live_client, trained):
    headers, user_id, plans, ids = trained
    now = today()
    deleted = await live_client.delete(f"/v1/workouts/{ids[-1]}", headers=headers)
    assert deleted.status_code == 204
    before = await get(live_client, headers, "/v1/analytics/personal-records")
    assert before["stale"] is True
    bench = next(i for i in before["items"] if i["exercise_id"] == BENCH)
    assert {r["reps"]: r["weight_kg"] for r in bench["rep_maxes"]}[3] == 120.0  # not yet
    assert refresh_user(user_id) is True
    kept = plans[:-1]

    # load: the series now ends on the day before; the deleted day is a projection
    body = await get(live_client, headers, f"/v1/analytics/load?from={plans[0]['day']}&to={now}")
    assert_days(body["items"], expected_load_days(kept, now))
    # summary periods, weeks and months
    for period, start_of in (("week", monday), ("month", lambda d: d.replace(day=1))):
        summary = await get(live_client, headers, f"/v1/analytics/summary?period={period}&count=20")
        got = {p["start"]: p for p in summary["periods"]}
        assert list(got) == list(expected_periods(kept, start_of))
        for start, want in expected_periods(kept, start_of).items():
            assert {k: got[start][k] for k in want} == pytest.approx(want), start
    assert summary["workouts"] == len(kept)
    # progress: the day of the deleted bench is gone
    progress = await get(live_client, headers, f"/v1/analytics/exercises/{BENCH}/progress")
    assert plans[-1]["day"].isoformat() not in [i["date"] for i in progress["items"]]
    assert plans[-1]["day"].isoformat() not in [d["date"] for d in progress["sessions"]]
    # muscle balance: the deleted squat and bench sets no longer count (volumes compared
    # here; fractional set counts in test_muscle_balance_fractional_sets_by_hand)
    balance = await get(live_client, headers, "/v1/analytics/muscle-balance?weeks=10")
    volumes = {k: v for k, v in window_totals(expected_muscles(kept)).items() if k[1] == "volume"}
    assert {k: v for k, v in flat(balance["totals"]).items() if k[1] == "volume"} == (
        pytest.approx(volumes)
    )
    # PRs: the 3-rep record falls back to day 0's 105 kg
    records = await get(live_client, headers, "/v1/analytics/personal-records")
    bench = next(i for i in records["items"] if i["exercise_id"] == BENCH)
    three = next(r for r in bench["rep_maxes"] if r["reps"] == 3)
    assert (three["weight_kg"], three["achieved_on"]) == (105.0, plans[0]["day"].isoformat())
    squat = next(i for i in records["items"] if i["exercise_id"] == SQUAT)
    assert 3 not in {r["reps"] for r in squat["rep_maxes"]}


# --------------------------------------------------------------------------- summary


async def test_summary_periods_and_totals_by_hand(live_client):
    headers, user_id = await athlete(live_client)
    # The ISO week of Mon 2024-01-29 runs into February; 2024 is a leap year.
    for plan in (
        # Tue 30 Jan, 5 × 60 = 300: reps 5 + 3 + 10 = 18, volume 500 + 315 = 815 (pull-up: no
        # weight); PRs: 100×5, 105×3 and 10 pull-ups are each the first → 3
        w(date(2024, 1, 30), 10, 60, 5, [
            s(BENCH, 60.0, 10, set_type="warmup"), s(BENCH, 100.0, 5), s(BENCH, 105.0, 3),
            s(PULL_UP, None, 10),
        ]),
        # Thu 1 Feb, 300: reps 5 + 5 + 13 = 23, volume 500 + 512.5 + 1820 = 2832.5; PRs: 100×5
        # ties (no), 102.5×5 beats it (1), 13 reps is no rep-max
        w(date(2024, 2, 1), 10, 60, 5, [
            s(BENCH, 100.0, 5), s(BENCH, 102.5, 5), s(SQUAT, 140.0, 13),
        ]),
        # Sat 3 Feb, 10 × 60 = 600: reps 10 + 12 + 5 = 27, volume 475; PRs: 12 pull-ups (1)
        w(date(2024, 2, 3), 10, 60, 10, [
            s(PULL_UP, None, 10), s(PULL_UP, None, 12), s(BENCH, 95.0, 5),
        ]),
        # Mon 5 Feb, 4 × 30 = 120: 105×3 ties, no PR; volume 315
        w(date(2024, 2, 5), 10, 30, 4, [s(BENCH, 105.0, 3)]),
    ):  # fmt: skip
        await put(live_client, headers, plan)
    assert refresh_user(user_id) is True

    weeks = await get(live_client, headers, "/v1/analytics/summary?period=week&count=12")
    # Week 1 daily loads Mon…Sun: 0, 300, 0, 300, 0, 600, 0 (Mon and Sun lie outside the
    # calendar, still rest days). Mean 1200/7; population variance = (2·300² + 600²)/7 − mean².
    mean = 1200 / 7
    monotony = mean / math.sqrt((2 * 300**2 + 600**2) / 7 - mean**2)  # ≈ 0.7845
    # Week 2: 120, then six zeros: mean 120/7, SD = (120/7)·√6, monotony = 1/√6 ≈ 0.408
    assert weeks["period"] == "week"
    assert weeks["periods"] == [
        {
            "start": "2024-01-29", "end": "2024-02-04", "sessions": 3, "duration_s": 10800.0,
            "distance_m": 0.0, "sets": 9, "reps": 68, "volume_load_kg": 4122.5,
            "srpe_load": 1200.0, "trimp": None, "load": 1200.0, "prs": 5,
            "monotony": pytest.approx(monotony), "strain": pytest.approx(1200 * monotony),
        },
        {
            "start": "2024-02-05", "end": "2024-02-11", "sessions": 1, "duration_s": 1800.0,
            "distance_m": 0.0, "sets": 1, "reps": 3, "volume_load_kg": 315.0, "srpe_load": 120.0,
            "trimp": None, "load": 120.0, "prs": 0, "monotony": pytest.approx(1 / math.sqrt(6)),
            "strain": pytest.approx(120 / math.sqrt(6)),
        },
    ]  # fmt: skip
    months = await get(live_client, headers, "/v1/analytics/summary?period=month")
    assert [
        {k: p[k] for k in ("start", "end", "sessions", "sets", "reps", "volume_load_kg", "load")}
        | {"prs": p["prs"], "monotony": p["monotony"]}
        for p in months["periods"]
    ] == [
        {"start": "2024-01-01", "end": "2024-01-31", "sessions": 1, "sets": 3, "reps": 18,
         "volume_load_kg": 815.0, "load": 300.0, "prs": 3, "monotony": None},
        {"start": "2024-02-01", "end": "2024-02-29", "sessions": 3, "sets": 7, "reps": 53,
         "volume_load_kg": 3622.5, "load": 1020.0, "prs": 2, "monotony": None},
    ]  # fmt: skip

    # v1 totals: 11 sets stored (one warm-up), 71 working reps, 4122.5 + 315 kg; records
    # standing: bench 5 → 102.5, bench 3 → 105, pull-up max reps 12.
    assert {k: months[k] for k in ("workouts", "sets", "working_sets", "reps", "exercises")} == {
        "workouts": 4, "sets": 11, "working_sets": 10, "reps": 71, "exercises": 3,
    }  # fmt: skip
    assert months["volume_load_kg"] == 4437.5 and months["personal_records"] == 3
    assert (months["first_workout_on"], months["last_workout_on"]) == ("2024-01-30", "2024-02-05")
    assert months["weekly_volume"] == [
        {"week_start": "2024-01-29", "volume_load_kg": 4122.5, "sets": 9, "reps": 68},
        {"week_start": "2024-02-05", "volume_load_kg": 315.0, "sets": 1, "reps": 3},
    ]
    # Habits: Tue, Thu, Sat, Mon, all at 10:00; no workout near this week → no streak.
    habits = months["habits"]
    assert habits["streak_weeks"] == 0
    assert habits["weekday_share"] == [0.25, 0.25, 0, 0.25, 0, 0.25, 0]
    assert habits["hour_share"] == [1.0 if h == 10 else 0 for h in range(24)]
    span = (monday(today()) - date(2024, 1, 29)).days // 7 + 1
    assert habits["sessions_per_week"] == pytest.approx(4 / span)


async def test_streak_and_weekday_share_up_to_this_week(live_client):
    headers, user_id = await athlete(live_client)
    this = monday(today())
    # Tue four weeks back, Wed two weeks back, Mon last week; three weeks back is empty.
    for day in (this - timedelta(27), this - timedelta(12), this - timedelta(7)):
        await put(live_client, headers, w(day, 7, 45, 6, [s(BENCH, 100.0, 5)]))
    assert refresh_user(user_id) is True
    habits = (await get(live_client, headers, "/v1/analytics/summary"))["habits"]
    assert habits["streak_weeks"] == 2  # this week, still empty, does not break it
    assert habits["weekday_share"] == pytest.approx([1 / 3, 1 / 3, 1 / 3, 0, 0, 0, 0])
    await put(live_client, headers, w(this, 6, 45, 6, [s(BENCH, 100.0, 5)]))  # this Monday
    assert refresh_user(user_id) is True
    habits = (await get(live_client, headers, "/v1/analytics/summary"))["habits"]
    assert habits["streak_weeks"] == 3
    assert habits["weekday_share"] == pytest.approx([0.5, 0.25, 0.25, 0, 0, 0, 0])
    assert habits["hour_share"][6] == 0.25 and habits["hour_share"][7] == 0.75
    assert habits["sessions_per_week"] == pytest.approx(4 / 5)  # five ISO weeks, this one too


# --------------------------------------------------------------------------- muscle balance

# Last week (Tue): 3 bench 100×5 (+ a warm-up, not counted), 2 rows 80×8, 2 squats 120×5,
# one pull-up ×8. Catalogue muscles: bench chest | front_delts, triceps; row upper_back, lats |
# rear_delts, biceps, lower_back; squat quads, glutes | hamstrings, adductors, lower_back;
# pull-up lats | upper_back, biceps. Fractional sets (1 primary, ½ secondary) and volume:
LAST_WEEK = {
    "chest": (3.0, 1500.0), "front_delts": (1.5, 750.0), "triceps": (1.5, 750.0),
    "upper_back": (2 + 0.5, 1280.0), "lats": (2 + 1.0, 1280.0), "rear_delts": (1.0, 640.0),
    "biceps": (1 + 0.5, 640.0), "lower_back": (1 + 1.0, 640.0 + 600.0), "quads": (2.0, 1200.0),
    "glutes": (2.0, 1200.0), "hamstrings": (1.0, 600.0), "adductors": (1.0, 600.0),
}  # fmt: skip
# Three weeks back (Tue): 2 bench 100×5 → chest 2, front_delts 1, triceps 1; no pull, no lower.
EARLIER = {"chest": (2.0, 1000.0), "front_delts": (1.0, 500.0), "triceps": (1.0, 500.0)}


@pytest.fixture
async def balanced(live_client):
    headers, user_id = await athlete(live_client)
    this = monday(today())
    await put(live_client, headers, w(this - timedelta(6), 10, 60, 7, [
        s(BENCH, 60.0, 10, set_type="warmup"), *[s(BENCH, 100.0, 5)] * 3, *[s(ROW, 80.0, 8)] * 2,
        *[s(SQUAT, 120.0, 5)] * 2, s(PULL_UP, None, 8),
    ]))  # fmt: skip
    await put(live_client, headers, w(this - timedelta(20), 10, 60, 7, [s(BENCH, 100.0, 5)] * 2))
    assert refresh_user(user_id) is True
    return await get(live_client, headers, "/v1/analytics/muscle-balance?weeks=4"), this


async def test_muscle_balance_volumes_and_weekly_ratios_by_hand(balanced):
    body, this = balanced
    assert [x["week_start"] for x in body["weeks"]] == [
        (this - timedelta(weeks=k)).isoformat() for k in (3, 2, 1, 0)
    ]
    earlier, empty, last, current = body["weeks"]
    assert {m["muscle"]: m["volume_load_kg"] for m in last["muscles"]} == {
        m: v for m, (_, v) in LAST_WEEK.items()
    }
    assert {m["muscle"]: m["volume_load_kg"] for m in earlier["muscles"]} == {
        m: v for m, (_, v) in EARLIER.items()
    }
    # push = chest 3 + front_delts 1.5 + triceps 1.5 = 6; pull = upper_back 2.5 + lats 3 +
    # rear_delts 1 + biceps 1.5 = 8 → 0.75. upper = 6 + 8 = 14; lower = 2 + 2 + 1 + 1 = 6.
    assert last["push_pull"] == pytest.approx(6 / 8)
    assert last["upper_lower"] == pytest.approx(14 / 6)
    assert earlier["push_pull"] is None and earlier["upper_lower"] is None  # nothing to divide by
    assert empty["muscles"] == [] and empty["push_pull"] is None
    assert current["muscles"] == [] and current["upper_lower"] is None


async def test_muscle_balance_fractional_sets_by_hand(balanced):
    body, _ = balanced
    last, earlier = body["weeks"][2], body["weeks"][0]
    assert {m["muscle"]: m["sets"] for m in last["muscles"]} == {
        m: n for m, (n, _) in LAST_WEEK.items()
    }
    assert {m["muscle"]: m["sets"] for m in earlier["muscles"]} == {
        m: n for m, (n, _) in EARLIER.items()
    }
    totals = {m["muscle"]: m["sets"] for m in body["totals"]}
    assert totals["chest"] == 5.0 and totals["front_delts"] == totals["triceps"] == 2.5
    # window: push 6 + 4 = 10 over pull 8; upper 14 + 4 = 18 over lower 6
    assert body["push_pull"] == pytest.approx(10 / 8)
    assert body["upper_lower"] == pytest.approx(18 / 6)

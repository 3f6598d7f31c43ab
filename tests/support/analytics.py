"""Athletes, workouts and reads for the ``/v1/analytics`` integration tests.

Workouts go in through the phone API (``PUT /v1/workouts/{id}``); the tests then run
``refresh_user`` themselves, as the worker would, and read the views back.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.exercises.catalogue import exercise_id
from tests.support.http import register, user_id_of

TZ = "Europe/Oslo"
LB = 0.45359237  # kg per international pound
BENCH = str(exercise_id("bench-press-barbell"))
SQUAT = str(exercise_id("squat-barbell"))
ROW = str(exercise_id("bent-over-row-barbell"))
PULL_UP = str(exercise_id("pull-up"))
ASSISTED = str(exercise_id("pull-up-assisted"))


def s(exercise: str, weight: float | None, reps: int | None, **extra: Any) -> dict[str, Any]:
    """One set: ``exercise`` id, kg, reps and any other set fields."""
    return {"exercise_id": exercise, "weight_kg": weight, "reps": reps, **extra}


def w(day: date, hour: int, minutes: int | None, rpe: float | None, sets: list) -> dict:
    """A workout plan: local ``day`` at ``hour`` in :data:`TZ`, lasting ``minutes``."""
    return {"day": day, "hour": hour, "minutes": minutes, "rpe": rpe, "sets": sets}


def today(tz: str = TZ) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local(tz: str, *parts: int) -> datetime:
    """An aware local time: ``local("Europe/Oslo", 2024, 5, 6, 10)``."""
    return datetime(*parts, tzinfo=ZoneInfo(tz))


async def athlete(
    http: httpx.AsyncClient, tz: str = TZ, **extra: Any
) -> tuple[dict[str, str], uuid.UUID]:
    """A fresh athlete in time zone ``tz``: its bearer header and its id."""
    headers = await register(http, time_zone=tz, **extra)
    return headers, await user_id_of(http, headers)


async def put(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    start: datetime,
    sets: list,
    *,
    minutes: float | None = 60,
    rpe: float | None = None,
) -> str:
    """A workout starting at the aware local ``start``; its end ``minutes`` real minutes on."""
    body: dict[str, Any] = {"started_at": start.isoformat(), "time_zone": str(start.tzinfo)}
    if minutes is not None:
        body["ended_at"] = (start.astimezone(UTC) + timedelta(minutes=minutes)).isoformat()
    body |= {"sets": sets} | ({"session_rpe": rpe} if rpe is not None else {})
    workout_id = str(uuid.uuid4())
    response = await http.put(f"/v1/workouts/{workout_id}", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return workout_id


async def put_plan(http: httpx.AsyncClient, headers: dict[str, str], plan: dict) -> str:
    """The workout of a :func:`w` plan."""
    start = local(TZ, *plan["day"].timetuple()[:3], plan["hour"])
    return await put(http, headers, start, plan["sets"], minutes=plan["minutes"], rpe=plan["rpe"])


async def get(http: httpx.AsyncClient, headers: dict[str, str], url: str) -> dict:
    """The JSON body of a 200."""
    response = await http.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def records(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, dict]:
    """Every exercise's records, by exercise id."""
    body = await get(http, headers, "/v1/analytics/personal-records")
    return {i["exercise_id"]: i for i in body["items"]}


def rep_maxes(item: dict) -> dict[int, tuple[float, str]]:
    return {r["reps"]: (r["weight_kg"], r["achieved_on"]) for r in item["rep_maxes"]}


def close(actual: Any, expected: Any) -> bool:
    if expected is None or isinstance(expected, bool):
        return actual == expected
    return actual == pytest.approx(expected, rel=1e-9, abs=1e-9)


def assert_days(items: list[dict], expected: dict[date, dict]) -> None:
    """``items`` are exactly ``expected``'s days, each with the expected values."""
    assert [i["date"] for i in items] == [d.isoformat() for d in expected]
    for item, (day, want) in zip(items, expected.items(), strict=True):
        wrong = {k: (item[k], v) for k, v in want.items() if not close(item[k], v)}
        assert not wrong, f"{day}: (got, expected) {wrong}"

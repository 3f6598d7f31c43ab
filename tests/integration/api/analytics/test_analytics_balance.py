"""``GET /v1/analytics/muscle-balance``: fractional sets, volumes and ratios by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipelines.tasks.analytics import refresh_user
from tests.support import analytics
from tests.support.analytics import BENCH, PULL_UP, ROW, SQUAT, s, w

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
    headers, user_id = await analytics.athlete(live_client)
    this = analytics.monday(analytics.today())
    await analytics.put_plan(live_client, headers, w(this - timedelta(6), 10, 60, 7, [
        s(BENCH, 60.0, 10, set_type="warmup"), *[s(BENCH, 100.0, 5)] * 3, *[s(ROW, 80.0, 8)] * 2,
        *[s(SQUAT, 120.0, 5)] * 2, s(PULL_UP, None, 8),
    ]))  # fmt: skip
    await analytics.put_plan(
        live_client, headers, w(this - timedelta(20), 10, 60, 7, [s(BENCH, 100.0, 5)] * 2)
    )
    assert refresh_user(user_id) is True
    return await analytics.get(live_client, headers, "/v1/analytics/muscle-balance?weeks=4"), this


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

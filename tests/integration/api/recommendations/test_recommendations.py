"""``/v1/recommendations``: cold start, the stored batch and its reuse, rescoring after a
write, units, feedback and ownership, over HTTP on real PostgreSQL (no champion: rules
answer; the model-backed path is in ``test_recommendations_model.py``)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from api.exercises.catalogue import exercise_id
from api.recommendations.tables import FEEDBACK_DAYS
from tests.support.analytics import BENCH, LB, SQUAT, athlete, local, put, s, today
from tests.support.exercises import LANDMINE, create_exercise
from tests.support.http import assert_error, assert_validation, json_of

RUNNING = str(exercise_id("running"))
INCLINE = str(exercise_id("incline-bench-press-barbell"))
TZ = "Europe/Oslo"


def _days_ago(days: int, hour: int = 18):
    day = today(TZ) - timedelta(days=days)
    return local(TZ, day.year, day.month, day.day, hour)


async def _bench_history(http, headers, last_top: float = 100.0) -> None:
    """Three bench sessions in the last three weeks, 3 × 5 at RPE 8 each, the last one at
    ``last_top`` kg, the ones before 5 and 2.5 kg lighter."""
    for days, top in ((20, last_top - 5), (13, last_top - 2.5), (6, last_top)):
        await put(http, headers, _days_ago(days), [s(BENCH, top, 5, rpe=8)] * 3)


def _sets(weight_kg, weight, unit: str, reps: int, rpe: float, count: int = 3) -> list[dict]:
    one = {"weight_kg": weight_kg, "weight": weight, "unit": unit, "reps": reps, "target_rpe": rpe}
    return [one] * count


async def _get(http, headers, url: str) -> dict:
    return json_of(await http.get(url, headers=headers), 200)


def _assert_shape(item: dict) -> None:
    assert set(item) == {
        "id", "exercise_id", "exercise_name", "predicted_e1rm_kg", "interval_kg", "sets",
        "model", "rule", "explanation", "as_of",
    }  # fmt: skip
    assert (item["model"] is None) != (item["rule"] is None)
    assert isinstance(item["explanation"], str) and item["explanation"]
    for one in item["sets"]:
        assert set(one) == {"weight_kg", "weight", "unit", "reps", "target_rpe"}


async def test_a_new_athlete_gets_rule_answers_never_an_error(live_client):
    headers, _ = await athlete(live_client, TZ)
    assert await _get(live_client, headers, "/v1/recommendations") == {"items": []}
    item = await _get(live_client, headers, f"/v1/recommendations/exercises/{BENCH}")
    _assert_shape(item)
    assert item["exercise_id"] == BENCH
    assert item["exercise_name"] == "Bench Press (Barbell)"
    assert item["model"] is None and item["rule"] == "no_history"
    assert item["predicted_e1rm_kg"] is None and item["interval_kg"] is None
    # nothing to take a weight from: a first session's 3 × 8 at RPE 7, no weight, in kg
    assert item["sets"] == _sets(None, None, "kg", 8, 7.0)
    assert "not logged" in item["explanation"]


async def test_unknown_exercise_is_404_and_a_cardio_one_is_answered_by_rule(live_client):
    headers, _ = await athlete(live_client, TZ)
    missing = await live_client.get(
        f"/v1/recommendations/exercises/{uuid.uuid4()}", headers=headers
    )
    assert_error(missing, 404, "not_found")
    item = await _get(live_client, headers, f"/v1/recommendations/exercises/{RUNNING}")
    _assert_shape(item)
    assert item["rule"] == "not_loaded" and item["model"] is None
    assert all(one["weight_kg"] is None for one in item["sets"])


async def test_last_sets_prescription_is_stored_reused_then_rescored_after_a_workout(live_client):
    headers, _ = await athlete(live_client, TZ)
    await _bench_history(live_client, headers, last_top=100.0)

    first = await _get(live_client, headers, "/v1/recommendations")
    assert [i["exercise_id"] for i in first["items"]] == [BENCH]
    item = first["items"][0]
    _assert_shape(item)
    assert item["rule"] == "last_sets" and item["model"] is None
    assert item["predicted_e1rm_kg"] is None and item["interval_kg"] is None
    # the last session again: 3 × 5 at 100 kg, RPE 8
    assert item["sets"] == _sets(100.0, 100.0, "kg", 5, 8.0)

    # nothing changed: the stored batch is served again, same id, by list and by exercise
    again = await _get(live_client, headers, "/v1/recommendations")
    assert again == first
    one = await _get(live_client, headers, f"/v1/recommendations/exercises/{BENCH}")
    assert one == item

    # a new session: the athlete is rescored and the answer follows it
    await put(live_client, headers, _days_ago(1), [s(BENCH, 110.0, 4, rpe=9)] * 2)
    after = await _get(live_client, headers, f"/v1/recommendations/exercises/{BENCH}")
    assert after["id"] != item["id"]
    # the last top set's 110 kg × 4; the usual scheme of the last three sessions: median
    # working sets (3, 3, 2) = 3, median top-set RPE (8, 8, 9) = 8
    assert after["sets"] == _sets(110.0, 110.0, "kg", 4, 8.0)
    listed = await _get(live_client, headers, "/v1/recommendations")
    assert [i["id"] for i in listed["items"]] == [after["id"]]


async def test_an_exercise_outside_the_main_ones_is_scored_alone_and_kept_out_of_the_list(
    live_client,
):
    headers, _ = await athlete(live_client, TZ)
    await _bench_history(live_client, headers)
    listed = await _get(live_client, headers, "/v1/recommendations")
    squat = await _get(live_client, headers, f"/v1/recommendations/exercises/{SQUAT}")
    # squat (quads) shares no primary muscle with bench (chest): nothing to start from
    assert squat["exercise_id"] == SQUAT and squat["rule"] == "no_history"
    incline = await _get(live_client, headers, f"/v1/recommendations/exercises/{INCLINE}")
    # incline bench (chest, barbell) is related to bench: 80 % of its latest e1RM,
    # 100·(1 + 5/30) = 116.67 → 93.33 kg, × the chart's 8 reps at RPE 7 (x = 10 − 7 + 8 − 1
    # = 10: 97.0955 − 2.64249·10 = 70.67 %) = 65.96 kg → 65 kg on 2.5 kg plates
    assert incline["rule"] == "related_exercise"
    assert incline["sets"] == _sets(65.0, 65.0, "kg", 8, 7.0)
    # asked again: the same stored answer; the list is still the main exercises
    assert await _get(live_client, headers, f"/v1/recommendations/exercises/{SQUAT}") == squat
    assert await _get(live_client, headers, "/v1/recommendations") == listed


async def test_an_imperial_athlete_gets_pounds(live_client):
    headers, _ = await athlete(live_client, TZ, unit_system="imperial")
    await _bench_history(live_client, headers, last_top=100.0)
    item = (await _get(live_client, headers, "/v1/recommendations"))["items"][0]
    # 100 kg = 220.46 lb → 220 lb on 5 lb plates (the history's steps, 5.51 lb, are not
    # smaller), which is 220 × 0.45359237 = 99.790 kg
    assert item["sets"] == _sets(round(220 * LB, 3), 220.0, "lb", 5, 8.0)


async def test_feedback_is_stored_replaced_validated_and_private(live_client, sync_engine):
    from sqlalchemy import text

    headers, user_id = await athlete(live_client, TZ)
    await _bench_history(live_client, headers)
    rec = (await _get(live_client, headers, "/v1/recommendations"))["items"][0]["id"]
    url = f"/v1/recommendations/{rec}/feedback"

    first = json_of(
        await live_client.post(url, json={"outcome": "done_as_prescribed"}, headers=headers), 201
    )
    assert first["recommendation_id"] == rec
    assert first["outcome"] == "done_as_prescribed" and first["sets"] is None

    done = [{"weight_kg": 102.5, "reps": 5, "rpe": 9}, {"weight_kg": 100.0, "reps": 4}]
    body = {"outcome": "changed", "sets": done}
    second = json_of(await live_client.post(url, json=body, headers=headers), 200)
    assert second["outcome"] == "changed"
    assert second["sets"] == [{"weight_kg": 102.5, "reps": 5, "rpe": 9.0},
                              {"weight_kg": 100.0, "reps": 4, "rpe": None}]  # fmt: skip
    with sync_engine.connect() as conn:
        stored = conn.execute(
            text("SELECT user_id, outcome, sets FROM recommendation_feedback "
                 "WHERE recommendation_id = :id"), {"id": rec},
        ).all()  # fmt: skip
    assert stored == [(user_id, "changed", second["sets"])]

    # sets: required for changed (and not empty), refused for the other outcomes
    for wrong in (
        {"outcome": "changed"},
        {"outcome": "changed", "sets": []},
        {"outcome": "changed", "sets": None},
        {"outcome": "skipped", "sets": done},
        {"outcome": "done_as_prescribed", "sets": None},
    ):
        refused = await live_client.post(url, json=wrong, headers=headers)
        assert_validation(refused, "body", wrong["outcome"], "sets")
    for bad_body in ({"outcome": "maybe"}, {}, {"sets": done}):
        bad = await live_client.post(url, json=bad_body, headers=headers)
        error = assert_validation(bad, "body")
        # the message names the field and what it may be
        assert error["details"][0]["msg"] == (
            "`outcome` must be one of done_as_prescribed, changed or skipped"
        ), error

    # another athlete: not theirs → 404, and the stored answer is untouched
    other, _ = await athlete(live_client, TZ)
    theirs = await live_client.post(url, json={"outcome": "skipped"}, headers=other)
    assert_error(theirs, 404, "not_found")
    missing = await live_client.post(
        f"/v1/recommendations/{uuid.uuid4()}/feedback", json={"outcome": "skipped"}, headers=headers
    )
    assert_error(missing, 404, "not_found")
    with sync_engine.connect() as conn:
        outcome = conn.execute(
            text("SELECT outcome FROM recommendation_feedback WHERE recommendation_id = :id"),
            {"id": rec},
        ).scalar_one()
    assert outcome == "changed"


async def test_rescoring_keeps_answered_and_recent_rows_and_drops_old_unanswered_ones(
    live_client, sync_engine
):
    from sqlalchemy import text

    headers, user_id = await athlete(live_client, TZ)
    await _bench_history(live_client, headers)
    await put(live_client, headers, _days_ago(3), [s(SQUAT, 80.0, 5)] * 3)
    items = (await _get(live_client, headers, "/v1/recommendations"))["items"]
    assert {i["exercise_id"] for i in items} == {BENCH, SQUAT}
    answered, unanswered = items[0]["id"], items[1]["id"]
    url = f"/v1/recommendations/{answered}/feedback"
    json_of(await live_client.post(url, json={"outcome": "skipped"}, headers=headers), 201)

    await put(live_client, headers, _days_ago(1), [s(BENCH, 105.0, 5)] * 3)
    fresh = (await _get(live_client, headers, "/v1/recommendations"))["items"]
    with sync_engine.connect() as conn:
        ids = {str(r[0]) for r in conn.execute(
            text("SELECT id FROM recommendations WHERE user_id = :u"), {"u": user_id})}  # fmt: skip
    # superseded but recent: a phone holding its id may still answer it (FEEDBACK_DAYS)
    assert ids == {answered, unanswered} | {i["id"] for i in fresh}
    late = f"/v1/recommendations/{unanswered}/feedback"
    json_of(await live_client.post(late, json={"outcome": "skipped"}, headers=headers), 201)
    # the answered rows still take feedback; the new batch is what is served
    json_of(
        await live_client.post(url, json={"outcome": "done_as_prescribed"}, headers=headers), 200
    )
    # an unanswered row older than FEEDBACK_DAYS goes at the next scoring
    dropped = fresh[0]["id"]
    with sync_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE recommendations SET created_at = now() - make_interval(days => :d) "
                "WHERE user_id = :u"
            ),
            {"u": user_id, "d": FEEDBACK_DAYS + 1},
        )
    await put(live_client, headers, _days_ago(0), [s(BENCH, 107.5, 5)] * 3)
    newest = (await _get(live_client, headers, "/v1/recommendations"))["items"]
    with sync_engine.connect() as conn:
        ids = {str(r[0]) for r in conn.execute(
            text("SELECT id FROM recommendations WHERE user_id = :u"), {"u": user_id})}  # fmt: skip
    assert ids == {answered, unanswered} | {i["id"] for i in newest}
    assert dropped not in ids


async def test_concurrent_cold_requests_store_one_batch(live_client, sync_engine):
    from sqlalchemy import text

    headers, user_id = await athlete(live_client, TZ)
    await _bench_history(live_client, headers)
    answers = await asyncio.gather(
        *(live_client.get("/v1/recommendations", headers=headers) for _ in range(4))
    )
    ids = {json_of(a, 200)["items"][0]["id"] for a in answers}
    with sync_engine.connect() as conn:
        stored = conn.execute(
            text("SELECT id FROM recommendations WHERE user_id = :u"), {"u": user_id}
        ).all()
    assert len(ids) == 1 and [str(r[0]) for r in stored] == list(ids)


async def test_a_custom_exercise_is_answered_for_its_owner_only(live_client):
    headers, _ = await athlete(live_client, TZ)
    custom = await create_exercise(live_client, headers, **LANDMINE)
    await put(live_client, headers, _days_ago(4), [s(custom["id"], 30.0, 8, rpe=7)] * 2)
    url = f"/v1/recommendations/exercises/{custom['id']}"
    item = await _get(live_client, headers, url)
    assert item["exercise_name"] == "Half-Kneeling Landmine Jab"
    # its last session again: 2 × 8 at 30 kg, RPE 7
    assert item["rule"] == "last_sets" and item["sets"] == _sets(30.0, 30.0, "kg", 8, 7.0, 2)
    other, _ = await athlete(live_client, TZ)
    assert_error(await live_client.get(url, headers=other), 404, "not_found")

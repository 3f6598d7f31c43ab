"""Batch scoring through PostgreSQL: ``coaching.score_shard`` writes one batch per
athlete (``data_seq`` = their ``sync_seq``), the API serves it while it is current, a
second run replaces it keeping answered rows, and ``coaching.score_all`` sends one
message per shard."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from sqlalchemy import text

from api.pending import redis_client
from api.recommendations.tables import FEEDBACK_DAYS
from pipelines.store import scoring as scoring_store
from pipelines.tasks.scoring import score_all, score_users
from tests.support.analytics import BENCH, athlete, local, put, s, today
from tests.support.http import json_of
from tests.support.tiny_coach import MODEL, store_champion

TZ = "Europe/Oslo"


def _days_ago(days: int):
    day = today(TZ) - timedelta(days=days)
    return local(TZ, day.year, day.month, day.day, 18)


async def _lifter(http, **extra):
    headers, user_id = await athlete(http, TZ, **extra)
    for days, kg in ((15, 95.0), (8, 97.5), (2, 100.0)):
        await put(http, headers, _days_ago(days), [s(BENCH, kg, 5, rpe=8)] * 3)
    return headers, user_id


def _rows(sync_engine, user_id):
    with sync_engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT r.id, r.batch_id, r.data_seq, r.rule, r.unit, r.exercise_id, u.sync_seq "
                "FROM recommendations r JOIN users u ON u.id = r.user_id "
                "WHERE r.user_id = :u ORDER BY r.rank"
            ),
            {"u": user_id},
        ).all()


def _age(sync_engine, user_id):
    """Make the athlete's stored rows older than FEEDBACK_DAYS: unanswered, they may go."""
    with sync_engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE recommendations SET created_at = now() - make_interval(days => :d) "
                "WHERE user_id = :u"
            ),
            {"u": user_id, "d": FEEDBACK_DAYS + 1},
        )


async def test_a_shard_writes_one_batch_per_athlete_which_the_api_serves(live_client, sync_engine):
    metric, metric_id = await _lifter(live_client)
    imperial, imperial_id = await _lifter(live_client, unit_system="imperial")
    new, new_id = await athlete(live_client, TZ)

    outcome = score_users([metric_id, imperial_id, new_id])
    assert (outcome.users, outcome.sets, outcome.rows_written, outcome.model) == (3, 18, 2, None)

    for user_id, unit in ((metric_id, "kg"), (imperial_id, "lb")):
        rows = _rows(sync_engine, user_id)
        assert len(rows) == 1
        rec_id, _, data_seq, rule, stored_unit, exercise, sync_seq = rows[0]
        assert (str(exercise), rule, stored_unit, data_seq) == (BENCH, "last_sets", unit, sync_seq)
    assert _rows(sync_engine, new_id) == []

    # the API serves the stored batch as it is (no rescoring: data_seq is current)
    served = json_of(await live_client.get("/v1/recommendations", headers=metric), 200)
    assert [i["id"] for i in served["items"]] == [str(_rows(sync_engine, metric_id)[0][0])]
    assert json_of(await live_client.get("/v1/recommendations", headers=new), 200) == {"items": []}

    # an answered row survives the next run; the unanswered one is replaced
    answered = served["items"][0]["id"]
    json_of(
        await live_client.post(
            f"/v1/recommendations/{answered}/feedback",
            json={"outcome": "done_as_prescribed"},
            headers=metric,
        ),
        201,
    )
    before = _rows(sync_engine, imperial_id)[0][0]
    _age(sync_engine, imperial_id)
    score_users([metric_id, imperial_id])
    after = _rows(sync_engine, imperial_id)
    assert len(after) == 1 and after[0][0] != before
    metric_rows = _rows(sync_engine, metric_id)
    assert len(metric_rows) == 2 and str(answered) in {str(r[0]) for r in metric_rows}
    assert len({r[1] for r in metric_rows}) == 2  # the old batch (answered) and the new one
    served = json_of(await live_client.get("/v1/recommendations", headers=metric), 200)
    assert served["items"][0]["id"] != answered


async def test_score_all_sends_one_shard_message_per_shard(live_client, settings):
    ids = [(await athlete(live_client, TZ))[1] for _ in range(3)]
    client = redis_client(settings)
    queue = f"{settings.key_prefix}:{settings.celery_queue}"
    client.delete(queue)
    try:
        assert score_all(shard_size=2) == 2
        messages = [json.loads(m) for m in client.lrange(queue, 0, -1)]
    finally:
        client.delete(queue)
    assert {m["headers"]["task"] for m in messages} == {"coaching.score_shard"}
    shards = [json.loads(base64.b64decode(m["body"]))[0][0] for m in messages]
    assert sorted(len(x) for x in shards) == [1, 2]
    assert sorted(u for x in shards for u in x) == sorted(str(u) for u in ids)


async def test_a_shard_scores_with_the_champion(live_client, sync_engine):
    store_champion(sync_engine, 4)
    headers, user_id = await _lifter(live_client)
    outcome = score_users([user_id])
    assert outcome.model == (MODEL, 4) and outcome.rows_written == 1
    with sync_engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT model_name, model_version, rule, predicted_e1rm_kg, interval_low_kg, "
                "interval_high_kg FROM recommendations WHERE user_id = :u"
            ),
            {"u": user_id},
        ).one()
    assert row[:3] == (MODEL, 4, None)
    assert row.interval_low_kg <= row.predicted_e1rm_kg <= row.interval_high_kg
    served = json_of(await live_client.get("/v1/recommendations", headers=headers), 200)
    assert served["items"][0]["model"] == {"name": MODEL, "version": 4}


async def test_a_shard_leaves_a_batch_scored_from_newer_data_alone(live_client, sync_engine):
    headers, user_id = await _lifter(live_client)
    served = json_of(await live_client.get("/v1/recommendations", headers=headers), 200)
    ((rec_id, _, data_seq, *_),) = _rows(sync_engine, user_id)
    assert str(rec_id) == served["items"][0]["id"]
    # a shard that read the athlete before their last write: the API's batch stays
    with sync_engine.begin() as conn:
        assert scoring_store.write_batches(conn, [user_id], [], {str(user_id): data_seq - 1}) == 0
    assert [r[0] for r in _rows(sync_engine, user_id)] == [rec_id]
    # one that read the same data replaces it (here by nothing: no main exercise) once
    # no phone can still be holding its id
    with sync_engine.begin() as conn:
        scoring_store.write_batches(conn, [user_id], [], {str(user_id): data_seq})
    assert [r[0] for r in _rows(sync_engine, user_id)] == [rec_id]
    _age(sync_engine, user_id)
    with sync_engine.begin() as conn:
        scoring_store.write_batches(conn, [user_id], [], {str(user_id): data_seq})
    assert _rows(sync_engine, user_id) == []

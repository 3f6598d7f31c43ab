"""``forma up``'s first start: after seeding the demo, a training run of the coach is
queued and its ``coaching.train`` sent, so the worker trains a champion in the background."""

from __future__ import annotations

import base64
import json

import redis
from sqlalchemy import text

from api.config import redis_py_url
from pipelines.demo.command import FIRST_START_ACTOR, queue_first_training
from tests.support.training_runs import committed  # noqa: F401  # the fixture


def _messages(settings, name: str, *, take: bool = False) -> list[list]:
    """The args of the ``name`` messages waiting in the test run's queue (removed from it
    with ``take``: no later worker of this test run gets them)."""
    client = redis.Redis.from_url(redis_py_url(settings.redis_url))
    key = f"{settings.key_prefix}:{settings.celery_queue}"
    found = []
    for raw in client.lrange(key, 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == name:
            found.append(json.loads(base64.b64decode(message["body"]))[0])
            if take:
                client.lrem(key, 1, raw)
    return found


def test_the_first_start_queues_one_training_run(committed, settings):  # noqa: F811
    before = _messages(settings, "coaching.train")
    said = queue_first_training(settings.database_url)
    with committed.connect() as conn:
        runs = conn.execute(
            text("SELECT id::text, model_name, status, requested_by FROM model_runs")
        ).all()
    assert len(runs) == 1
    run_id, name, status, by = runs[0]
    assert (name, status, by) == ("next_e1rm", "queued", FIRST_START_ACTOR)
    assert said.startswith("coach: training next_e1rm on the demo athletes now") and run_id in said
    # one more message, naming the run (the queue lists the newest first)
    assert sorted(_messages(settings, "coaching.train", take=True)) == sorted([*before, [run_id]])
    # a second start while it waits queues nothing more
    assert "already active" in queue_first_training(settings.database_url)
    with committed.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM model_runs")).scalar_one() == 1

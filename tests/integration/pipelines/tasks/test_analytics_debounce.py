"""The refresh debounce: an athlete is refreshed once their writes pause for
``refresh_quiet_s``, or once their first owed write is ``refresh_max_wait_s`` old;
until then a refresh claims nothing and puts itself back for the moment one is due."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from api.analytics.markers import mark_stale
from api.pending import PendingTokens, redis_client
from pipelines.celery_app import REFRESH
from pipelines.store.analytics_markers import clear_markers, read_markers
from pipelines.tasks import analytics as tasks
from tests.support.http import register, user_id_of

QUIET_S = 30.0
MAX_WAIT_S = 120.0


@pytest.fixture
def debounced(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    slow = settings.model_copy(
        update={"refresh_quiet_s": QUIET_S, "refresh_max_wait_s": MAX_WAIT_S}
    )
    monkeypatch.setattr(tasks, "get_settings", lambda: slow)
    return slow


async def _athlete(live_client: Any) -> uuid.UUID:
    headers = await register(live_client)
    return await user_id_of(live_client, headers)


def _mark(sync_engine: Any, user: uuid.UUID, *, ago_s: float = 0, first_ago_s: float = 0) -> None:
    """Mark ``user`` stale, then move the mark ``ago_s`` and the first mark ``first_ago_s``
    seconds into the past, as if written then."""
    with sync_engine.begin() as conn:
        conn.execute(mark_stale(user, date(2024, 1, 1)))
        conn.execute(
            text(
                "UPDATE analytics_dirty SET "
                "marked_at = clock_timestamp() - make_interval(secs => :a), "
                "first_marked_at = clock_timestamp() - make_interval(secs => :f) "
                "WHERE user_id = :u"
            ),
            {"a": ago_s, "f": first_ago_s, "u": user},
        )


def _marked(sync_engine: Any) -> set[uuid.UUID]:
    with sync_engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT user_id FROM analytics_dirty"))}


async def test_an_athlete_still_writing_is_not_due_and_the_wait_is_reported(
    live_client, sync_engine, debounced
):
    user = await _athlete(live_client)
    _mark(sync_engine, user, ago_s=10, first_ago_s=10)
    batch = tasks.refresh_marked()
    assert batch.claimed == 0 and batch.cleared == 0
    # due when the writes have paused for 30 s: 20 s from now (the statement's own clock)
    assert batch.due_in is not None and 19.0 < batch.due_in <= 20.0
    assert _marked(sync_engine) == {user}


@pytest.mark.parametrize(
    ("ago_s", "first_ago_s"),
    [(QUIET_S + 1, QUIET_S + 1), (1, MAX_WAIT_S + 1)],
    ids=["writes-paused", "waited-longest"],
)
async def test_an_athlete_is_due_after_a_pause_or_after_the_longest_wait(
    live_client, sync_engine, debounced, ago_s, first_ago_s
):
    user = await _athlete(live_client)
    _mark(sync_engine, user, ago_s=ago_s, first_ago_s=first_ago_s)
    batch = tasks.refresh_marked()
    assert (batch.claimed, batch.cleared) == (1, 1)
    assert _marked(sync_engine) == set()


async def test_a_refresh_with_nothing_due_comes_back_later_holding_the_token(
    live_client, sync_engine, settings, debounced
):
    user = await _athlete(live_client)
    _mark(sync_engine, user, ago_s=25, first_ago_s=25)  # due in 5 s
    client = redis_client(settings)
    tokens = PendingTokens(settings)
    queue = f"{settings.key_prefix}:{settings.celery_queue}"
    client.delete(queue, tokens.key(REFRESH))
    try:
        assert tokens.send_once(REFRESH, lambda: True)  # this refresh's own request
        assert tasks.run_refresh() == {"claimed": 0, "cleared": 0}
        (raw,) = client.lrange(queue, 0, -1)
        message = json.loads(raw)
        assert message["headers"]["task"] == REFRESH
        assert message["headers"]["eta"] is not None  # runs later, not now
        # the token outlives the wait (5 s) by the usual TTL: writes meanwhile send nothing
        ttl_ms = client.pttl(tokens.key(REFRESH))
        assert 5_000 + settings.refresh_pending_ttl_s * 1000 - 2_000 < ttl_ms
        sent: list[str] = []
        assert tokens.send_once(REFRESH, lambda: sent.append("sent") is None)
        assert sent == [] and client.llen(queue) == 1  # a write now: covered, nothing sent
    finally:
        client.delete(queue, tokens.key(REFRESH))
        tokens.close()
        client.close()


async def test_a_refresh_that_finds_nothing_marked_releases_the_token_and_sends_nothing(
    live_client, settings, debounced
):
    client = redis_client(settings)
    tokens = PendingTokens(settings)
    queue = f"{settings.key_prefix}:{settings.celery_queue}"
    client.delete(queue, tokens.key(REFRESH))
    try:
        assert tokens.send_once(REFRESH, lambda: True)
        assert tasks.run_refresh() == {"claimed": 0, "cleared": 0}
        assert client.llen(queue) == 0
        assert client.exists(tokens.key(REFRESH)) == 0
    finally:
        tokens.close()
        client.close()


async def test_a_mark_left_by_a_refresh_waits_from_the_mark_it_covered(live_client, sync_engine):
    user = await _athlete(live_client)
    _mark(sync_engine, user, ago_s=50, first_ago_s=200)
    with sync_engine.begin() as conn:
        covered = read_markers(conn, [user])
    _mark(sync_engine, user, ago_s=0, first_ago_s=200)  # written while the refresh ran
    with sync_engine.begin() as conn:
        assert clear_markers(conn, covered) == 0
    with sync_engine.connect() as conn:
        first = conn.execute(
            text("SELECT first_marked_at FROM analytics_dirty WHERE user_id = :u"), {"u": user}
        ).scalar_one()
    assert first == covered[user][1]


def test_a_send_whose_client_fails_oddly_is_refused_not_raised(settings, monkeypatch):
    from api.producer import TaskProducer

    producer = TaskProducer(settings)

    def closed_under_it(*_: object, **__: object) -> None:
        # what redis-py raised when shutdown closed its socket under a send in flight
        raise ValueError("I/O operation on closed file.")

    monkeypatch.setattr(producer._pending._client, "set", closed_under_it)
    try:
        assert producer.send(REFRESH) is False  # on an executor thread nobody reads: no raise
    finally:
        producer.close()

"""The coalesced refresh on PostgreSQL and Redis: several athletes from their own days in
one derive equal a full rebuild of each; a mark landing meanwhile survives; nothing
marked, nothing done; two refreshes never share an athlete; many writes, one message."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import text

from api.analytics.markers import mark_stale
from api.config import Settings
from api.main import create_app
from api.pending import PendingTokens, redis_client
from api.producer import TaskProducer
from pipelines.beat import schedule
from pipelines.celery_app import REFRESH, app
from pipelines.tasks import analytics as tasks
from pipelines.tasks.analytics import (
    rebuild_shard_task,
    rebuild_users,
    refresh_marked,
    refresh_user_task,
    start_rebuild,
)
from pipelines.tasks.maintenance import sweep
from tests.support.http import register, user_id_of
from tests.support.stored import snapshot
from tests.support.workouts import BENCH, SQUAT, a_set, a_workout, new_id

START = datetime(2024, 1, 1, 7, 0, tzinfo=UTC)


async def _put(http: httpx.AsyncClient, headers: dict[str, str], at: datetime, kg: float) -> str:
    workout_id = new_id()
    response = await http.put(
        f"/v1/workouts/{workout_id}",
        headers=headers,
        json={
            "id": workout_id,
            **a_workout(at, sets=[a_set(BENCH, weight_kg=kg, reps=5), a_set(SQUAT, weight_kg=kg)]),
            "session_rpe": 7.0,
        },
    )
    assert response.status_code == 201, response.text
    return workout_id


async def _athlete(http: httpx.AsyncClient, weeks: int) -> tuple[dict[str, str], uuid.UUID, list]:
    headers = await register(http)
    ids = [
        await _put(http, headers, START + timedelta(weeks=w, days=d), 80.0 + w + d)
        for w in range(weeks)
        for d in (0, 3)
    ]
    return headers, await user_id_of(http, headers), ids


class DeriveCalls:
    """Counts the engine's derive calls and the athletes in each (wrapping the real one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, before: Any = None) -> None:
        self.athletes: list[int] = []
        self._real = tasks.analytics.derive
        self._before = before
        monkeypatch.setattr(tasks.analytics, "derive", self)

    def __call__(self, inputs: Any, previous: Any = None) -> Any:
        self.athletes.append(len(previous.read_from) if previous is not None else -1)
        if self._before is not None:
            self._before(len(self.athletes))
        return self._real(inputs, previous)


def _markers(sync_engine: Any) -> dict[uuid.UUID, date]:
    with sync_engine.connect() as conn:
        return dict(conn.execute(text("SELECT user_id, since_day FROM analytics_dirty")).all())


async def test_one_derive_of_athletes_from_their_own_days_equals_full_rebuilds(
    live_client, sync_engine, monkeypatch
):
    a_headers, a, _ = await _athlete(live_client, 10)
    b_headers, b, b_ids = await _athlete(live_client, 10)
    c_headers, c, _ = await _athlete(live_client, 10)
    first = refresh_marked()
    assert (first.claimed, first.cleared, first.more) == (3, 3, False)
    # a: back-dated into week 2; b: a workout of week 6 deleted; c: a newer workout;
    # d: a new athlete without any refresh yet (derived in full in the same call)
    await _put(live_client, a_headers, START + timedelta(weeks=2, days=1), 150.0)
    response = await live_client.delete(f"/v1/workouts/{b_ids[12]}", headers=b_headers)
    assert response.status_code == 204, response.text
    await _put(live_client, c_headers, START + timedelta(weeks=11), 120.0)
    _, d, _ = await _athlete(live_client, 3)
    assert _markers(sync_engine) == {
        a: date(2024, 1, 16),
        b: date(2024, 2, 12),
        c: date(2024, 3, 18),
        d: date(2024, 1, 1),
    }

    calls = DeriveCalls(monkeypatch)
    batch = refresh_marked()
    assert (batch.claimed, batch.cleared, batch.more) == (4, 4, False)
    assert calls.athletes == [4]  # one vectorised call for the four athletes
    assert _markers(sync_engine) == {}
    coalesced = {u: snapshot(sync_engine, u) for u in (a, b, c, d)}

    rebuild_users([a, b, c, d])
    full = {u: snapshot(sync_engine, u) for u in (a, b, c, d)}
    assert coalesced == full
    # by hand: a's 150 kg bench single of 2024-01-16 is its standing 5-rep record
    fives = [r for r in full[a]["analytics_rep_max_prs"] if r[2] == "rep_max" and r[3] == 5]
    assert [(r[4], r[5]) for r in fives if r[1] == uuid.UUID(BENCH)] == [(150.0, date(2024, 1, 16))]
    # d trained 3 weeks: its load calendar runs from 2024-01-01 to 2024-01-18
    assert len(full[d]["analytics_daily_load"]) == 18


async def test_a_write_during_a_refresh_keeps_its_marker_and_never_waits(
    live_client, sync_engine, monkeypatch
):
    _, user_id, _ = await _athlete(live_client, 2)
    assert refresh_marked().cleared == 1
    with sync_engine.begin() as conn:
        conn.execute(mark_stale(user_id, date(2024, 1, 8)))

    def write_meanwhile(call: int) -> None:
        # a write commits while the refresh holds the athlete's lock and has read the
        # marker; lock_timeout turns any wait into an error instead of a hang
        with sync_engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))
            conn.execute(mark_stale(user_id, date(2024, 1, 3)))

    DeriveCalls(monkeypatch, before=write_meanwhile)
    batch = refresh_marked()
    assert (batch.claimed, batch.cleared, batch.more) == (1, 0, True)
    assert _markers(sync_engine) == {user_id: date(2024, 1, 3)}  # LEAST(Jan 8, Jan 3)

    monkeypatch.undo()
    batch = refresh_marked()
    assert (batch.claimed, batch.cleared, batch.more) == (1, 1, False)
    assert _markers(sync_engine) == {}


async def test_a_refresh_with_nothing_marked_writes_nothing(live_client, sync_engine, monkeypatch):
    _, user_id, _ = await _athlete(live_client, 2)
    assert refresh_marked().cleared == 1
    before = snapshot(sync_engine, user_id)
    with sync_engine.connect() as conn:
        state = conn.execute(text("SELECT * FROM analytics_state")).all()

    calls = DeriveCalls(monkeypatch)
    batch = refresh_marked()
    assert (batch.claimed, batch.cleared, batch.more) == (0, 0, False)
    assert calls.athletes == []  # no derive, not even of the athlete with state
    assert snapshot(sync_engine, user_id) == before
    with sync_engine.connect() as conn:
        assert conn.execute(text("SELECT * FROM analytics_state")).all() == state
    # a message queued under the former per-athlete name runs the same refresh
    assert refresh_user_task(str(user_id)) == {"claimed": 0, "cleared": 0}


async def test_two_concurrent_refreshes_never_take_the_same_athlete(
    live_client, sync_engine, monkeypatch
):
    athletes = set()
    for _ in range(4):
        athletes.add((await _athlete(live_client, 1))[1])
    claims: list[list[uuid.UUID]] = []
    real_claim = tasks.refresh_store.claim_marked

    def recording_claim(conn: Any, limit: int, **debounce: float) -> list[uuid.UUID]:
        claimed = real_claim(conn, limit, **debounce)
        claims.append(claimed)
        return claimed

    monkeypatch.setattr(tasks.refresh_store, "claim_marked", recording_claim)
    inside, release = threading.Event(), threading.Event()

    def hold_first(call: int) -> None:
        if call == 1:  # the first refresh waits inside its derive, its athletes locked
            inside.set()
            assert release.wait(30)

    DeriveCalls(monkeypatch, before=hold_first)
    first: list[Any] = []
    worker = threading.Thread(target=lambda: first.append(refresh_marked(limit=2)))
    worker.start()
    assert inside.wait(30)
    second = refresh_marked()  # the other two athletes, without waiting for the first
    release.set()
    worker.join(30)

    assert len(claims) == 2 and len(claims[0]) == 2 and len(claims[1]) == 2
    assert not set(claims[0]) & set(claims[1])
    assert set(claims[0]) | set(claims[1]) == athletes
    assert (second.claimed, second.cleared) == (2, 2)
    assert (first[0].claimed, first[0].cleared, first[0].more) == (2, 2, True)  # full batch
    assert _markers(sync_engine) == {}


def _queue_length(client: redis.Redis, settings: Settings) -> int:
    # kombu's Redis transport keeps a queue as a list under the global key prefix
    return int(client.llen(f"{settings.key_prefix}:{settings.celery_queue}"))


async def test_many_writes_send_one_refresh_message(live_client, settings, monkeypatch):
    client = redis_client(settings)
    tokens = PendingTokens(settings)
    client.delete(f"{settings.key_prefix}:{settings.celery_queue}", tokens.key(REFRESH))
    # the token must outlive the burst however slow the machine: 10 minutes
    slow = settings.model_copy(update={"refresh_pending_ttl_s": 600.0})
    app = create_app(slow)
    pool = ThreadPoolExecutor(4)  # the after-commit sends run here; shut down to wait for them
    asyncio.get_running_loop().set_default_executor(pool)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            headers = await register(http)
            for week in range(20):
                await _put(http, headers, START + timedelta(weeks=week), 100.0)
            pool.shutdown(wait=True)
    assert _queue_length(client, settings) == 1  # 20 writes, one message

    # the refresh starts: the token goes, so the next write queues a message of its own
    producer = TaskProducer(slow)
    try:
        tasks.run_refresh()
        assert producer.send(REFRESH) is True
        assert producer.send(REFRESH) is True
        assert _queue_length(client, settings) == 2
    finally:
        producer.close()
        client.delete(f"{settings.key_prefix}:{settings.celery_queue}", tokens.key(REFRESH))
        tokens.close()
        client.close()


@dataclass
class RefreshQueue:
    """Redis as the refresh sees it: the client, the pending tokens, the Celery queue's key."""

    client: redis.Redis
    tokens: PendingTokens
    queue: str

    def clear(self) -> None:
        """Empties the queue and drops the refresh's token (the athletes' writes set both)."""
        self.client.delete(self.queue, self.tokens.key(REFRESH))


@pytest.fixture
def refresh_queue(settings: Settings) -> Iterator[RefreshQueue]:
    # the teardown clears what the test left, even when it failed half-way
    queue = RefreshQueue(
        redis_client(settings),
        PendingTokens(settings),
        f"{settings.key_prefix}:{settings.celery_queue}",
    )
    yield queue
    queue.clear()
    queue.tokens.close()
    queue.client.close()


async def test_writes_during_a_refresh_send_nothing_and_its_end_asks_for_one(
    live_client, sync_engine, settings, monkeypatch, refresh_queue
):
    client, tokens = refresh_queue.client, refresh_queue.tokens
    _, a, _ = await _athlete(live_client, 1)
    _, b, _ = await _athlete(live_client, 1)
    assert refresh_marked().cleared == 2
    with sync_engine.begin() as conn:
        conn.execute(mark_stale(a, date(2024, 1, 1)))
    refresh_queue.clear()
    assert tokens.send_once(REFRESH, lambda: True)  # a's request: its message is running
    producer = TaskProducer(settings)
    sent_meanwhile: list[bool] = []
    queued_meanwhile: list[int] = []

    def b_writes(call: int) -> None:
        with sync_engine.begin() as conn:
            conn.execute(mark_stale(b, date(2024, 1, 2)))
        sent_meanwhile.append(producer.send(REFRESH))
        queued_meanwhile.append(_queue_length(client, settings))

    DeriveCalls(monkeypatch, before=b_writes)
    try:
        assert tasks.run_refresh() == {"claimed": 1, "cleared": 1}
        assert sent_meanwhile == [True]  # accepted: the running refresh's token stands for it
        assert queued_meanwhile == [0]
        # nothing was queued during the refresh; its end found b and asked once
        assert _queue_length(client, settings) == 1
        assert _markers(sync_engine) == {b: date(2024, 1, 2)}
        assert refresh_marked().claimed == 1
    finally:
        producer.close()


async def test_a_write_during_a_rebuild_shard_gets_a_refresh_after_it(
    live_client, sync_engine, settings, monkeypatch, refresh_queue
):
    client, tokens = refresh_queue.client, refresh_queue.tokens
    _, a, _ = await _athlete(live_client, 1)
    assert refresh_marked().cleared == 1
    rebuild_id, shards = start_rebuild([a], 250)
    refresh_queue.clear()
    # a write while the shard holds a's lock; its own request finds a refresh's token set
    assert tokens.send_once(REFRESH, lambda: True)

    def a_writes(call: int) -> None:
        with sync_engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))
            conn.execute(mark_stale(a, date(2024, 1, 3)))
        assert refresh_marked().claimed == 0  # the refresh skips a: the shard holds it
        tokens.release(REFRESH)  # and that refresh ends, its look finding nothing claimable

    DeriveCalls(monkeypatch, before=a_writes)
    rebuild_shard_task(str(rebuild_id), [str(u) for u in shards[0]])
    assert _markers(sync_engine) == {a: date(2024, 1, 3)}
    assert _queue_length(client, settings) == 1  # the shard asked for the refresh owed


def test_an_unreachable_redis_fails_the_request_fast_and_keeps_no_token(settings):
    closed = settings.model_copy(
        update={"redis_url": "redis://127.0.0.1:1/0", "broker_publish_timeout_s": 0.5}
    )
    tokens = PendingTokens(closed)
    sent: list[int] = []
    assert tokens.send_once(REFRESH, lambda: sent.append(1) or True) is False
    assert sent == []  # nothing sent; the marker in PostgreSQL and the sweep cover it
    tokens.close()


async def test_the_sweep_sends_one_refresh_for_every_stale_athlete(
    live_client, sync_engine, settings
):
    client = redis_client(settings)
    queue = f"{settings.key_prefix}:{settings.celery_queue}"
    athletes = [(await _athlete(live_client, 1))[1] for _ in range(3)]
    with sync_engine.begin() as conn:
        conn.execute(
            text("UPDATE analytics_dirty SET marked_at = now() - make_interval(secs => :s)"),
            {"s": settings.stale_resend_after_s + 5},
        )
    client.delete(queue)
    try:
        assert sweep()["users"] == len(athletes) == 3
        assert _queue_length(client, settings) == 1
        assert refresh_marked().claimed == 3
    finally:
        client.delete(queue)
        client.close()


def test_the_sweep_has_a_queue_of_its_own(settings):
    assert settings.sweep_queue == f"{settings.celery_queue}.sweep"
    assert app.amqp.router.route({}, "maintenance.sweep")["queue"].name == settings.sweep_queue
    assert app.amqp.router.route({}, REFRESH)["queue"].name == settings.celery_queue
    assert schedule(settings)["sweep-owed-work"]["options"]["queue"] == settings.sweep_queue

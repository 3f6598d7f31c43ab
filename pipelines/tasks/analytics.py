"""``analytics.refresh`` (coalesced and incremental) and the rebuild (``analytics.rebuild_all``
fanning out ``analytics.rebuild_shard``). The beat's sweep is in
:mod:`pipelines.tasks.maintenance`; the SQL is in :mod:`pipelines.store`."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from api.config import get_settings
from models import analytics
from pipelines.celery_app import REFRESH, app, pending_tokens, publish, publish_coalesced
from pipelines.db import transaction
from pipelines.store import analytics as store
from pipelines.store import analytics_markers as markers_store
from pipelines.store import analytics_rebuilds as rebuilds_store
from pipelines.store import analytics_refresh as refresh_store
from pipelines.store import analytics_state as state_store
from pipelines.store import analytics_write as write_store

logger = logging.getLogger("forma.analytics")

#: Marks older than this are cheaper to recompute in full than from the day.
_EVERYTHING = date(1900, 1, 1)


@dataclass(slots=True)
class Outcome:
    """What one refresh or shard did."""

    users: int = 0
    sets: int = 0
    rows_written: int = 0
    cleared: int = 0
    read_s: float = 0.0
    derive_s: float = 0.0
    write_s: float = 0.0


def _full(conn: Connection, user_ids: list[uuid.UUID]) -> Outcome:
    started = time.perf_counter()
    inputs = store.read_inputs(conn, user_ids, _EVERYTHING)
    read = time.perf_counter()
    derived = analytics.derive(inputs)
    done = time.perf_counter()
    written = write_store.write(conn, user_ids, derived, None)
    return Outcome(
        users=len(user_ids),
        sets=len(inputs.sets),
        rows_written=written,
        read_s=read - started,
        derive_s=done - read,
        write_s=time.perf_counter() - done,
    )


def _refresh_locked(conn: Connection, user_ids: list[uuid.UUID]) -> Outcome:
    """Refresh these athletes, already locked by this transaction, in one derive.

    Each athlete is derived from the first day their marker says changed (the rows
    before ``read_from``, see :func:`models.analytics.read_from`, stay); without a marker
    or before their first refresh, from their first row. Markers read here are cleared
    only where unchanged (compare-and-clear): a write landing meanwhile keeps its own.
    """
    # a refresh's statements touch few athletes' rows; JIT compiling them costs more
    # than running them whenever the planner's estimates run high
    markers_store.without_jit(conn)
    markers = markers_store.read_markers(conn, user_ids)
    as_of = markers_store.clock(conn)
    stateful = refresh_store.with_state(conn, user_ids)
    since = pd.Series(
        [
            pd.Timestamp(markers[u][0])
            if u in markers and u in stateful and markers[u][0] > _EVERYTHING
            else pd.Timestamp(_EVERYTHING)
            for u in user_ids
        ],
        dtype="datetime64[ns]",
    )
    starts = dict(zip(user_ids, (d.date() for d in analytics.read_from(since)), strict=True))
    started = time.perf_counter()
    previous = refresh_store.read_previous(conn, starts)
    inputs = store.read_inputs(conn, user_ids, starts)
    read = time.perf_counter()
    derived = analytics.derive(inputs, previous)
    done = time.perf_counter()
    written = write_store.write(conn, user_ids, derived, starts)
    state_store.write_state(conn, user_ids, as_of)
    return Outcome(
        users=len(user_ids),
        sets=len(inputs.sets),
        rows_written=written,
        cleared=markers_store.clear_markers(conn, markers),
        read_s=read - started,
        derive_s=done - read,
        write_s=time.perf_counter() - done,
    )


def refresh_user(user_id: uuid.UUID) -> bool:
    """Refresh one athlete now, waiting for their lock (operators and tests).

    Without a marker, or before the first refresh, everything is recomputed. Returns
    True when the marker was cleared (or there was none), False when the athlete was
    marked again meanwhile (a newer refresh is owed and will run).
    """
    with transaction() as conn:
        markers_store.lock_users(conn, [user_id])
        had_marker = bool(markers_store.read_markers(conn, [user_id]))
        outcome = _refresh_locked(conn, [user_id])
    return not had_marker or outcome.cleared == 1


@dataclass(slots=True)
class Batch:
    """What one coalesced refresh did."""

    claimed: int
    cleared: int
    #: True when more may be owed than this batch could take (another refresh is asked for).
    more: bool
    #: Nothing claimed: seconds until the next marked athlete is due (None: none marked).
    due_in: float | None = None


def refresh_marked(limit: int | None = None) -> Batch:
    """Refresh up to ``limit`` marked athletes (``FORMA_REFRESH_SHARD_SIZE``) in one derive.

    Athletes another refresh or rebuild is working on are skipped, never waited for, and so
    are athletes not yet due (the debounce: marked within ``FORMA_REFRESH_QUIET_S``, unless
    first marked ``FORMA_REFRESH_MAX_WAIT_S`` ago). With nothing due (or everything due
    already taken) it returns at once, writing nothing, with ``due_in`` set. ``more`` is
    True when the batch was full, or when some athlete was marked again while it ran:
    then another refresh is owed.
    """
    settings = get_settings()
    size = limit or settings.refresh_shard_size
    debounce = {"quiet_s": settings.refresh_quiet_s, "max_wait_s": settings.refresh_max_wait_s}
    with transaction() as conn:
        claimed = refresh_store.claim_marked(conn, size, **debounce)
        if not claimed:
            due_in = refresh_store.seconds_until_due(conn, **debounce)
            return Batch(claimed=0, cleared=0, more=False, due_in=due_in)
        if len(claimed) >= size:
            # more are owed: another worker can claim the next shard while this one derives
            publish(REFRESH)
        started = time.perf_counter()
        outcome = _refresh_locked(conn, claimed)
    logger.info(
        "refresh: %d athletes, %d sets, %d rows in %.2f s (derive %.2f s), %d cleared",
        outcome.users, outcome.sets, outcome.rows_written, time.perf_counter() - started,
        outcome.derive_s, outcome.cleared,
    )  # fmt: skip
    return Batch(
        claimed=len(claimed),
        cleared=outcome.cleared,
        more=len(claimed) >= size or outcome.cleared < len(claimed),
    )


def rebuild_users(user_ids: list[uuid.UUID], *, rebuild_id: uuid.UUID | None = None) -> Outcome:
    """Recompute every derived row of these athletes in one transaction (one shard).

    Markers read before the recompute are cleared when unchanged, so a write landing
    meanwhile still gets its own refresh. With ``rebuild_id`` the shard's counts are
    added to that rebuild's progress row in the same transaction.
    """
    ids = sorted(set(user_ids))
    if not ids:
        return Outcome()
    with transaction() as conn:
        markers_store.without_jit(conn)  # planned row counts run high mid-rebuild
        markers_store.lock_users(conn, ids)
        markers = markers_store.read_markers(conn, ids)
        as_of = markers_store.clock(conn)
        outcome = _full(conn, ids)
        started = time.perf_counter()
        state_store.write_state(conn, ids, as_of)
        outcome.write_s += time.perf_counter() - started
        outcome.cleared = markers_store.clear_markers(conn, markers)
        if rebuild_id is not None:
            rebuilds_store.add_shard(conn, rebuild_id, outcome)
    return outcome


def start_rebuild(
    user_ids: list[uuid.UUID], shard_size: int
) -> tuple[uuid.UUID, list[list[uuid.UUID]]]:
    """Record a rebuild of these athletes and split them into shards."""
    shards = [user_ids[i : i + shard_size] for i in range(0, len(user_ids), shard_size)]
    rebuild_id = uuid.uuid4()
    with transaction() as conn:
        rebuilds_store.start(conn, rebuild_id, shards=len(shards), users=len(user_ids))
    return rebuild_id, shards


def rebuild_all(shard_size: int | None = None, email: str | None = None) -> uuid.UUID:
    """Fan a full rebuild out over the workers: one ``analytics.rebuild_shard`` per shard."""
    size = shard_size or get_settings().rebuild_shard_size
    with transaction() as conn:
        ids = store.user_ids(conn, email)
    rebuild_id, shards = start_rebuild(ids, size)
    for shard in shards:
        publish("analytics.rebuild_shard", str(rebuild_id), [str(u) for u in shard])
    logger.info("rebuild %s: %d athletes in %d shards", rebuild_id, len(ids), len(shards))
    return rebuild_id


def progress(rebuild_id: uuid.UUID) -> dict[str, Any] | None:
    """The rebuild's progress row as a dict, or None when unknown."""
    with transaction() as conn:
        return rebuilds_store.progress(conn, rebuild_id)


def run_refresh() -> dict[str, int]:
    """One queued refresh: a shard of the due athletes; asks for another when owed.

    The pending token stays set while it runs, so writes meanwhile send nothing: their
    marks wait for the end, when the token is dropped and, if any marked athlete can be
    claimed then (or the shard was full, or a mark landed meanwhile), one more refresh
    is requested. A write committed after that check finds no token and sends its own.

    When athletes are marked but none is due yet (a burst still going on), the task puts
    itself back in the queue for the moment the first becomes due, keeping the token: a
    burst of writes costs one refresh after it, not one per refresh-length of it.
    """
    come_back: float | None = None
    try:
        batch = refresh_marked()
        if batch.claimed == 0 and batch.due_in is not None and batch.due_in > 0:
            come_back = batch.due_in
            if not (
                pending_tokens().hold(REFRESH, come_back) and publish(REFRESH, countdown=come_back)
            ):
                come_back = None  # the sweep re-sends what is owed
    finally:
        if come_back is None:
            pending_tokens().release(REFRESH)
    if come_back is None and (batch.more or any_claimable()):
        publish_coalesced(REFRESH)
    return {"claimed": batch.claimed, "cleared": batch.cleared}


def any_claimable() -> bool:
    """True when some marked athlete is not being refreshed or rebuilt right now."""
    with transaction() as conn:
        return bool(refresh_store.claim_marked(conn, 1))


@app.task(name=REFRESH)
def refresh_task() -> dict[str, int]:
    """Celery entry point: ``analytics.refresh()``."""
    return run_refresh()


@app.task(name="analytics.refresh_user")
def refresh_user_task(user_id: str | None = None) -> dict[str, int]:
    """Messages queued under the former per-athlete name: the marker, not the id, says
    what is owed, so they run the coalesced refresh."""
    return run_refresh()


@app.task(name="analytics.rebuild_shard")
def rebuild_shard_task(rebuild_id: str, user_ids: list[str]) -> dict[str, int]:
    """Celery entry point: one shard of a rebuild."""
    started = time.perf_counter()
    outcome = rebuild_users([uuid.UUID(u) for u in user_ids], rebuild_id=uuid.UUID(rebuild_id))
    logger.info(
        "rebuild %s shard: %d athletes, %d sets in %.2f s",
        rebuild_id, outcome.users, outcome.sets, time.perf_counter() - started,
    )  # fmt: skip
    if any_claimable():
        # athletes written to during the shard: a refresh that looked while the shard
        # held them skipped them, so ask for one now (at most one waits in the queue)
        publish_coalesced(REFRESH)
    return {"users": outcome.users, "sets": outcome.sets, "rows_written": outcome.rows_written}


@app.task(name="analytics.rebuild_all")
def rebuild_all_task() -> str:
    """Celery entry point for the beat's nightly rebuild."""
    return str(rebuild_all())

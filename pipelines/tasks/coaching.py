"""Training the coach on the workers: ``coaching.train`` fans feature building out over
``coaching.features_shard`` in the analytics rebuild's athlete shards; the shard that
finishes last sends ``coaching.fit``, which fits, gates and registers the version.

State lives in PostgreSQL (``model_runs``, ``model_features``, the registry), never in
a Celery result: a run is queued, building (shards), fitting, then succeeded or failed.
Exactly one run per model is active at a time (the partial unique index); any error
fails the run with its message and a ``failed`` event, and a run a dead worker left
building or fitting is failed by the beat's sweep (:mod:`pipelines.tasks.maintenance`).
The SQL is in :mod:`pipelines.store.coaching`, the math in :mod:`models.coaching`.
"""

from __future__ import annotations

import logging
import subprocess
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from api.config import get_settings
from models.coaching import training
from models.coaching.estimator import Params
from models.coaching.evaluation import cut_after, split
from models.coaching.features import training_examples
from pipelines.celery_app import app, publish
from pipelines.coaching import synthetic
from pipelines.db import transaction
from pipelines.store import analytics as analytics_store
from pipelines.store import coaching as store
from pipelines.store import registry
from pipelines.tasks.datasets import SNAPSHOT, queue_training_snapshot

logger = logging.getLogger("forma.coaching")

TRAIN = "coaching.train"
SHARD = "coaching.features_shard"
FIT = "coaching.fit"
SCORE_ALL = "coaching.score_all"
#: the model the beat trains each night
NIGHTLY_MODEL = "next_e1rm"
BEAT_ACTOR = "beat"
#: athletes' inputs are read from their first row on
_EVERYTHING = date(1900, 1, 1)
#: seconds between two progress writes of a fit (each is a transaction of its own)
_PROGRESS_EVERY_S = 0.5

Send = Callable[..., Any]


def _params(overrides: Mapping[str, Any]) -> Params:
    """The run's :class:`~models.coaching.estimator.Params` from its stored overrides (the
    API stores every parameter, ``forma train`` only those it was given)."""
    return Params.with_overrides({str(k): str(v) for k, v in overrides.items()})


@cache
def code_version() -> str:
    """The package version and, when run from a git checkout, its commit (``0.1.0+abc1234``)."""
    try:
        version = metadata.version("forma")
    except metadata.PackageNotFoundError:
        version = "0+unknown"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{version}+{commit}" if commit else version


def fail_run(run_id: uuid.UUID, message: str) -> bool:
    """Fail the run (if still active) with ``message`` and a ``failed`` event; True when
    this call failed it."""
    with transaction() as conn:
        row = store.fail(conn, run_id, message)
        if row is None:
            return False
        registry.add_event(
            conn,
            row["model_name"],
            "failed",
            actor=row["requested_by"],
            reason=message[:1000],
            details={"run_id": str(run_id)},
        )
    logger.warning("training run %s failed: %s", run_id, message)
    return True


def _failing(run_id: uuid.UUID, what: str, work: Callable[[], Any]) -> Any:
    """Run ``work``; on any error fail the run with the error's message, then re-raise."""
    try:
        return work()
    except Exception as exc:
        fail_run(run_id, f"{what}: {type(exc).__name__}: {exc}")
        raise


def request_run(model_name: str, params: Mapping[str, Any], requested_by: str) -> uuid.UUID:
    """Queue a run as the API does (raises :class:`store.RunActive` when one is active;
    :class:`ValueError` naming a bad hyper-parameter)."""
    _params(params)  # refuse a bad override before a run exists
    with transaction() as conn:
        return store.create_run(conn, model_name, params, requested_by)


# --- coaching.train ----------------------------------------------------------------


def start(run_id: uuid.UUID, shard_size: int | None = None) -> list[list[uuid.UUID]] | None:
    """Mark the queued run building, record its snapshot and split its athletes into
    shards of ``shard_size`` (default ``FORMA_REBUILD_SHARD_SIZE``, the analytics
    rebuild's); None when the run is not queued (already started: a message delivered
    twice).

    Raises
    ------
    LookupError
        When no athlete has a strength set (the run is left building: the caller fails it).
    """
    size = shard_size or get_settings().rebuild_shard_size
    with transaction() as conn:
        run = store.claim_queued(conn, run_id)
        if run is None:
            return None
        _params(run["params"])  # a run asked for with a bad override fails here, named
        taken, users = store.snapshot(conn)
        shards = [users[i : i + size] for i in range(0, len(users), size)]
        store.record_plan(conn, run_id, taken, shards=len(shards), users=len(users))
    logger.info(
        "training run %s (%s): %d athletes, %d sets in %d shards",
        run_id, run["model_name"], taken.athletes, taken.sets, len(shards),
    )  # fmt: skip
    if not shards:
        raise LookupError("no athlete has a strength set to learn from")
    return shards


def train(run_id: uuid.UUID | None = None, model_name: str = NIGHTLY_MODEL) -> uuid.UUID | None:
    """``coaching.train``: start ``run_id`` (None: the beat's nightly run, queued here
    unless a run of ``model_name`` is active — then nothing is recorded) and send one
    ``coaching.features_shard`` per shard. Returns the run's id (None: nothing to do)."""
    if run_id is None:
        try:
            run_id = request_run(model_name, {}, BEAT_ACTOR)
        except store.RunActive as active:
            logger.info("nightly training of %s skipped: run %s is active", model_name,
                        active.run_id)  # fmt: skip
            return None
    rid = run_id
    shards = _failing(rid, "planning", lambda: start(rid))
    if shards is None:
        return None
    for shard in shards:
        if not publish(SHARD, str(rid), [str(u) for u in shard]):
            fail_run(rid, "the broker refused a feature shard")
            break
    return rid


# --- coaching.features_shard -------------------------------------------------------


class _NotBuilding(Exception):
    """The run is no longer building, or already holds this shard: roll back, skip."""


@dataclass(slots=True)
class ShardOutcome:
    """What one feature shard did; ``last`` is True for the shard that completed the run."""

    users: int = 0
    examples: int = 0
    last: bool = False
    skipped: bool = False


def build_shard(run_id: uuid.UUID, user_ids: list[uuid.UUID]) -> ShardOutcome:
    """Build the features of these athletes and add them to the run, in one transaction.

    Reads their rows, :func:`models.coaching.features.training_examples`, the split
    (:func:`models.coaching.evaluation.split`), COPY into ``model_features``, then adds
    the shard to the run's count and progress (the run's row is locked only at the end,
    so shards build in parallel and count one at a time). A shard of a run no longer
    building, or one already stored (delivered twice), does nothing.
    """
    ids = sorted(set(user_ids))
    try:
        with transaction() as conn:
            run = store.get_run(conn, run_id)
            if run is None or run["status"] != "building":
                raise _NotBuilding
            if store.has_features(conn, run_id, ids):
                raise _NotBuilding
            inputs = analytics_store.read_inputs(conn, ids, _EVERYTHING)
            examples = training_examples(inputs)
            if len(examples):
                params = _params(run["params"])
                # every shard splits at the same day: the run's, from its snapshot
                cut = cut_after(date.fromisoformat(run["snapshot"]["last_day"]), params)
                examples = examples.assign(split=split(examples, params, cut).to_numpy())
            written = store.write_features(conn, run_id, examples)
            if not store.lock_building(conn, run_id):
                raise _NotBuilding  # failed meanwhile: the rows go with the rollback
            done, total = store.add_shard(conn, run_id, examples=written)
    except _NotBuilding:
        return ShardOutcome(skipped=True)
    return ShardOutcome(users=len(ids), examples=written, last=done == total)


def features_shard(
    run_id: uuid.UUID, user_ids: list[uuid.UUID], send: Send = publish
) -> ShardOutcome:
    """``coaching.features_shard``: :func:`build_shard`, then ``coaching.fit`` when it was
    the last shard."""
    started = time.perf_counter()
    outcome: ShardOutcome = _failing(run_id, "features", lambda: build_shard(run_id, user_ids))
    if outcome.skipped:
        return outcome
    logger.info(
        "training run %s shard: %d athletes, %d examples in %.2f s",
        run_id, outcome.users, outcome.examples, time.perf_counter() - started,
    )  # fmt: skip
    if outcome.last and not send(FIT, str(run_id)):
        fail_run(run_id, "the broker refused the fit")
    return outcome


# --- coaching.fit ------------------------------------------------------------------


@dataclass(slots=True)
class FitOutcome:
    """What the fit registered: the version, whether it was promoted and why."""

    version: int
    promoted: bool
    reason: str
    metrics: dict[str, Any] = field(default_factory=dict)
    #: the beat's nightly run (whatever its outcome, everyone is scored after it)
    nightly: bool = False
    #: the dataset snapshot of the run's feature table (queued; ``datasets.snapshot`` takes it)
    snapshot_id: uuid.UUID | None = None


def _progress_writer(run_id: uuid.UUID) -> Callable[[float], None]:
    """A progress callback for the fit (0–1 of the fit → the run's last 30 %), writing at
    most every half second."""
    last = [0.0]

    def write(fraction: float) -> None:
        now = time.monotonic()
        if fraction < 1.0 and now - last[0] < _PROGRESS_EVERY_S:
            return
        last[0] = now
        share = store.SHARDS_SHARE + (1.0 - store.SHARDS_SHARE) * min(max(fraction, 0.0), 1.0)
        with transaction() as conn:
            store.set_progress(conn, run_id, min(share, 0.99))  # 1.0 only once succeeded
        logger.info("training run %s: fit %.0f %%", run_id, 100 * fraction)

    return write


def _synthetic_examples() -> pd.DataFrame:
    settings = get_settings()
    return synthetic.examples(athletes=settings.train_synthetic_athletes)


def fit_run(run_id: uuid.UUID) -> FitOutcome | None:
    """Fit the run's feature table, gate it on the synthetic hold-out against the
    champion and both baselines, and register the version (None: the run was not ready
    to fit — a fit delivered twice).

    Events: ``trained``, then ``promoted`` (the champion alias moved) or ``rejected``
    with the gate's reason; the actor is whoever asked for the run.
    """
    from models.coaching import artifact  # skops loads only in the processes that fit

    with transaction() as conn:
        run = store.claim_fit(conn, run_id)
        if run is None:
            return None
        examples = store.read_features(conn, run_id)
        current = registry.champion(conn, run["model_name"])
    if examples.empty:
        raise LookupError("the run built no training example (no athlete has two sessions)")
    params = _params(run["params"])
    champion = (
        artifact.loads(bytes(current["artifact"]), current["artifact_sha256"]) if current else None
    )
    holdout = _synthetic_examples()
    ids = pd.unique(pd.concat([examples["exercise_id"], holdout["exercise_id"]]).astype(str))
    with transaction() as conn:
        names = registry.exercise_names(conn, list(ids))
    started = time.perf_counter()
    trained = training.train(
        examples,
        params,
        synthetic=holdout,
        champion=champion,
        progress=_progress_writer(run_id),
        names=names,
    )
    blob, sha256 = artifact.dumps(trained.coach)
    promote, reason = bool(trained.promote), str(trained.reason)
    snapshot = {
        **run["snapshot"],
        "examples": len(examples),
        "synthetic_examples": len(holdout),
        "fit_s": round(time.perf_counter() - started, 3),
    }
    actor = run["requested_by"]
    name = run["model_name"]
    with transaction() as conn:
        # the feature table frozen as a dataset snapshot: a notebook reads the version's
        # training rows back exactly, whatever later runs or purges do
        snapshot_id = queue_training_snapshot(conn, run_id)
        snapshot["snapshot_id"] = str(snapshot_id)
        version = registry.write_version(
            conn,
            registry.NewVersion(
                model_name=name,
                run_id=run_id,
                trained_from=trained.trained_from,
                trained_to=trained.trained_to,
                cut=trained.cut,
                snapshot=snapshot,
                code_version=code_version(),
                params=params.as_dict(),
                metrics=trained.metrics,
                artifact=blob,
                artifact_sha256=sha256,
            ),
        )
        registry.add_event(conn, name, "trained", actor=actor, version=version,
                        details={"run_id": str(run_id)})  # fmt: skip
        if promote:
            previous = registry.set_alias(conn, name, "champion", version, actor)
            registry.add_event(
                conn, name, "promoted", actor=actor, version=version, reason=reason,
                details={"previous": previous, "run_id": str(run_id)},
            )  # fmt: skip
        else:
            registry.add_event(
                conn, name, "rejected", actor=actor, version=version, reason=reason,
                details={"champion": current["version"] if current else None,
                         "run_id": str(run_id)},
            )  # fmt: skip
        outcome = "promoted to champion" if promote else "rejected"
        store.succeed(conn, run_id, version, f"version {version} {outcome}: {reason}")
    logger.info("training run %s: %s version %d %s: %s", run_id, name, version, outcome, reason)
    with transaction() as conn:
        purged = store.purge_features(conn, name, keep=get_settings().train_keep_feature_tables)
    if purged:
        logger.info("training: %d feature rows of older runs of %s deleted", purged, name)
    return FitOutcome(
        version=version,
        promoted=promote,
        reason=reason,
        metrics=trained.metrics,
        nightly=actor == BEAT_ACTOR,
        snapshot_id=snapshot_id,
    )


def fit(run_id: uuid.UUID, send: Send = publish) -> FitOutcome | None:
    """``coaching.fit``: :func:`fit_run`, then ``datasets.snapshot`` of the run's feature
    table, and ``coaching.score_all`` after a promotion and after the nightly run (the
    nightly batch scoring: a day's sessions re-scored by the champion, new or not)."""
    outcome: FitOutcome | None = _failing(run_id, "fit", lambda: fit_run(run_id))
    if outcome is not None and outcome.snapshot_id is not None:
        send(SNAPSHOT, str(outcome.snapshot_id))  # lost: the sweep re-sends it
    if outcome is not None and (outcome.promoted or outcome.nightly):
        send(SCORE_ALL)  # lost: the API scores a changed athlete on demand meanwhile
    return outcome


# --- in one process (``forma train --local``, ``forma up``'s first start, tests) -----


def run_here(run_id: uuid.UUID, shard_size: int | None = None) -> FitOutcome | None:
    """Run the queued run's every step in this process, shard after shard (the run's
    row shows the progress as on the workers). Returns the fit's outcome (None: nothing
    was fitted); raises what failed the run."""
    shards = _failing(run_id, "planning", lambda: start(run_id, shard_size))
    if shards is None:
        return None
    fitting: list[bool] = []

    def later(name: str, *args: Any) -> bool:
        fitting.append(name == FIT)
        return True

    for shard in shards:
        features_shard(run_id, shard, send=later)
    if not any(fitting):
        return None
    return fit(run_id, send=publish)


# --- Celery entry points -----------------------------------------------------------


@app.task(name=TRAIN)
def train_task(run_id: str | None = None, model_name: str = NIGHTLY_MODEL) -> str | None:
    """Celery entry point: ``coaching.train(run_id)``; without a run id, the beat's
    nightly run of ``model_name``."""
    started = train(uuid.UUID(run_id) if run_id else None, model_name)
    return str(started) if started else None


@app.task(name=SHARD)
def features_shard_task(run_id: str, user_ids: list[str]) -> dict[str, int]:
    """Celery entry point: one feature shard of a run."""
    outcome = features_shard(uuid.UUID(run_id), [uuid.UUID(u) for u in user_ids])
    return {"users": outcome.users, "examples": outcome.examples}


@app.task(name=FIT)
def fit_task(run_id: str) -> int | None:
    """Celery entry point: the run's fit; returns the version written."""
    outcome = fit(uuid.UUID(run_id))
    return outcome.version if outcome else None

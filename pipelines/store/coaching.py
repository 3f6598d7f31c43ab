"""SQL of the coach's training runs and registry, as the workers and ``forma train`` use it.

* runs (``model_runs``): created queued (one active run per model: the partial unique
  index ``uq_model_runs_one_active``), claimed by the orchestrator, added to by each
  feature shard in the shard's transaction, claimed again by the fit, finished
  (succeeded with a version, or failed with a message);
* the run's feature table (``model_features``): COPY in per shard, COPY out for the fit;
* the registry: the next immutable version, its events, the champion alias.

Every function takes a :class:`~sqlalchemy.Connection` in a transaction the caller owns.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from models.coaching.features import FEATURES
from pipelines.store.analytics import LOCAL_TIME, copy_arrow, copy_out

#: The feature table's columns after ``run_id``, in the table's order.
FEATURE_COLUMNS: tuple[str, ...] = (
    "user_id", "exercise_id", "as_of", "day", "split", "label_e1rm_kg", "persistence_kg",
    "trend_kg", *FEATURES,
)  # fmt: skip
_ONE_ACTIVE = "uq_model_runs_one_active"
_ACTIVE = "status IN ('queued', 'building', 'fitting')"
#: share of a run's progress the feature shards account for; the fit takes the rest
SHARDS_SHARE = 0.7


def plain(value: Any) -> Any:
    """``value`` as JSON PostgreSQL takes: NaN and ±inf as null, numpy scalars and arrays
    as Python numbers and lists, dates as ISO text."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (date, pd.Timestamp)):
        return value.isoformat()
    return value


def as_json(value: Any) -> str:
    """JSON text of ``value`` for a ``CAST(:x AS jsonb)`` parameter (see :func:`plain`)."""
    return json.dumps(plain(value), allow_nan=False)


class RunActive(Exception):
    """A run of this model is already queued or running (``run_id`` is that run's)."""

    def __init__(self, model_name: str, run_id: uuid.UUID | None) -> None:
        super().__init__(f"a training run of {model_name} is already active: {run_id}")
        self.model_name = model_name
        self.run_id = run_id


def create_run(
    conn: Connection, model_name: str, params: Mapping[str, Any], requested_by: str
) -> uuid.UUID:
    """Queue a run of ``model_name`` and return its id.

    ``params``: the hyper-parameter overrides as given (``{"key": "value"}``).

    Raises
    ------
    RunActive
        When a run of this model is queued, building or fitting (the partial unique
        index decides, so two beats or workers racing still make one run).
    """
    run_id = uuid.uuid4()
    try:
        with conn.begin_nested():  # a savepoint: the caller's transaction survives a refusal
            conn.execute(
                text(
                    "INSERT INTO model_runs (id, model_name, params, requested_by) "
                    "VALUES (:id, :m, CAST(:p AS jsonb), :by)"
                ),
                {"id": run_id, "m": model_name, "p": as_json(dict(params)), "by": requested_by},
            )
    except IntegrityError as exc:
        if _ONE_ACTIVE not in str(exc.orig):
            raise
        raise RunActive(model_name, active_run(conn, model_name)) from exc
    return run_id


def active_run(conn: Connection, model_name: str) -> uuid.UUID | None:
    """The id of the model's queued or running run, if any."""
    row = conn.execute(
        text(f"SELECT id FROM model_runs WHERE model_name = :m AND {_ACTIVE}"), {"m": model_name}
    ).first()
    return row[0] if row else None


def get_run(conn: Connection, run_id: uuid.UUID) -> dict[str, Any] | None:
    """The run's row as a dict (every column), or None when unknown."""
    row = conn.execute(text("SELECT * FROM model_runs WHERE id = :id"), {"id": run_id})
    found = row.mappings().first()
    return dict(found) if found else None


def claim_queued(conn: Connection, run_id: uuid.UUID) -> dict[str, Any] | None:
    """Move a queued run to ``building`` (stamping ``started_at``) and return its row;
    None when it is not queued (a message delivered twice, a run already failed)."""
    row = conn.execute(
        text(
            "UPDATE model_runs SET status = 'building', started_at = clock_timestamp() "
            "WHERE id = :id AND status = 'queued' RETURNING *"
        ),
        {"id": run_id},
    )
    found = row.mappings().first()
    return dict(found) if found else None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a run reads: athletes with strength sets, their live strength sets, and the
    change numbers (``users.sync_seq``) of every athlete, summed and the highest."""

    athletes: int
    sets: int
    sync_seq_sum: int
    sync_seq_max: int
    #: the last local day anyone did a strength set (the time split's cut is set from it)
    last_day: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "athletes": self.athletes,
            "sets": self.sets,
            "sync_seq_sum": self.sync_seq_sum,
            "sync_seq_max": self.sync_seq_max,
            "last_day": self.last_day.isoformat() if self.last_day else None,
        }


_STRENGTH_SETS = """
    FROM workout_sets s
    JOIN workouts w ON w.id = s.workout_id
    JOIN exercises e ON e.id = s.exercise_id
    WHERE e.kind = 'strength' AND w.deleted_at IS NULL
"""


def snapshot(conn: Connection) -> tuple[Snapshot, list[uuid.UUID]]:
    """The snapshot of the data a run is about to read, and the athletes it will read
    (those with a live strength set), in id order."""
    rows = conn.execute(text(f"SELECT DISTINCT w.user_id {_STRENGTH_SETS} ORDER BY 1"))
    users = [r[0] for r in rows]
    sets, last_day = conn.execute(
        text(f"SELECT count(*), max(({LOCAL_TIME})::date) {_STRENGTH_SETS}")
    ).one()
    seq_sum, seq_max = conn.execute(
        text("SELECT coalesce(sum(sync_seq), 0), coalesce(max(sync_seq), 0) FROM users")
    ).one()
    return Snapshot(len(users), int(sets), int(seq_sum), int(seq_max), last_day), users


def record_plan(
    conn: Connection, run_id: uuid.UUID, taken: Snapshot, *, shards: int, users: int
) -> None:
    """Record the run's snapshot and how many shards and athletes it fans out to."""
    conn.execute(
        text(
            "UPDATE model_runs SET snapshot = CAST(:snap AS jsonb), shards_total = :s, "
            "users_total = :u WHERE id = :id"
        ),
        {"snap": as_json(taken.as_dict()), "s": shards, "u": users, "id": run_id},
    )


def lock_building(conn: Connection, run_id: uuid.UUID) -> bool:
    """Lock the run's row until the end of the transaction; True when it is building.

    ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: every shard's COPY into ``model_features``
    already holds ``FOR KEY SHARE`` on this row (the foreign key), which ``FOR UPDATE``
    waits for — two shards finishing together would each wait for the other."""
    status = conn.execute(
        text("SELECT status FROM model_runs WHERE id = :id FOR NO KEY UPDATE"), {"id": run_id}
    ).scalar_one_or_none()
    return status == "building"


def add_shard(conn: Connection, run_id: uuid.UUID, *, examples: int) -> tuple[int, int]:
    """Add one finished feature shard to its run (shards done, examples, progress up to
    :data:`SHARDS_SHARE`); returns (shards done, shards total) after it."""
    done, total = conn.execute(
        text(
            "UPDATE model_runs SET shards_done = shards_done + 1, examples = examples + :n, "
            "progress = :share * LEAST(shards_done + 1, shards_total)::float "
            "/ GREATEST(shards_total, 1) "
            "WHERE id = :id RETURNING shards_done, shards_total"
        ),
        {"n": examples, "share": SHARDS_SHARE, "id": run_id},
    ).one()
    return int(done), int(total)


def claim_fit(conn: Connection, run_id: uuid.UUID) -> dict[str, Any] | None:
    """Move a run whose shards are all done from ``building`` to ``fitting`` and return
    its row; None otherwise (so a fit delivered twice fits once)."""
    row = conn.execute(
        text(
            "UPDATE model_runs SET status = 'fitting', progress = GREATEST(progress, :share) "
            "WHERE id = :id AND status = 'building' AND shards_done >= shards_total "
            "RETURNING *"
        ),
        {"id": run_id, "share": SHARDS_SHARE},
    )
    found = row.mappings().first()
    return dict(found) if found else None


def set_progress(conn: Connection, run_id: uuid.UUID, progress: float) -> None:
    """Raise the run's progress to ``progress`` (0–1; never lowered)."""
    conn.execute(
        text("UPDATE model_runs SET progress = GREATEST(progress, :p) WHERE id = :id"),
        {"p": min(max(float(progress), 0.0), 1.0), "id": run_id},
    )


def succeed(conn: Connection, run_id: uuid.UUID, version: int, message: str) -> None:
    """Finish the run with the version it wrote."""
    conn.execute(
        text(
            "UPDATE model_runs SET status = 'succeeded', progress = 1, version = :v, "
            "message = :msg, finished_at = clock_timestamp() WHERE id = :id"
        ),
        {"v": version, "msg": message, "id": run_id},
    )


def fail(conn: Connection, run_id: uuid.UUID, message: str) -> dict[str, Any] | None:
    """Fail the run if it is still active and return its row (None: already finished)."""
    row = conn.execute(
        text(
            "UPDATE model_runs SET status = 'failed', message = :msg, "
            f"finished_at = clock_timestamp() WHERE id = :id AND {_ACTIVE} RETURNING *"
        ),
        {"msg": message[:4000], "id": run_id},
    )
    found = row.mappings().first()
    return dict(found) if found else None


def stuck_runs(conn: Connection, *, older_than_s: float) -> list[uuid.UUID]:
    """Runs building or fitting whose start is older than ``older_than_s`` seconds."""
    rows = conn.execute(
        text(
            "SELECT id FROM model_runs WHERE status IN ('building', 'fitting') "
            "AND started_at < clock_timestamp() - make_interval(secs => :s) ORDER BY id"
        ),
        {"s": older_than_s},
    )
    return [r[0] for r in rows]


def queued_runs(conn: Connection, *, older_than_s: float) -> list[uuid.UUID]:
    """Runs still queued ``older_than_s`` seconds after they were asked for (their
    message lost with a broker, or never sent)."""
    rows = conn.execute(
        text(
            "SELECT id FROM model_runs WHERE status = 'queued' "
            "AND created_at < clock_timestamp() - make_interval(secs => :s) ORDER BY id"
        ),
        {"s": older_than_s},
    )
    return [r[0] for r in rows]


# --- the run's feature table --------------------------------------------------------


def _feature_arrow(run_id: uuid.UUID, examples: pd.DataFrame) -> pa.Table:
    """The feature table's columns of ``examples`` as Arrow arrays: ids as text, ``as_of``
    as UTC timestamps, ``day`` as dates, NaN as NULL."""
    n = len(examples)
    arrays: list[pa.Array] = [pa.array([str(run_id)] * n, pa.string())]
    for column in FEATURE_COLUMNS:
        series = examples[column]
        if column in ("user_id", "exercise_id", "split"):
            arrays.append(pa.array(series.astype(str).to_numpy(), pa.string()))
        elif column == "as_of":
            stamps = pd.to_datetime(series, utc=True)
            arrays.append(pa.array(stamps, pa.timestamp("us", tz="UTC")))
        elif column == "day":
            days = pd.to_datetime(series).to_numpy().astype("datetime64[D]")
            arrays.append(pa.array(days, pa.date32()))
        else:
            values = np.asarray(pd.to_numeric(series), dtype=float)
            missing = np.isnan(values)
            arrays.append(pa.array(values, pa.float64(), mask=missing if missing.any() else None))
    return pa.Table.from_arrays(arrays, names=["run_id", *FEATURE_COLUMNS])


#: the feature table's key after ``run_id``: one example per athlete, exercise and moment
_KEY = ["user_id", "exercise_id", "as_of"]


def write_features(conn: Connection, run_id: uuid.UUID, examples: pd.DataFrame) -> int:
    """COPY ``examples`` (:func:`models.coaching.features.training_examples` with a
    ``split`` column) into the run's feature table; returns the rows written.

    Two workouts of one athlete starting at the same moment (the same session imported
    twice from two apps) make two examples with one key: the first is kept, so one
    duplicate never fails a night's training.
    """
    if examples.empty:
        return 0
    unique = examples[~examples[_KEY].astype(str).duplicated()]
    return copy_arrow(conn, "model_features", _feature_arrow(run_id, unique))


def has_features(conn: Connection, run_id: uuid.UUID, user_ids: Sequence[uuid.UUID]) -> bool:
    """True when the run's feature table already holds rows of any of these athletes
    (a shard delivered a second time after its first delivery committed)."""
    return bool(
        conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM model_features "
                "WHERE run_id = :r AND user_id = ANY(:u))"
            ),
            {"r": run_id, "u": list(user_ids)},
        ).scalar_one()
    )


def read_features(conn: Connection, run_id: uuid.UUID) -> pd.DataFrame:
    """The run's feature table in a stable order (athlete, exercise, as-of): ``user_id``
    and ``exercise_id`` as text, ``as_of`` UTC ``datetime64``, ``day`` ``datetime64``
    (local), ``split`` text, every other column float64 (NaN for NULL)."""
    columns = ", ".join(FEATURE_COLUMNS)
    frame = copy_out(
        conn,
        f"SELECT {columns} FROM model_features WHERE run_id = %(run)s "
        "ORDER BY user_id, exercise_id, as_of",
        {"run": run_id},
    )
    if frame.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=float) for c in FEATURE_COLUMNS})
    for column in ("user_id", "exercise_id", "split"):
        frame[column] = frame[column].astype(object).map(str)
    frame["as_of"] = pd.to_datetime(frame["as_of"], utc=True).astype("datetime64[ns, UTC]")
    frame["day"] = pd.to_datetime(frame["day"]).astype("datetime64[ns]")
    for column in FEATURE_COLUMNS[5:]:
        frame[column] = frame[column].astype("float64")
    return frame


def purge_features(conn: Connection, model_name: str, *, keep: int) -> int:
    """Delete the feature tables of the model's finished runs except the ``keep`` latest
    succeeded ones, those of the versions an alias points at and those a dataset snapshot
    has yet to read; returns the rows deleted. (A nightly table of 10,000 athletes is
    millions of rows.)"""
    return (
        conn.execute(
            text(
                "DELETE FROM model_features f USING model_runs r "
                "WHERE f.run_id = r.id AND r.model_name = :m "
                "AND r.status IN ('succeeded', 'failed') "
                "AND r.id NOT IN (SELECT id FROM model_runs WHERE model_name = :m "
                "  AND status = 'succeeded' ORDER BY finished_at DESC LIMIT :keep) "
                "AND r.id NOT IN (SELECT v.run_id FROM model_aliases a JOIN model_versions v "
                "  ON v.model_name = a.model_name AND v.version = a.version "
                "  WHERE a.model_name = :m AND v.run_id IS NOT NULL) "
                # a snapshot of the table not yet taken still has to read it
                "AND NOT EXISTS (SELECT 1 FROM dataset_snapshots d WHERE d.run_id = r.id "
                "  AND d.status IN ('queued', 'running'))"
            ),
            {"m": model_name, "keep": keep},
        ).rowcount
        or 0
    )

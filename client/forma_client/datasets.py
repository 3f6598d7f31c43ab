"""``/v1/datasets``: the catalogue, Parquet downloads into Arrow/pandas, and snapshots."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from forma_client.errors import FormaError
from forma_client.jobs import pages, wait_for
from forma_client.progress import Progress
from forma_client.session import Session

#: bytes per read of a download: large enough that Python's per-chunk work is noise
CHUNK = 1 << 20
#: response headers kept with the rows: header → key in the table's schema metadata and
#: in ``DataFrame.attrs`` (the pseudonyms' key period; the features' run; the snapshot)
PROVENANCE = {
    "X-Forma-Key-Period": "key_period",
    "X-Forma-Run-Id": "run_id",
    "X-Forma-Snapshot": "snapshot",
}
DateLike = date | datetime | str
SNAPSHOT_DONE = frozenset({"succeeded", "failed"})


def _day(value: DateLike | None) -> str | None:
    """An ISO day: a ``datetime`` (or pandas ``Timestamp``) keeps its date only."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat()


def filter_params(
    *,
    since: DateLike | None = None,
    until: DateLike | None = None,
    columns: Sequence[str] | str | None = None,
    sample: float | None = None,
    run_id: uuid.UUID | str | None = None,
) -> dict[str, str]:
    """The query parameters of the dataset filters (``None`` leaves one out)."""
    params = {
        "since": _day(since),
        "until": _day(until),
        "columns": columns if isinstance(columns, str) or columns is None else ",".join(columns),
        "sample": None if sample is None else repr(float(sample)),
        "run_id": None if run_id is None else str(run_id),
    }
    return {key: value for key, value in params.items() if value is not None}


def catalogue(session: Session) -> dict[str, Any]:
    """``GET /v1/datasets``: ``{"items": [...], "key_period": int}``."""
    return dict(session.json("GET", "/v1/datasets"))


def datasets_frame(session: Session) -> pd.DataFrame:
    """One row per dataset: ``name``, ``description``, ``time_column``, ``row_count``,
    ``row_count_exact``, ``freshness`` (UTC timestamp or NaT), ``formats`` and ``columns``
    (a list of ``{name, type, unit, description}`` per row); ``attrs["key_period"]``."""
    answer = catalogue(session)
    frame = pd.DataFrame(answer["items"])
    if frame.empty:
        frame = pd.DataFrame(columns=["name", "description", "row_count", "freshness", "columns"])
    else:
        frame["freshness"] = pd.to_datetime(frame["freshness"], utc=True, format="ISO8601")
        first = ["name", "description", "row_count", "freshness"]
        frame = frame[first + [c for c in frame.columns if c not in first]]
    if "key_period" in answer:
        frame.attrs["key_period"] = answer["key_period"]
    return frame


def schema_frame(session: Session, name: str) -> pd.DataFrame:
    """One row per column of dataset ``name``: ``name``, ``type`` (Arrow type), ``unit``
    (or None) and ``description``. 404 ``dataset_not_found`` for an unknown name."""
    for item in catalogue(session)["items"]:
        if item["name"] == name:
            columns = ["name", "type", "unit", "description"]
            # object cells: a unitless column's unit stays None (not NaN)
            return pd.DataFrame(item["columns"], columns=columns, dtype=object)
    raise FormaError(404, "dataset_not_found", f"no dataset named {name!r}")


def download(
    session: Session,
    path: str,
    params: dict[str, str],
    dest: Path,
    *,
    desc: str,
    progress: bool,
) -> dict[str, str]:
    """Stream ``GET path`` into the file ``dest`` with a progress bar; the provenance
    headers of :data:`PROVENANCE` that came with it, by key."""
    with session.stream("GET", path, params=params) as response:
        found = {key: response.headers[h] for h, key in PROVENANCE.items() if h in response.headers}
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        with dest.open("wb") as out, Progress(desc, total=total, enabled=progress) as bar:
            # decoded bytes: a proxy may have compressed the body on the way
            for chunk in response.iter_bytes(CHUNK):
                out.write(chunk)
                bar.update(len(chunk))
    return found


def read_arrow(
    session: Session,
    name: str,
    *,
    since: DateLike | None = None,
    until: DateLike | None = None,
    columns: Sequence[str] | str | None = None,
    sample: float | None = None,
    run_id: uuid.UUID | str | None = None,
    snapshot: uuid.UUID | str | None = None,
    progress: bool = True,
) -> pa.Table:
    """Dataset ``name`` (or snapshot ``snapshot`` of it) as an Arrow table, via Parquet.

    The filters apply to a live read; a snapshot is frozen with its own filters, so only
    ``columns`` may be given with it (``ValueError`` otherwise).
    """
    if snapshot is None:
        path = f"/v1/datasets/{name}"
        params = filter_params(
            since=since, until=until, columns=columns, sample=sample, run_id=run_id
        )
    else:
        given = {"since": since, "until": until, "sample": sample, "run_id": run_id}
        extra = sorted(key for key, value in given.items() if value is not None)
        if extra:
            raise ValueError(f"a snapshot is read with its own filters; drop {', '.join(extra)}")
        record = snapshot_record(session, snapshot)
        if record.get("dataset") not in (None, name):
            raise ValueError(
                f"snapshot {snapshot} is of dataset {record['dataset']!r}, not {name!r}"
            )
        path = f"/v1/datasets/snapshots/{snapshot}/data"
        params = filter_params(columns=columns)
    params["format"] = "parquet"
    # the body goes to disk, not memory: Arrow then reads it without a second copy
    with tempfile.TemporaryDirectory(prefix="forma-") as tmp:
        file = Path(tmp) / f"{name}.parquet"
        found = download(session, path, params, file, desc=name, progress=progress)
        table = pq.read_table(file)
    metadata = dict(table.schema.metadata or {})
    metadata.update({f"forma.{key}".encode(): value.encode() for key, value in found.items()})
    return table.replace_schema_metadata(metadata)


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow → pandas: ``timestamp[us, tz=UTC]`` stays tz-aware (``datetime64[us, UTC]``),
    dictionary columns become ``category``, ``date32`` becomes ``datetime.date`` objects,
    integer columns with nulls become float. ``attrs`` holds the provenance headers
    (``key_period``, and ``run_id`` or ``snapshot`` when given) as strings."""
    frame = table.to_pandas()
    metadata = table.schema.metadata or {}
    for key in PROVENANCE.values():
        value = metadata.get(f"forma.{key}".encode())
        if value is not None:
            frame.attrs[key] = value.decode()
    return frame


def snapshot_record(session: Session, snapshot_id: uuid.UUID | str) -> dict[str, Any]:
    """``GET /v1/datasets/snapshots/{id}``: status, progress, row_count, key_period, filters."""
    return dict(session.json("GET", f"/v1/datasets/snapshots/{snapshot_id}"))


def take_snapshot(
    session: Session,
    name: str,
    *,
    wait: bool,
    poll: float,
    timeout: float | None,
    progress: bool,
    **filters: Any,
) -> dict[str, Any]:
    """``POST /v1/datasets/{name}/snapshots`` with ``filters``; with ``wait``, the finished
    record (``FormaError`` ``snapshot_failed`` when it failed)."""
    record = dict(session.json("POST", f"/v1/datasets/{name}/snapshots", json=_body(**filters)))
    if not wait:
        return record
    return wait_for(
        lambda: snapshot_record(session, record["id"]),
        done=SNAPSHOT_DONE,
        desc=f"snapshot of {name}",
        poll=poll,
        timeout=timeout,
        progress=progress,
        failed_code="snapshot_failed",
    )


def _body(
    *,
    since: DateLike | None = None,
    until: DateLike | None = None,
    columns: Sequence[str] | str | None = None,
    sample: float | None = None,
    run_id: uuid.UUID | str | None = None,
) -> dict[str, Any]:
    """A snapshot request's JSON body (only the filters given): ISO days, ``sample`` a
    number, ``columns`` a list."""
    body: dict[str, Any] = filter_params(since=since, until=until, run_id=run_id)
    if sample is not None:
        body["sample"] = float(sample)
    if columns is not None:
        body["columns"] = columns.split(",") if isinstance(columns, str) else list(columns)
    return body


def snapshots_frame(
    session: Session, *, dataset: str | None = None, run_id: uuid.UUID | str | None = None
) -> pd.DataFrame:
    """Every snapshot (all pages; only ``dataset``'s, or training run ``run_id``'s, when
    given), newest first; ``created_at``, ``taken_at`` and ``finished_at`` as UTC
    timestamps."""
    params = {"dataset": dataset, "run_id": None if run_id is None else str(run_id)}
    query = {key: value for key, value in params.items() if value is not None}
    frame = pd.DataFrame(list(pages(session, "/v1/datasets/snapshots", params=query)))
    for column in ("created_at", "taken_at", "finished_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame

"""Rules of dataset snapshots: freezing a dataset under an id, listing and reading them,
and serving a finished one's frozen rows.

A snapshot is asked for with the filters of ``GET /v1/datasets/{name}`` (checked the
same way, 422 naming the field); the row records them, the key period of the moment
and who asked, and ``datasets.snapshot`` is sent after commit to read and store the
rows (:mod:`pipelines.tasks.datasets`). A ``features`` snapshot without ``run_id``
freezes the run the dataset would serve now, named in its filters, so the snapshot says
which run it holds.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pyarrow as pa
from fastapi import Request
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.datasets import snapshot_data
from api.datasets.catalogue import DEFAULT_RUN_SQL, Dataset
from api.datasets.pseudonyms import ensure_pseudonyms_async
from api.datasets.query import (
    SNAPSHOT_DATA_PARAMS,
    Filters,
    InvalidFilter,
    chosen_columns,
    get_dataset,
    parse_filters,
    refuse_unknown,
)
from api.datasets.snapshot_schemas import SnapshotCreate, SnapshotPage, SnapshotRead
from api.datasets.stream import EXTENSIONS, MEDIA_TYPES, ExportSlots, conninfo
from api.datasets.tables import DatasetSnapshot, DatasetSnapshotPart
from api.db import after_commit
from api.errors import Conflict, NotFound
from api.pagination import cursor_uuid, encode_cursor, read_cursor, split_page
from api.users.tables import User

#: the Celery task that reads and stores a snapshot's rows (by name, DESIGN §3)
SNAPSHOT_TASK = "datasets.snapshot"


class SnapshotNotFound(NotFound, code="snapshot_not_found"):
    """404: no snapshot has that id."""


class SnapshotNotReady(Conflict, code="snapshot_not_ready"):
    """409: the snapshot is queued, running or failed: it has no rows to serve."""


class NoTrainingRun(NotFound, code="run_not_found"):
    """404: a ``features`` snapshot without ``run_id`` while no run has made a version."""


def _body_filter(error: InvalidFilter) -> InvalidFilter:
    """The dataset filters' 422, located in the request body instead of the query."""
    for item in error.details or []:
        item["loc"] = ["body", error.parameter]
    return error


def check_filters(dataset: Dataset, body: SnapshotCreate, *, allow_notes: bool) -> Filters:
    """The request's filters checked as ``GET /v1/datasets/{name}`` checks them (422
    ``validation_error`` at ``["body", <field>]``)."""
    columns = ",".join(body.columns) if body.columns is not None else None
    try:
        return parse_filters(
            dataset,
            body.since,
            body.until,
            body.sample,
            columns,
            body.run_id,
            allow_notes=allow_notes,
        )
    except InvalidFilter as exc:
        raise _body_filter(exc) from None


def stored_filters(stored: dict[str, Any]) -> Filters:
    """The :class:`Filters` a snapshot's ``filters`` JSON holds (as :meth:`Filters.as_json`
    wrote them)."""
    since, until, run_id = stored.get("since"), stored.get("until"), stored.get("run_id")
    columns = stored.get("columns")
    return Filters(
        since=date.fromisoformat(since) if since else None,
        until=date.fromisoformat(until) if until else None,
        sample=float(stored["sample"]) if stored.get("sample") is not None else None,
        columns=tuple(columns) if columns else None,
        run_id=uuid.UUID(str(run_id)) if run_id else None,
    )


async def create_snapshot(
    session: AsyncSession, *, name: str, body: SnapshotCreate, user: User, settings: Settings
) -> DatasetSnapshot:
    """Queue a snapshot of dataset ``name`` (``created_by`` = the caller's e-mail) and send
    ``datasets.snapshot(id)`` after commit.

    404 ``dataset_not_found``; 422 naming a bad filter; 404 ``run_not_found`` for
    ``features`` without ``run_id`` before any training run made a version.
    """
    dataset = get_dataset(name)
    filters = check_filters(dataset, body, allow_notes=settings.datasets_allow_notes)
    run_id = filters.run_id
    if dataset.per_run and run_id is None:
        run_id = (await session.execute(text(DEFAULT_RUN_SQL))).scalar_one_or_none()
        if run_id is None:
            raise NoTrainingRun("no training run has made a model version: name a run_id")
        filters = Filters(**{**filters.__dict__, "run_id": run_id})
    period = await ensure_pseudonyms_async(session, settings)
    row = DatasetSnapshot(
        dataset=dataset.name,
        filters=filters.as_json(),
        key_period=period,
        status="queued",
        progress=0.0,
        created_by=user.email,
        run_id=run_id,
        # the moment of the request, not of its transaction: the list's order is the
        # order they were asked for in
        created_at=func.clock_timestamp(),
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)  # the database's created_at
    after_commit(session, SNAPSHOT_TASK, str(row.id))
    return row


def _is_text(kind: pa.DataType) -> bool:
    """Text or categorical text: CSV neutralises every such column, as the live export
    does (an exercise's name is typed by a person too)."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


async def get_snapshot(session: AsyncSession, *, snapshot_id: uuid.UUID) -> DatasetSnapshot:
    """One snapshot; 404 ``snapshot_not_found``."""
    row = await session.get(DatasetSnapshot, snapshot_id)
    if row is None:
        raise SnapshotNotFound("snapshot not found")
    return row


def _cursor(created_at: object, snapshot_id: object) -> tuple[datetime, uuid.UUID]:
    return datetime.fromisoformat(str(created_at)), cursor_uuid(snapshot_id)


async def list_snapshots(
    session: AsyncSession,
    *,
    limit: int,
    cursor: str | None,
    dataset: str | None = None,
    run_id: uuid.UUID | None = None,
) -> SnapshotPage:
    """A page of snapshots, newest first (of one dataset or training run when given)."""
    after = read_cursor(cursor, size=2, parse=_cursor)
    stmt = select(DatasetSnapshot)
    if dataset is not None:
        stmt = stmt.where(DatasetSnapshot.dataset == get_dataset(dataset).name)
    if run_id is not None:
        stmt = stmt.where(DatasetSnapshot.run_id == run_id)
    if after is not None:
        stmt = stmt.where(
            (DatasetSnapshot.created_at, DatasetSnapshot.id) < after  # type: ignore[operator]
        )
    stmt = stmt.order_by(DatasetSnapshot.created_at.desc(), DatasetSnapshot.id.desc())
    rows, more = split_page((await session.execute(stmt.limit(limit + 1))).scalars().all(), limit)
    last = rows[-1] if rows else None
    return SnapshotPage(
        items=[SnapshotRead.model_validate(r) for r in rows],
        next_cursor=encode_cursor([last.created_at.isoformat(), str(last.id)])
        if more and last is not None
        else None,
    )


async def data_response(
    session: AsyncSession,
    request: Request,
    *,
    snapshot_id: uuid.UUID,
    fmt: snapshot_data.Format,
    columns: str | None,
    settings: Settings,
) -> snapshot_data.SnapshotResponse:
    """The snapshot's frozen rows as one ``fmt`` stream, ``columns`` only (in that order).

    404 ``snapshot_not_found``; 409 ``snapshot_not_ready`` until it succeeded; 422
    ``columns`` naming a column the snapshot does not hold (or a query parameter of the
    request other than ``format`` and ``columns``); 503 ``overloaded`` (with
    ``Retry-After``) while the process streams ``FORMA_DATASETS_MAX_EXPORTS`` exports.
    """
    snapshot = await get_snapshot(session, snapshot_id=snapshot_id)
    if snapshot.status != "succeeded":
        raise SnapshotNotReady(
            f"snapshot {snapshot.id} is {snapshot.status}, not succeeded",
            details={"status": snapshot.status, "progress": snapshot.progress},
        )
    refuse_unknown(request.query_params, SNAPSHOT_DATA_PARAMS)
    dataset = get_dataset(snapshot.dataset)
    held = chosen_columns(
        dataset, stored_filters(snapshot.filters), allow_notes=settings.datasets_allow_notes
    )
    by_name = {c.name: c for c in held}
    if columns is None:
        served = held
    else:
        names = [n.strip() for n in columns.split(",") if n.strip()]
        unknown = [n for n in names if n not in by_name]
        if not names or unknown:
            what = f"no column {unknown[0]!r} in this snapshot" if unknown else "name a column"
            raise InvalidFilter("columns", what, "unknown_column" if unknown else "missing")
        served = [by_name[n] for n in dict.fromkeys(names)]
    parts = (
        (
            await session.execute(
                select(DatasetSnapshotPart.part)
                .where(DatasetSnapshotPart.snapshot_id == snapshot.id)
                .order_by(DatasetSnapshotPart.part)
            )
        )
        .scalars()
        .all()
    )
    slots = ExportSlots.of(request.app, settings)
    slots.take()  # 503 with Retry-After when every export slot is streaming
    chunks = snapshot_data.stream(
        conninfo(settings),
        fmt,
        snapshot.id,
        list(parts),
        [c.name for c in served],
        empty_schema=pa.schema([pa.field(c.name, c.type) for c in served]),
        text_columns=frozenset(c.name for c in served if c.text or _is_text(c.type)),
    )
    filename = f"{snapshot.dataset}-{snapshot.id}.{EXTENSIONS[fmt]}"
    return snapshot_data.SnapshotResponse(
        chunks,
        slots,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Forma-Key-Period": str(snapshot.key_period),
            "X-Forma-Snapshot": str(snapshot.id),
        },
    )

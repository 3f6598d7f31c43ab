"""Dataset snapshot schemas: the request that freezes a dataset, a snapshot's state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas import InputModel, IsoDate, OutputModel

SnapshotStatus = Literal["queued", "running", "succeeded", "failed"]


class SnapshotCreate(InputModel):
    """The filters of ``GET /v1/datasets/{name}``, frozen with the rows."""

    since: IsoDate | None = Field(None, description="first day (inclusive) of the time column")
    until: IsoDate | None = Field(None, description="last day (inclusive) of the time column")
    sample: float | None = Field(
        None, description="fraction of athletes, 0 < sample ≤ 1 (stable per pseudonym)"
    )
    columns: list[str] | None = Field(
        None, description="the columns to keep, in this order (default: all)", max_length=200
    )
    run_id: uuid.UUID | None = Field(
        None, description="`features` only: the training run (default: the latest that made "
        "a model version)"
    )  # fmt: skip


class SnapshotRead(OutputModel):
    id: uuid.UUID = Field(description="snapshot id")
    dataset: str = Field(description="the dataset frozen")
    status: SnapshotStatus = Field(description="queued, running, succeeded or failed")
    progress: float = Field(description="0–1")
    filters: dict[str, Any] = Field(
        description="the filters applied: since, until, sample, columns, run_id (absent: not given)"
    )
    key_period: int = Field(
        description="the key period of the pseudonyms in the rows (a new key starts a new one)"
    )
    row_count: int | None = Field(description="rows frozen, once succeeded")
    created_at: datetime = Field(description="asked for at, UTC")
    taken_at: datetime | None = Field(
        description="the moment the rows are as of (the reading transaction's start), UTC"
    )
    finished_at: datetime | None = Field(description="succeeded or failed at, UTC")
    created_by: str = Field(description="who asked: an e-mail, or `training` for a run's")
    run_id: uuid.UUID | None = Field(description="the training run whose features it holds")
    message: str | None = Field(description="why it failed")


class SnapshotPage(BaseModel):
    items: list[SnapshotRead] = Field(description="snapshots, newest first")
    next_cursor: str | None = Field(description="cursor of the next page; null on the last")

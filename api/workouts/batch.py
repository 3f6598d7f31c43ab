"""``POST /v1/workouts/batch``: up to 100 upserts, each answered on its own."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import overload_reason
from api.errors import FormaError, clean_validation
from api.users import write_lock
from api.users.tables import User
from api.workouts import writes
from api.workouts.write_schemas import BatchItem

MAX_ITEMS = 100


class BatchRequest(BaseModel):
    items: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description=f"1–{MAX_ITEMS} workouts, each shaped like the PUT body plus `id` and an "
        "optional `if_match`",
    )


class BatchResult(BaseModel):
    index: int = Field(description="position of the item in the request")
    id: str | None = Field(description="the item's workout id, when it had a readable one")
    status: Literal["created", "replaced", "conflict", "invalid"] = Field(
        description="what happened to this item"
    )
    etag: str | None = Field(None, description="the stored version's ETag (created/replaced)")
    code: str | None = Field(None, description="error code (conflict/invalid)")
    message: str | None = Field(None, description="what went wrong (conflict/invalid)")
    errors: list[dict[str, Any]] | None = Field(
        None, description="validation items `{loc, msg, type}`"
    )


class BatchResponse(BaseModel):
    results: list[BatchResult] = Field(description="one result per item, in request order")


async def apply(session: AsyncSession, *, user: User, items: list[dict[str, Any]]) -> BatchResponse:
    """Upsert each item in its own savepoint: one bad item does not sink the others.

    All items share one sync-sequence number, taken once for the batch.
    """
    results: list[BatchResult] = []
    seq: int | None = None
    seen: set[uuid.UUID] = set()
    for index, raw in enumerate(items):
        raw_id = raw.get("id")
        try:
            item = BatchItem.model_validate(raw)
        except ValidationError as exc:
            errors = [
                {**e, "loc": ["items", index, *e["loc"]]} for e in clean_validation(exc.errors())
            ]
            readable_id = raw_id if isinstance(raw_id, str) else None
            results.append(
                _refused(index, readable_id, "validation_error", "the item is not valid", errors)
            )
            continue
        if item.id in seen:  # two versions under one ETag would be ambiguous
            message = "this workout id appears earlier in the same batch"
            results.append(_refused(index, item.id, "duplicate_in_batch", message))
            continue
        seen.add(item.id)
        if seq is None:
            seq = await write_lock.take(session, user.id)
        results.append(await _upsert(session, user=user, index=index, item=item, seq=seq))
    return BatchResponse(results=results)


async def _upsert(
    session: AsyncSession, *, user: User, index: int, item: BatchItem, seq: int
) -> BatchResult:
    """One item's upsert in its own savepoint, answered as created, replaced or refused."""
    try:
        async with session.begin_nested():
            view, created = await writes.upsert(
                session,
                user=user,
                workout_id=item.id,
                body=item,
                if_match=item.if_match,
                change_seq=seq,
            )
    except DBAPIError as exc:
        if overload_reason(exc) is not None:
            # A timeout or a collision says "not now", not "never": the whole batch is
            # rolled back and answered 503 + Retry-After, and the phone sends it again.
            raise
        # The savepoint is rolled back; this item alone is refused.
        return _refused(index, item.id, "rejected", "the item could not be stored")
    except FormaError as exc:
        errors = exc.details if isinstance(exc.details, list) else None
        conflict = exc.status_code in (409, 412)
        return _refused(
            index, item.id, exc.code, exc.message, errors, status="conflict" if conflict else None
        )
    return BatchResult(
        index=index, id=str(item.id), status="created" if created else "replaced", etag=view.etag
    )


def _refused(
    index: int,
    item_id: str | uuid.UUID | None,
    code: str,
    message: str,
    errors: list[dict[str, Any]] | None = None,
    *,
    status: Literal["conflict"] | None = None,
) -> BatchResult:
    """An item's answer when it was not stored: ``invalid`` unless ``status`` says otherwise."""
    return BatchResult(
        index=index,
        id=None if item_id is None else str(item_id),
        status=status or "invalid",
        code=code,
        message=message,
        errors=errors,
    )

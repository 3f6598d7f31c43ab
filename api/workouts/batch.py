"""``POST /v1/workouts/batch``: up to 100 upserts, each answered on its own."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

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
            results.append(
                BatchResult(
                    index=index,
                    id=str(raw_id) if isinstance(raw_id, str) else None,
                    status="invalid",
                    code="validation_error",
                    message="the item is not valid",
                    errors=[
                        {**e, "loc": ["items", index, *e["loc"]]}
                        for e in clean_validation(exc.errors())
                    ],
                )
            )
            continue
        if item.id in seen:  # two versions under one ETag would be ambiguous
            results.append(
                BatchResult(
                    index=index,
                    id=str(item.id),
                    status="invalid",
                    code="duplicate_in_batch",
                    message="this workout id appears earlier in the same batch",
                )
            )
            continue
        seen.add(item.id)
        if seq is None:
            seq = await write_lock.take(session, user.id)
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
        except DBAPIError:
            # The savepoint is rolled back; this item alone is refused.
            results.append(
                BatchResult(
                    index=index,
                    id=str(item.id),
                    status="invalid",
                    code="rejected",
                    message="the item could not be stored",
                )
            )
            continue
        except FormaError as exc:
            conflict = exc.status_code in (409, 412)
            results.append(
                BatchResult(
                    index=index,
                    id=str(item.id),
                    status="conflict" if conflict else "invalid",
                    code=exc.code,
                    message=exc.message,
                    errors=exc.details if isinstance(exc.details, list) else None,
                )
            )
            continue
        results.append(
            BatchResult(
                index=index,
                id=str(item.id),
                status="created" if created else "replaced",
                etag=view.etag,
            )
        )
    return BatchResponse(results=results)

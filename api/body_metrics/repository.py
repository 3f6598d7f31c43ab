"""SQL for body metrics. Every read and delete starts from :func:`owned_by`."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.body_metrics.tables import BodyMetric
from api.db import one_or_none


def owned_by(user_id: uuid.UUID) -> Select[BodyMetric]:
    """The user's body metrics."""
    return select(BodyMetric).where(BodyMetric.user_id == user_id)


async def get(
    session: AsyncSession, *, user_id: uuid.UUID, metric_id: uuid.UUID
) -> BodyMetric | None:
    """The user's row with this id, or None when there is none of theirs."""
    return await one_or_none(session, owned_by(user_id).where(BodyMetric.id == metric_id))


async def upsert(
    session: AsyncSession, *, user_id: uuid.UUID, measured_on: date, values: dict[str, Any]
) -> tuple[BodyMetric, bool]:
    """Insert the user's row for ``measured_on`` or replace its values; True when inserted.

    ``INSERT … ON CONFLICT (user_id, measured_on) DO UPDATE`` is one atomic statement, so
    two concurrent POSTs for the same day leave one row. The id proposed here comes back
    only when the row is new: an existing row keeps its own.
    """
    new_id = uuid.uuid4()
    new = insert(BodyMetric).values(id=new_id, user_id=user_id, measured_on=measured_on, **values)
    stmt = new.on_conflict_do_update(
        index_elements=[BodyMetric.user_id, BodyMetric.measured_on],
        set_={**{k: new.excluded[k] for k in values}, "updated_at": func.now()},
    ).returning(BodyMetric)
    result = await session.execute(stmt, execution_options={"populate_existing": True})
    row = result.scalar_one()
    return row, row.id == new_id


async def page(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    start: date | None,
    end: date | None,
    limit: int,
    before: date | None,
) -> list[BodyMetric]:
    """Newest date first, ``start ≤ measured_on ≤ end``; ``before`` is the last date seen."""
    stmt = owned_by(user_id)
    if start is not None:
        stmt = stmt.where(BodyMetric.measured_on >= start)
    if end is not None:
        stmt = stmt.where(BodyMetric.measured_on <= end)
    # (user_id, measured_on) is unique, so the date alone is a complete keyset.
    if before is not None:
        stmt = stmt.where(BodyMetric.measured_on < before)
    stmt = stmt.order_by(BodyMetric.measured_on.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def delete_one(
    session: AsyncSession, *, user_id: uuid.UUID, metric_id: uuid.UUID
) -> date | None:
    """Delete one of the user's rows in one statement; its date, or None when not theirs."""
    scope = owned_by(user_id).whereclause
    assert scope is not None
    stmt = (
        delete(BodyMetric)
        .where(scope, BodyMetric.id == metric_id)
        .returning(BodyMetric.measured_on)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).scalar_one_or_none()

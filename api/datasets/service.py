"""The datasets' rules: what the list says of each dataset (columns, size, freshness),
and a request turned into the SELECT the streaming engine exports.

Every read first gives athletes who lack one a pseudonym in the current key period
(:func:`api.datasets.pseudonyms.ensure_pseudonyms_async`): the datasets join
``user_pseudonyms``, so an athlete without a row would be missing from them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.config import Settings
from api.datasets.catalogue import DATASETS, DEFAULT_RUN_SQL, FORMATS, Dataset
from api.datasets.pseudonyms import ensure_pseudonyms_async
from api.datasets.query import (
    EXPORT_PARAMS,
    Filters,
    get_dataset,
    parse_filters,
    refuse_unknown,
    select,
)
from api.datasets.schemas import ColumnRead, DatasetList, DatasetRead
from api.datasets.stream import EXTENSIONS
from api.errors import NotFound

#: datasets up to this many rows are counted; past it the planner's estimate stands in
EXACT_BELOW = 1_000_000


def _named(sql: str) -> str:
    """psycopg ``%(name)s`` parameters as SQLAlchemy ``:name`` ones."""
    return re.sub(r"%\((\w+)\)s", r":\1", sql)


async def default_run(session: AsyncSession) -> uuid.UUID | None:
    """The latest training run that produced a model version and still has its
    feature table; None before the first."""
    return (await session.execute(text(DEFAULT_RUN_SQL))).scalar_one_or_none()


async def resolve_run(session: AsyncSession, dataset: Dataset, filters: Filters) -> Filters:
    """``filters`` with the run a per-run dataset reads: the one asked for (404
    ``run_not_found`` when there is no such run), else :func:`default_run`."""
    if not dataset.per_run:
        return filters
    if filters.run_id is None:
        return replace(filters, run_id=await default_run(session))
    found = await session.execute(
        text("SELECT 1 FROM model_runs WHERE id = :r"), {"r": filters.run_id}
    )
    if found.first() is None:
        raise NotFound(
            f"no training run {filters.run_id}",
            code="run_not_found",
            details={"run_id": str(filters.run_id)},
        )
    return filters


async def count_rows(
    session: AsyncSession, dataset: Dataset, *, period: int, run_id: uuid.UUID | None
) -> tuple[int, bool]:
    """``(rows, exact)`` of the whole dataset: counted up to :data:`EXACT_BELOW` rows (the
    count stops there), past it PostgreSQL's estimate of its table (``pg_class``) or, for
    a run's features, the examples the run counted."""
    estimate: int | None = None
    if dataset.count_table is not None and not dataset.per_run:
        estimate = (
            await session.execute(
                text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:t)"),
                {"t": dataset.count_table},
            )
        ).scalar_one_or_none()
        if estimate is not None and estimate > EXACT_BELOW:
            return int(estimate), False
    lean = replace(dataset, from_sql=dataset.count_from or dataset.from_sql)
    sql, params, _ = select(
        lean, Filters(columns=("athlete",), run_id=run_id), period=period, allow_notes=False
    )
    bounded = f"SELECT count(*) FROM ({_named(sql)} LIMIT {EXACT_BELOW + 1}) AS rows"
    counted = int((await session.execute(text(bounded), params)).scalar_one())
    if counted <= EXACT_BELOW:
        return counted, True
    if dataset.per_run:
        estimate = (
            await session.execute(
                text("SELECT examples FROM model_runs WHERE id = :r"), {"r": run_id}
            )
        ).scalar_one_or_none()
    return max(counted, int(estimate or 0)), False


async def list_datasets(session: AsyncSession, settings: Settings) -> DatasetList:
    """Every dataset with its columns (notes and titles only when allowed), row count
    and freshness, in the current key period."""
    period = await ensure_pseudonyms_async(session, settings)
    run = await default_run(session)
    items = []
    for dataset in DATASETS.values():
        rows, exact = await count_rows(session, dataset, period=period, run_id=run)
        freshness = (await session.execute(text(dataset.freshness_sql))).scalar_one_or_none()
        items.append(
            DatasetRead(
                name=dataset.name,
                description=dataset.description,
                time_column=dataset.time_column,
                columns=[
                    ColumnRead(
                        name=c.name, type=str(c.type), unit=c.unit, description=c.description
                    )
                    for c in dataset.visible(settings.datasets_allow_notes)
                ],
                row_count=rows,
                row_count_exact=exact,
                freshness=freshness,
                formats=list(FORMATS),
            )
        )
    return DatasetList(items=items, key_period=period)


@dataclass(frozen=True)
class Export:
    """What the streaming engine needs for one export, and the headers that name it."""

    sql: str
    params: dict[str, Any]
    columns: list[Any]
    filename: str
    headers: dict[str, str]


async def prepare_export(
    session: AsyncSession,
    settings: Settings,
    *,
    name: str,
    fmt: str,
    since: str | None,
    until: str | None,
    sample: str | None,
    columns: str | None,
    run_id: str | None,
    given: Iterable[str] = (),
) -> Export:
    """Check a dataset request (404 unknown dataset or run, 422 naming a bad filter or a
    query parameter of ``given`` that an export does not take) and turn it into its SELECT
    in the current key period.

    The pseudonyms the SELECT joins are committed before it runs: the export reads on a
    connection of its own.
    """
    dataset = get_dataset(name)
    refuse_unknown(given, EXPORT_PARAMS)
    filters = parse_filters(
        dataset, since, until, sample, columns, run_id, allow_notes=settings.datasets_allow_notes
    )
    period = await ensure_pseudonyms_async(session, settings)
    filters = await resolve_run(session, dataset, filters)
    await session.commit()
    sql, params, out = select(
        dataset, filters, period=period, allow_notes=settings.datasets_allow_notes
    )
    headers = {"X-Forma-Key-Period": str(period)}
    if filters.run_id is not None:
        headers["X-Forma-Run-Id"] = str(filters.run_id)
    return Export(
        sql=sql,
        params=params,
        columns=out,
        filename=f"{dataset.name}.{EXTENSIONS[fmt]}",
        headers=headers,
    )

"""``/v1/datasets``: the analysts' datasets — the list with schemas, sizes and freshness,
and each dataset streamed as Parquet, Arrow IPC or CSV. Admins and analysts only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from api.datasets import service, stream
from api.datasets.catalogue import DATASETS
from api.datasets.schemas import DatasetList, Format
from api.db import SessionDep
from api.deps import SettingsDep, require_role
from api.errors import error_responses
from api.users.tables import User

router = APIRouter(
    prefix="/v1/datasets", tags=["datasets"], responses=error_responses(401, 403, 422)
)

Reader = Annotated[User, Depends(require_role("admin", "analyst"))]


def _schemas() -> str:
    """The datasets' columns as Markdown tables (the 200 answer's description)."""
    parts = [
        "The rows, streamed in row groups (Parquet), record batches (Arrow IPC stream) or "
        "lines (CSV, header first; text cells starting with `=`, `+`, `-`, `@`, tab or "
        "carriage return get a leading `'`). Columns per dataset (with notes and titles "
        "only when the server allows them):"
    ]
    for dataset in DATASETS.values():
        parts.append(f"\n**{dataset.name}** — {dataset.description}\n")
        parts.append("| column | type | unit | meaning |\n|---|---|---|---|")
        parts += [
            f"| `{c.name}` | `{c.type}` | {c.unit or ''} | {c.description} |"
            for c in dataset.columns
        ]
    return "\n".join(parts)


_BINARY: dict[str, Any] = {"schema": {"type": "string", "format": "binary"}}
_STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": _schemas(),
        "content": {
            stream.MEDIA_TYPES["parquet"]: _BINARY,
            stream.MEDIA_TYPES["arrow"]: _BINARY,
            stream.MEDIA_TYPES["csv"]: {"schema": {"type": "string"}},
        },
        "headers": {
            "Content-Disposition": {
                "description": "`attachment; filename=<name>.<parquet|arrows|csv>`",
                "schema": {"type": "string"},
            },
            "X-Forma-Key-Period": {
                "description": "the key period the athletes' pseudonyms belong to",
                "schema": {"type": "integer"},
            },
            "X-Forma-Run-Id": {
                "description": "`features` only: the training run whose rows these are",
                "schema": {"type": "string", "format": "uuid"},
            },
        },
    },
    **error_responses(404),
}


@router.get("", response_model=DatasetList)
async def list_datasets(_: Reader, session: SessionDep, settings: SettingsDep) -> DatasetList:
    """Every dataset: its columns (name, Arrow type, unit, meaning), the column dates
    filter on, its row count (exact up to a million rows, else PostgreSQL's estimate),
    its freshness and the formats it streams in."""
    return await service.list_datasets(session, settings)


@router.get(
    "/{name}",
    response_class=StreamingResponse,
    responses=_STREAM_RESPONSES,
)
async def get_dataset(
    name: str,
    request: Request,
    _: Reader,
    session: SessionDep,
    settings: SettingsDep,
    format: Annotated[Format, Query(description="file format")] = "parquet",
    since: Annotated[
        str | None, Query(description="first day (ISO date, inclusive) of the time column")
    ] = None,
    until: Annotated[
        str | None, Query(description="last day (ISO date, inclusive); not before `since`")
    ] = None,
    sample: Annotated[
        str | None,
        Query(
            description="fraction of athletes, 0 < sample ≤ 1: the same athletes for the same "
            "fraction within a key period, a subset of them for a smaller one"
        ),
    ] = None,
    columns: Annotated[
        str | None, Query(description="comma-separated columns, in the order wanted")
    ] = None,
    run_id: Annotated[
        str | None,
        Query(
            description="`features` only: the training run (default: the latest that "
            "produced a model version)"
        ),
    ] = None,
) -> StreamingResponse:
    """One dataset's rows, streamed from the database as they are read (constant server
    memory, whatever the row count). 404 `dataset_not_found` (or `run_not_found`); 422
    naming the parameter for a date that is not ISO, `until` before `since`, a sample
    outside (0, 1] or an unknown column; 503 with `Retry-After` when the server is
    already streaming its most exports at once; 422 for a query parameter it does not
    take (a misspelt filter would otherwise export everything)."""
    export = await service.prepare_export(
        session,
        settings,
        name=name,
        fmt=format,
        since=since,
        until=until,
        sample=sample,
        columns=columns,
        run_id=run_id,
        given=request.query_params.keys(),
    )
    return stream.streaming_response(
        request,
        settings,
        format,
        export.sql,
        export.params,
        export.columns,
        export.filename,
        export.headers,
    )

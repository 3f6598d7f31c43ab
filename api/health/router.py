"""``/healthz`` and ``/readyz``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str = Field(description="`ok` or `unavailable`")
    database: str | None = Field(None, description="`ok` or `unavailable`")
    broker: str | None = Field(
        None, description="`ok` or `unavailable` (does not affect readiness)"
    )


@router.head("/healthz", response_model=Health, operation_id="healthz_head")
@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.head(
    "/readyz", response_model=Health, responses={503: {"model": Health}}, operation_id="readyz_head"
)
@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers; the broker's state is reported only."""
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        database = "ok"
    except Exception:
        database = "unavailable"
    broker_ok = await run_in_threadpool(request.app.state.producer.ping)
    body = Health(
        status="ok" if database == "ok" else "unavailable",
        database=database,
        broker="ok" if broker_ok else "unavailable",
    )
    return JSONResponse(body.model_dump(), status_code=200 if database == "ok" else 503)

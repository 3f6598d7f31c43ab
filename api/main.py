"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.analytics.router import router as analytics_router
from api.auth.router import router as auth_router
from api.auth.security import PasswordWorkers, default_password_workers
from api.body_limit import BodyLimit
from api.body_metrics.router import router as body_metrics_router
from api.coaching.router import router as coaching_router
from api.config import Settings, get_settings
from api.datasets.router import router as datasets_router
from api.datasets.snapshot_router import router as dataset_snapshots_router
from api.datasets.stream import ExportSlots
from api.db import create_sessionmaker, engine_for, install_overload_handlers
from api.disconnect import WatchDisconnect
from api.errors import install_error_handlers
from api.exercises.router import router as exercises_router
from api.health.router import router as health_router
from api.imports.guards import UploadSlots
from api.imports.router import router as imports_router
from api.openapi import install_openapi
from api.producer import TaskProducer
from api.ratelimit import RateLimiter
from api.recommendations.champion import Champions
from api.recommendations.router import router as recommendations_router
from api.unread_body import CloseUnreadBody
from api.users.admin_router import router as admin_users_router
from api.users.router import router as users_router
from api.workouts.router import router as workouts_router


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API. The engine, sessionmaker, producer, argon2 pool and rate limiter
    live in the lifespan."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = engine_for(settings)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.producer = TaskProducer(settings)
        app.state.password_workers = PasswordWorkers(
            # `forma up` sets FORMA_API_WORKERS: the processes share the cores between them
            settings.password_workers or default_password_workers(settings.api_workers or 1),
            max_waiting=settings.password_queue,
        )
        app.state.rate_limiter = RateLimiter(settings)
        app.state.champions = Champions()
        app.state.upload_slots = UploadSlots(
            total=settings.upload_concurrency, per_account=settings.upload_concurrency_account
        )
        app.state.export_slots = ExportSlots(settings.datasets_max_exports)
        try:
            yield
        finally:
            await app.state.rate_limiter.aclose()
            app.state.password_workers.close()
            app.state.producer.close()
            await engine.dispose()

    app = FastAPI(
        title="Forma API",
        version="0.1.0",
        summary="Workouts in, training analytics out.",
        lifespan=lifespan,
        # `/v1/workouts/` is not `/v1/workouts`: a 404, not a redirect built from the Host
        redirect_slashes=False,
    )
    install_error_handlers(app)
    install_overload_handlers(app)
    app.add_middleware(BodyLimit)
    # Outside BodyLimit, so that it also sees BodyLimit's early 413.
    app.add_middleware(CloseUnreadBody)
    # Outermost: it looks ahead in the server's own receive() (api/disconnect.py).
    app.add_middleware(WatchDisconnect)
    for router in (
        health_router,
        auth_router,
        users_router,
        admin_users_router,
        exercises_router,
        workouts_router,
        imports_router,
        analytics_router,
        body_metrics_router,
        coaching_router,
        recommendations_router,
        dataset_snapshots_router,  # before the datasets router: /snapshots is no dataset
        # last: its `/v1/datasets/{name}` would take any fixed path under /v1/datasets
        datasets_router,
    ):
        app.include_router(router)
    install_openapi(app)
    return app

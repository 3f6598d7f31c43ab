"""The Celery application of the workers and beat, configured from Settings."""

from __future__ import annotations

from functools import cache
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown

from api.config import Settings, get_settings
from api.pending import PendingTokens
from api.producer import celery_transport_options
from pipelines.beat import schedule
from pipelines.db import dispose_engine


def create_celery(settings: Settings) -> Celery:
    """Workers ack late and requeue on a lost worker; guarantees live in PostgreSQL."""
    app = Celery(
        "forma",
        broker=settings.redis_url,
        include=[
            "pipelines.imports.task",
            "pipelines.tasks.analytics",
            "pipelines.tasks.coaching",
            "pipelines.tasks.datasets",
            "pipelines.tasks.maintenance",
            "pipelines.tasks.scoring",
        ],
    )
    app.conf.update(
        task_default_queue=settings.celery_queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        # Redis hands an unacknowledged message to another worker only after this; it
        # stays above the longest task so a slow rebuild never runs twice. Work a dead
        # worker held is re-sent sooner by the beat sweep from PostgreSQL.
        broker_transport_options={
            **celery_transport_options(settings),
            "max_retries": 3,
            "visibility_timeout": settings.celery_visibility_timeout_s,
        },
        broker_connection_retry_on_startup=True,
        # the beat's sweep has its own queue (the worker consumes both with -Q): a backlog
        # on the main queue never holds back the sweep that re-sends owed work
        task_routes={"maintenance.sweep": {"queue": settings.sweep_queue}},
        beat_schedule=schedule(settings),
        timezone="UTC",
    )
    return app


app = create_celery(get_settings())

#: The coalesced analytics refresh (see :mod:`api.pending`).
REFRESH = "analytics.refresh"


@cache
def pending_tokens() -> PendingTokens:
    """This process's tokens of the coalescing tasks."""
    return PendingTokens(get_settings())


def publish_coalesced(name: str) -> bool:
    """Publish ``name()`` unless a message of it is already waiting (:mod:`api.pending`)."""
    return pending_tokens().send_once(name, lambda: publish(name))


def publish(name: str, *args: Any, countdown: float | None = None) -> bool:
    """Fire-and-forget ``send_task`` (run ``countdown`` seconds from now, if given); False
    when the broker cannot take it (the sweep resends)."""
    try:
        app.send_task(
            name,
            args=list(args),
            queue=app.conf.task_default_queue,
            retry=False,
            countdown=countdown,
        )
    except Exception:
        return False
    return True


@worker_process_init.connect
def _fresh_engine(**_: Any) -> None:
    dispose_engine()


@worker_process_shutdown.connect
def _close_engine(**_: Any) -> None:
    dispose_engine()

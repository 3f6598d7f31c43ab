"""The Celery application of the workers and beat, configured from Settings."""

from __future__ import annotations

from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown

from api.config import Settings, get_settings
from api.producer import celery_transport_options
from pipelines.beat import schedule
from pipelines.db import dispose_engine


def create_celery(settings: Settings) -> Celery:
    """Workers ack late and requeue on a lost worker; guarantees live in PostgreSQL."""
    app = Celery(
        "forma",
        broker=settings.redis_url,
        include=["pipelines.tasks.imports", "pipelines.tasks.analytics"],
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
        beat_schedule=schedule(settings),
        timezone="UTC",
    )
    return app


app = create_celery(get_settings())


def publish(name: str, *args: Any) -> bool:
    """Fire-and-forget ``send_task``; False when the broker cannot take it (the sweep resends)."""
    try:
        app.send_task(name, args=list(args), queue=app.conf.task_default_queue, retry=False)
    except Exception:
        return False
    return True


@worker_process_init.connect
def _fresh_engine(**_: Any) -> None:
    dispose_engine()


@worker_process_shutdown.connect
def _close_engine(**_: Any) -> None:
    dispose_engine()

"""Celery task names are a wire format: queued messages and the beat schedule name them."""

from __future__ import annotations

from pipelines.beat import schedule
from pipelines.celery_app import app

#: Every name a message in a queue, or the beat, may carry; none may go missing.
NAMES = {
    "analytics.refresh",
    "analytics.refresh_user",
    "analytics.rebuild_shard",
    "analytics.rebuild_all",
    "maintenance.sweep",
    "imports.run",
    "datasets.snapshot",
}


def test_every_task_name_is_registered_by_the_workers_includes() -> None:
    app.loader.import_default_modules()
    assert NAMES <= set(app.tasks)


def test_the_beat_names_only_registered_tasks(settings) -> None:
    app.loader.import_default_modules()
    named = {entry["task"] for entry in schedule(settings).values()}
    assert "maintenance.sweep" in named
    assert named <= set(app.tasks)

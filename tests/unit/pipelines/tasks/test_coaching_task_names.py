"""The coach's task names are a wire format too (the API, the beat and the sweep send them)."""

from __future__ import annotations

from pipelines.celery_app import app

NAMES = {"coaching.train", "coaching.features_shard", "coaching.fit"}


def test_the_coachs_task_names_are_registered_by_the_workers_includes() -> None:
    app.loader.import_default_modules()
    assert NAMES <= set(app.tasks)

"""The coach: next-session prescriptions and the model registry (``/v1/models``)."""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd

from forma_client.jobs import pages, wait_for
from forma_client.session import Session

RUN_DONE = frozenset({"succeeded", "failed"})


def recommendations(session: Session) -> list[dict[str, Any]]:
    """``GET /v1/recommendations``: the caller's main exercises' prescriptions."""
    return list(session.json("GET", "/v1/recommendations")["items"])


def recommendation(session: Session, exercise_id: uuid.UUID | str) -> dict[str, Any]:
    """``GET /v1/recommendations/exercises/{id}``: one exercise's prescription."""
    return dict(session.json("GET", f"/v1/recommendations/exercises/{exercise_id}"))


def models_frame(session: Session) -> pd.DataFrame:
    """One row per registered model: ``name``, ``champion``, ``challenger``,
    ``latest_version`` (Int64, <NA> when none) and ``latest_run`` (``{id, status,
    progress}`` or None)."""
    items = session.json("GET", "/v1/models")["items"]
    columns = ["name", "champion", "challenger", "latest_version", "latest_run"]
    frame = pd.DataFrame(items, columns=columns)
    for column in ("champion", "challenger", "latest_version"):
        frame[column] = frame[column].astype("Int64")
    return frame


def versions_frame(session: Session, name: str) -> pd.DataFrame:
    """Every version of model ``name`` (all pages), newest first: ``version``,
    ``created_at`` (UTC), ``run_id``, ``window``, ``snapshot``, ``code_version``,
    ``params``, ``metrics``, ``artifact_sha256``, ``aliases`` (dict/list cells as the API
    gives them). 404 ``model_not_found``."""
    frame = pd.DataFrame(list(pages(session, f"/v1/models/{name}/versions")))
    if "created_at" in frame:
        frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    return frame


def run_record(session: Session, name: str, run_id: uuid.UUID | str) -> dict[str, Any]:
    """``GET /v1/models/{name}/runs/{id}``: a training run's status, progress and counts."""
    return dict(session.json("GET", f"/v1/models/{name}/runs/{run_id}"))


def start_training(
    session: Session,
    name: str,
    *,
    wait: bool,
    poll: float,
    timeout: float | None,
    progress: bool,
    params: dict[str, Any],
) -> dict[str, Any]:
    """``POST /v1/models/{name}/train`` with hyper-parameter overrides ``params``; with
    ``wait``, the finished run (``FormaError`` ``training_failed`` when it failed)."""
    accepted = session.json("POST", f"/v1/models/{name}/train", json={"params": params})
    if not wait:
        return dict(accepted)
    return wait_for(
        lambda: run_record(session, name, accepted["id"]),
        done=RUN_DONE,
        desc=f"training {name}",
        poll=poll,
        timeout=timeout,
        progress=progress,
        failed_code="training_failed",
    )

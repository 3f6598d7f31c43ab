"""Imports run in the test's own process: upload through the API, then the import task."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from pipelines.imports.task import run_import


async def import_now(
    http: httpx.AsyncClient, headers: dict[str, str], path: Path, **data: str
) -> str:
    """Upload ``path`` (as text/csv, with form fields ``data``) and run its import here,
    no worker involved; the job's id, its import asserted ``succeeded``."""
    with path.open("rb") as fh:
        response = await http.post(
            "/v1/imports",
            headers=headers,
            files={"file": (path.name, fh, "text/csv")},
            data=data,
        )
    assert response.status_code == 202, response.text
    job_id = str(response.json()["id"])
    assert run_import(uuid.UUID(job_id)) == "succeeded"
    return job_id

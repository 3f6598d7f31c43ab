"""Import jobs end to end in one process: upload over HTTP, run the worker's task, read the job.

The task runs here, synchronously, instead of on a Celery worker, so that a test sees the
job's outcome as soon as the call returns.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from pipelines.imports.task import run_import
from tests.support.http import json_of


async def upload(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    filename: str,
    content: bytes | str,
    *,
    content_type: str = "text/csv",
    **form: str,
) -> uuid.UUID:
    """``POST /v1/imports`` of ``content`` (text is sent as UTF-8); the queued job's id.

    Fails the test unless the upload is accepted: 202, status ``queued``.
    """
    body = content.encode() if isinstance(content, str) else content
    response = await http.post(
        "/v1/imports",
        headers=headers,
        files={"file": (filename, body, content_type)},
        data=form,
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    return uuid.UUID(response.json()["id"])


async def job_of(http: httpx.AsyncClient, headers: dict[str, str], job_id: uuid.UUID) -> Any:
    """The job as ``GET /v1/imports/{id}`` shows it to its owner (200 asserted)."""
    return json_of(await http.get(f"/v1/imports/{job_id}", headers=headers), 200)


async def import_file(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    filename: str,
    content: bytes | str,
    *,
    expect: str | None = None,
    content_type: str = "text/csv",
    **form: str,
) -> Any:
    """Upload, run the job here and return it as the API shows it afterwards.

    ``expect``: the outcome the run must end in (``succeeded``, ``partial``, ``failed``),
    checked both as the task returns it and as the job reads; None: not checked.
    """
    job_id = await upload(http, headers, filename, content, content_type=content_type, **form)
    outcome = run_import(job_id)
    job = await job_of(http, headers, job_id)
    if expect is not None:
        assert (outcome, job["status"]) == (expect, expect), job
    return job

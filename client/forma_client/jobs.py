"""Waiting on the API's background jobs (snapshots, training runs) with progress."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from forma_client.errors import FormaError
from forma_client.progress import Progress
from forma_client.session import Session


def wait_for(
    fetch: Callable[[], dict[str, Any]],
    *,
    done: frozenset[str],
    desc: str,
    poll: float,
    timeout: float | None,
    progress: bool,
    failed_code: str,
) -> dict[str, Any]:
    """Poll ``fetch()`` every ``poll`` seconds until its ``status`` is one of ``done``.

    Returns the last record when it ``succeeded``; raises :class:`FormaError`
    ``failed_code`` (status 200, the record as ``details``) when it ``failed``, and
    ``timeout`` (status 408) when ``timeout`` seconds pass first.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    with Progress(desc, unit="%", enabled=progress) as bar:
        while True:
            record = fetch()
            bar.set(float(record.get("progress") or 0.0))
            if record["status"] in done:
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise FormaError(
                    408,
                    "timeout",
                    f"{desc} still {record['status']} after {timeout} s",
                    record,
                )
            time.sleep(poll)
    if record["status"] != "succeeded":
        message = record.get("message") or f"{desc} {record['status']}"
        raise FormaError(200, failed_code, str(message), record)
    return record


def pages(session: Session, path: str, *, params: dict[str, Any] | None = None) -> Iterator[Any]:
    """Every item of a cursor-paginated list ``{"items": [...], "next_cursor": …}``."""
    query: dict[str, Any] = {"limit": 200, **(params or {})}
    while True:
        page = session.json("GET", path, params=query)
        yield from page["items"]
        if not page.get("next_cursor"):
            return
        query["cursor"] = page["next_cursor"]

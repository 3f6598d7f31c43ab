"""What keeps uploads from holding the API: upload slots and the body's idle timeout.

An upload holds a database connection (and its open transaction) for as long as its
body streams in, so a few slow or stalled clients could otherwise take the whole
pool and every database-backed route with it. Two bounds:

- :class:`UploadSlots`: at most ``FORMA_UPLOAD_CONCURRENCY`` uploads in flight per
  API process, and ``FORMA_UPLOAD_CONCURRENCY_ACCOUNT`` per account; beyond, 503 or
  429 at once, before a database connection is taken or a byte of the body is read.
- :func:`idle_limited_body`: when no part of the body arrives for
  ``FORMA_UPLOAD_IDLE_TIMEOUT_S``, the upload is abandoned with 408 (its transaction
  rolled back, the connection closed).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

from starlette.requests import ClientDisconnect
from starlette.types import Receive

from api.errors import FormaError
from api.ratelimit_rules import RateLimited

UPLOAD_RETRY_AFTER_S = 5
"""``Retry-After`` of an upload refused for want of a slot: uploads last seconds, not ms."""


class UploadsBusy(FormaError, status_code=503, code="overloaded"):
    """503: this API process already streams as many uploads as it allows."""


class UploadIdle(FormaError, status_code=408, code="request_timeout"):
    """408: the upload's body stopped arriving; it was abandoned."""


class UploadSlots:
    """Uploads in flight in this process, in total and per account (one per app, lifespan).

    Taking and giving back a slot never awaits, so on the event loop no lock is needed.
    """

    def __init__(self, *, total: int, per_account: int) -> None:
        self.total = total
        self.per_account = per_account
        self.in_flight = 0
        self._by_account: Counter[str] = Counter()

    @contextmanager
    def hold(self, account: str) -> Iterator[None]:
        """Hold a slot for ``account`` while the block runs; 429 or 503 when none is free."""
        retry = {"Retry-After": str(UPLOAD_RETRY_AFTER_S)}
        if self._by_account[account] >= self.per_account:
            raise RateLimited(
                f"{self.per_account} uploads of this account are already in progress; "
                f"try again in {UPLOAD_RETRY_AFTER_S} s",
                details={
                    "limits": ["imports_in_flight_account"],
                    "retry_after_s": UPLOAD_RETRY_AFTER_S,
                },
                headers=retry,
            )
        if self.in_flight >= self.total:
            raise UploadsBusy(
                f"too many uploads in progress; try again in {UPLOAD_RETRY_AFTER_S} s",
                details={"retry_after_s": UPLOAD_RETRY_AFTER_S},
                headers=retry,
            )
        self.in_flight += 1
        self._by_account[account] += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._by_account[account] -= 1
            if not self._by_account[account]:
                del self._by_account[account]


#: an upload must deliver this much every ``FORMA_UPLOAD_IDLE_TIMEOUT_S`` (≈ 0.8 KiB/s at
#: 20 s, far below any phone link): one byte every few seconds would hold a slot for ever
MIN_PROGRESS_BYTES = 16 * 1024


async def idle_limited_body(receive: Receive, *, idle_s: float) -> AsyncIterator[bytes]:
    """The request body's pieces, as ``Request.stream()`` gives them, with a progress timeout.

    Raises :class:`UploadIdle` (408) when less than :data:`MIN_PROGRESS_BYTES` arrive in
    ``idle_s`` seconds (the body's end always counts as progress), and starlette's
    :class:`ClientDisconnect` when the client goes away mid-body.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + idle_s
    progress = 0
    while True:
        try:
            async with asyncio.timeout_at(deadline):
                message = await receive()
        except TimeoutError:
            raise UploadIdle(
                f"less than {MIN_PROGRESS_BYTES:,} bytes of the upload arrived in {idle_s:g} s;"
                " it was abandoned"
            ) from None
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if message["type"] == "http.request":
            body = message.get("body", b"")
            progress += len(body)
            if progress >= MIN_PROGRESS_BYTES:
                progress, deadline = 0, loop.time() + idle_s
            if body:
                yield body
            if not message.get("more_body", False):
                return

"""Streaming a dataset export over HTTP: a worker thread, a bounded queue, cancellation.

Each export has its own psycopg connection (never one of the API's pool: an export lasts
minutes) and its own thread running :func:`~api.datasets.encode.encode`; the thread hands
byte chunks to the response through a queue of :data:`QUEUE_CHUNKS`, so a slow client
slows the query down instead of filling memory. A client that goes away (the server's
``http.disconnect``, a failed send, or a hang-up while the first rows are computed) stops
the thread and cancels the query: its backend leaves ``pg_stat_activity`` within a
second. :class:`ExportSlots` caps exports per API process; beyond it, 503.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import socket
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from api.config import Settings
from api.datasets.encode import (
    EXTENSIONS,
    MEDIA_TYPES,
    Column,
    Format,
    copy_chunks,
    encode,
    neutralise,
    record_batches,
)
from api.disconnect import CLIENT_GONE, ClientGoneCheck
from api.errors import ClientGone, Overloaded

__all__ = [
    "EXTENSIONS",
    "MEDIA_TYPES",
    "Column",
    "ExportSlots",
    "Format",
    "conninfo",
    "copy_chunks",
    "encode",
    "neutralise",
    "record_batches",
    "streaming_response",
]

logger = logging.getLogger("forma.api.datasets")

#: chunks (~1 MiB of CSV, or one encoded row group) waiting between thread and response
QUEUE_CHUNKS = 4
#: ``Retry-After`` of an export refused for want of a slot: exports last seconds to minutes
EXPORT_RETRY_AFTER_S = 10
#: how often a thread waiting for room in the queue looks whether the export was stopped
_POLL_S = 0.05
#: how often the wait for the first rows asks whether the client is still there
_GONE_POLL_S = 0.25
#: longest a cancel request may take (the thread's close waits for it)
_CANCEL_TIMEOUT_S = 2.0


class ExportSlots:
    """Exports streaming in this process (one per app, kept on ``app.state``).

    A lock guards the count: a sync route takes its slot on a worker thread.
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self.in_flight = 0
        self._lock = threading.Lock()

    @classmethod
    def of(cls, app: FastAPI, settings: Settings) -> ExportSlots:
        """The app's slots (made on first use when the lifespan did not make them)."""
        slots = getattr(app.state, "export_slots", None)
        if slots is None:
            slots = app.state.export_slots = cls(settings.datasets_max_exports)
        return slots

    def take(self) -> None:
        """Take a slot; 503 ``overloaded`` with ``Retry-After`` when none is free."""
        with self._lock:
            if self.in_flight < self.total:
                self.in_flight += 1
                return
        raise Overloaded(
            f"{self.total} dataset exports are already streaming; "
            f"try again in {EXPORT_RETRY_AFTER_S} s",
            details={"reason": "exports_busy", "retry_after_s": EXPORT_RETRY_AFTER_S},
            headers={"Retry-After": str(EXPORT_RETRY_AFTER_S)},
        )

    def give_back(self) -> None:
        with self._lock:
            self.in_flight -= 1


def conninfo(settings: Settings) -> str:
    """libpq's URL of the configured database (the psycopg form without the driver)."""
    return "postgresql://" + settings.sync_database_url.removeprefix("postgresql+psycopg://")


class _Stopped(Exception):
    """The export was abandoned: the thread unwinds quietly."""


_END = object()
_TIMEOUT = object()


class _Export:
    """One export's thread and the queue between it and the response."""

    def __init__(
        self,
        *,
        settings: Settings,
        fmt: Format,
        select_sql: str,
        params: Mapping[str, Any],
        columns: Sequence[Column],
    ) -> None:
        self._settings = settings
        self._args = (fmt, select_sql, params, columns)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_CHUNKS)
        self._stopped = threading.Event()
        self._conn: psycopg.Connection[Any] | None = None
        # a cancel request and the connection's close never run at once
        self._conn_lock = threading.Lock()
        self._ready = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="forma-export", daemon=True)
        self._first: Any = None
        self._sent = False  # the whole body went out

    # --- the thread ---------------------------------------------------------------------

    def _run(self) -> None:
        fmt, select_sql, params, columns = self._args
        try:
            conn = psycopg.connect(
                conninfo(self._settings),
                autocommit=True,  # one statement: COPY is its own snapshot
                connect_timeout=max(1, round(self._settings.db_connect_timeout_s)),
                application_name="forma-export",
                # The API's statement_timeout bounds requests, not an export of minutes;
                # ISO dates in UTC are what encode() parses.
                options="-c statement_timeout=0 -c TimeZone=UTC -c DateStyle=ISO",
            )
        except BaseException as exc:
            self._put_last(exc)
            return
        self._conn = conn
        chunks = encode(fmt, conn, select_sql, params, columns)
        try:
            if not self._stopped.is_set():
                for chunk in chunks:
                    if chunk:
                        self._put(chunk)
                self._put_last(_END)
        except _Stopped:
            pass
        except BaseException as exc:
            if not self._stopped.is_set():
                self._put_last(exc)
        finally:
            # Closed before the encoder unwinds: an abandoned COPY ends with the
            # connection (psycopg would otherwise send a cancel of its own and read the
            # rest of the rows first).
            with self._conn_lock:
                self._conn = None
                conn.close()
            chunks.close()

    def _put_last(self, item: Any) -> None:
        try:
            self._put(item)
        except _Stopped:
            pass

    def _put(self, item: Any) -> None:
        """Hand ``item`` to the response, waiting for room; raise once stopped."""
        while True:
            if self._stopped.is_set():
                raise _Stopped
            try:
                self._queue.put(item, timeout=_POLL_S)
                break
            except queue.Full:
                continue
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._ready.set)
        except RuntimeError:  # the loop has closed: nobody is reading
            raise _Stopped from None

    # --- the event loop -----------------------------------------------------------------

    async def _next(self, timeout: float | None = None) -> Any:
        """The thread's next item (a chunk, an exception or ``_END``), waiting for it;
        ``_TIMEOUT`` when ``timeout`` seconds pass first."""
        while True:
            try:
                return self._queue.get_nowait()
            except queue.Empty:
                pass
            self._ready.clear()
            try:
                return self._queue.get_nowait()  # put between the get and the clear
            except queue.Empty:
                pass
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return _TIMEOUT

    async def start(self, client_gone: ClientGoneCheck | None) -> None:
        """Start the thread and wait for its first chunk, so that a failure (the
        database away, a bad query) is an error response, not a truncated 200."""
        self._loop = asyncio.get_running_loop()
        self._thread.start()
        # A query can compute for a long time before its first row: meanwhile nothing is
        # sent, so only asking tells whether the client is still there.
        while (first := await self._next(_GONE_POLL_S)) is _TIMEOUT:
            if client_gone is not None and await client_gone():
                raise _Stopped
        if isinstance(first, BaseException):
            raise _failure(first)
        self._first = first

    async def chunks(self) -> AsyncIterator[bytes]:
        """The response body: the chunks the thread encodes, to the end."""
        item = self._first
        while item is not _END:
            if isinstance(item, BaseException):
                # The status is sent: the connection closes without the last chunk, so
                # the client sees an incomplete body, never a short file taken as whole.
                logger.error("dataset export failed mid-stream", exc_info=item)
                raise item
            yield item
            item = await self._next()
        self._sent = True

    def stop(self) -> None:
        """Abandon the export: stop the thread and cancel its query (idempotent)."""
        if self._stopped.is_set() or self._sent or not self._thread.is_alive():
            self._stopped.set()
            return
        self._stopped.set()
        # The thread may be waiting in libpq for rows (a sort, a slow join) or busy
        # encoding a block: the backend is stopped from here, not by the thread. The
        # cancel request opens a connection of its own, so it runs beside the loop.
        threading.Thread(target=self._cancel, daemon=True).start()

    def _cancel(self) -> None:
        with self._conn_lock:
            if self._conn is None:
                return  # closed already: nothing left to stop
            try:
                cancel = getattr(self._conn, "cancel_safe", None)
                if cancel is not None:
                    cancel(timeout=_CANCEL_TIMEOUT_S)
                else:  # pragma: no cover - psycopg < 3.2
                    self._conn.cancel()
            except Exception:  # the server away: the close ends the backend anyway
                logger.debug("export cancel request failed", exc_info=True)
            # A backend that is sending rows ends when its connection does. Shutting
            # the socket down (not closing it: libpq owns the descriptor) ends it now,
            # whatever the thread is doing; the thread's next read fails and it closes.
            try:
                with socket.socket(fileno=os.dup(self._conn.fileno())) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _failure(exc: BaseException) -> BaseException:
    """What an export failing before its first byte answers: 503 when the database is
    away or too busy, the error itself (a 500) when the query is wrong."""
    if isinstance(exc, psycopg.OperationalError):
        return Overloaded(
            "the database is unavailable for exports; try again shortly",
            details={"reason": "database_unavailable"},
            headers={"Retry-After": str(EXPORT_RETRY_AFTER_S)},
        )
    return exc


class _ExportResponse(StreamingResponse):
    """A streaming response that owns an export and its slot until it is done."""

    def __init__(self, export: _Export, slots: ExportSlots, **kwargs: Any) -> None:
        super().__init__(export.chunks(), **kwargs)
        self._export = export
        self._slots: ExportSlots | None = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            try:
                await self._export.start(scope.get(CLIENT_GONE))
            except _Stopped:
                # 499, which the error handler answers to nobody (the access log's line)
                raise ClientGone("the client left before the export's first rows") from None
            await super().__call__(scope, receive, send)
        finally:
            self._export.stop()
            if self._slots is not None:
                self._slots.give_back()
                self._slots = None


def streaming_response(
    request: Request,
    settings: Settings,
    fmt: Format,
    select_sql: str,
    params: Mapping[str, Any],
    columns: Sequence[Column],
    filename: str,
    headers: Mapping[str, str] | None = None,
) -> StreamingResponse:
    """The export of ``select_sql``'s rows as a ``fmt`` file named ``filename``.

    Takes one of the process's export slots at once (503 ``overloaded`` with
    ``Retry-After`` when none is free) and holds it until the body is sent or the client
    has gone. The query starts when the response is sent; a connection failure before
    the first byte is 503, a failure after it cuts the body short.
    """
    slots = ExportSlots.of(request.app, settings)
    slots.take()
    export = _Export(
        settings=settings, fmt=fmt, select_sql=select_sql, params=params, columns=columns
    )
    return _ExportResponse(
        export,
        slots,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            **(headers or {}),
        },
    )

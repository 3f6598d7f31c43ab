"""The HTTP/1.1 protocol ``forma up`` serves with: uvicorn's httptools one, bounded.

uvicorn's httptools protocol keeps every header it is sent (llhttp sets no limit): a
client could send a 50 MB request head and the API process would hold all of it. Here
the request line and headers together are capped at :data:`MAX_HEAD_BYTES` (the size
nginx's default header buffers allow, four times over), answered ``431 Request Header
Fields Too Large`` before more is read; and a request the parser cannot read at all
gets ``400`` in Forma's one error shape instead of uvicorn's plain text. Either way the
connection is closed, as the request's end cannot be found.

A client must also finish each request head within :attr:`FormaHttpProtocol.head_timeout_s`
of opening the connection or of starting the request (``408``, closed): a connection
that sends nothing, or a head a byte at a time, cannot be held open for ever. Idle time
between requests is uvicorn's keep-alive timeout. A client that stops reading an answer
(its socket full, nothing taken for :attr:`FormaHttpProtocol.write_stall_timeout_s`) has
its connection aborted: the request then ends as if the client had hung up, so a
stalled download cannot hold a dataset export's database query and slot for ever.

A transfer coding other than ``chunked`` is ``501`` (RFC 9112 §6.1): llhttp would read
``gzip, chunked`` as plain chunked. Forma has no WebSocket routes, so an ``Upgrade``
header is ignored and the request served as plain HTTP.

Run with ``uvicorn --http api.http_protocol:FormaHttpProtocol``.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import struct
import termios

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger("forma.api.http")

#: Linux's SIOCOUTQ (= TIOCOUTQ): a TCP socket's bytes not yet acknowledged by the peer
_OUTQ: int | None = getattr(termios, "TIOCOUTQ", None)

#: request line + header names and values, bytes; one request head may not exceed it
MAX_HEAD_BYTES = 64 * 1024
#: each header line's ": " and CRLF, counted so a head of many short headers adds up
_PER_HEADER = 4


class RequestRefused(httptools.HttpParserError):
    """Raised from a parser callback to refuse a request head (too large, bad coding)."""


class FormaHttpProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` with a capped, timed request head and JSON errors."""

    #: seconds a client has to send a whole request head
    head_timeout_s = 10.0

    #: seconds an answer may wait for a client that reads nothing before it is aborted
    #: (a slow client still reads: the timer restarts whenever some of the answer went)
    write_stall_timeout_s = 60.0

    _head_bytes = 0
    _refusal: tuple[bytes, str, str] | None = None
    _head_timer: asyncio.TimerHandle | None = None
    _stall_timer: asyncio.TimerHandle | None = None
    _unsent = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        self._cancel_stall_timer()
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        super().pause_writing()
        self._arm_stall_timer()

    def _arm_stall_timer(self) -> None:
        self._cancel_stall_timer()
        self._unsent = self._unacknowledged()
        self._stall_timer = self.loop.call_later(self.write_stall_timeout_s, self._stalled)

    def resume_writing(self) -> None:
        self._cancel_stall_timer()
        super().resume_writing()

    def _cancel_stall_timer(self) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def _unacknowledged(self) -> int:
        """Bytes of the answer the client has not taken: the transport's buffer and the
        kernel's send queue (sent, not yet acknowledged). While writing is paused this
        only shrinks, as fast as the client reads; the kernel's share matters, as its
        buffer can hold megabytes that a slow reader drains long before the
        transport's own is touched."""
        unsent = self.transport.get_write_buffer_size()
        sock = self.transport.get_extra_info("socket")
        if _OUTQ is not None and sock is not None:
            try:
                queued = fcntl.ioctl(sock.fileno(), _OUTQ, b"\0\0\0\0")
                unsent += struct.unpack("i", queued)[0]
            except OSError:  # not Linux's SIOCOUTQ: the transport's buffer alone
                pass
        return unsent

    def _stalled(self) -> None:
        self._stall_timer = None
        if self.transport.is_closing():
            return
        if self._unacknowledged() < self._unsent:
            self._arm_stall_timer()  # a slow reader, but a reader
            return
        logger.warning(
            "%s took nothing of its answer for %g s: connection aborted",
            f"{self.client[0]}:{self.client[1]}" if self.client else "a client",
            self.write_stall_timeout_s,
        )
        # abort, not close: close would wait to flush a buffer nobody reads
        self.transport.abort()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._arm_head_timer()

    def on_headers_complete(self) -> None:
        self._cancel_head_timer()
        super().on_headers_complete()

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self._send_error(
                b"408 Request Timeout",
                "request_timeout",
                f"the request head did not arrive within {self.head_timeout_s:g} s",
            )

    def _should_upgrade_to_ws(self) -> bool:
        return False

    def _unsupported_upgrade_warning(self) -> None:
        pass  # every Upgrade request would log two warnings otherwise

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + _PER_HEADER)
        if name.lower() == b"transfer-encoding" and value.strip(b" \t").lower() != b"chunked":
            self._refusal = (
                b"501 Not Implemented",
                "unsupported_transfer_coding",
                "only the `chunked` transfer coding is supported",
            )
            raise RequestRefused("transfer coding")
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            self._refusal = (
                b"431 Request Header Fields Too Large",
                "request_head_too_large",
                f"the request line and headers exceed {MAX_HEAD_BYTES:,} bytes",
            )
            raise RequestRefused(f"request head over {MAX_HEAD_BYTES} bytes")

    def send_400_response(self, msg: str) -> None:
        if self._refusal is not None:
            self._send_error(*self._refusal)
        else:
            self._send_error(
                b"400 Bad Request", "malformed_request", "the request is not valid HTTP/1.1"
            )

    def _send_error(self, status: bytes, code: str, message: str) -> None:
        """Answer in the error shape and close: the request's end cannot be found."""
        self._cancel_head_timer()
        body = json.dumps({"error": {"code": code, "message": message, "details": None}}).encode()
        head = [b"HTTP/1.1 " + status + b"\r\n"]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: application/json\r\n")
        head.append(b"content-length: " + str(len(body)).encode() + b"\r\n")
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        self.transport.close()

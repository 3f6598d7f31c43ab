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
between requests is uvicorn's keep-alive timeout. A transfer coding other than
``chunked`` is ``501`` (RFC 9112 §6.1): llhttp would read ``gzip, chunked`` as plain
chunked. Forma has no WebSocket routes, so an ``Upgrade`` header is ignored and the
request served as plain HTTP.

Run with ``uvicorn --http api.http_protocol:FormaHttpProtocol``.
"""

from __future__ import annotations

import asyncio
import json

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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

    _head_bytes = 0
    _refusal: tuple[bytes, str, str] | None = None
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

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

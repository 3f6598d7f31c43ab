"""The HTTP/1.1 protocol ``forma up`` serves with: uvicorn's httptools one, bounded.

uvicorn's httptools protocol keeps every header it is sent (llhttp sets no limit): a
client could send a 50 MB request head and the API process would hold all of it. Here
the request line and headers together are capped at :data:`MAX_HEAD_BYTES` (the size
nginx's default header buffers allow, four times over), answered ``431 Request Header
Fields Too Large`` before more is read; and a request the parser cannot read at all
gets ``400`` in Forma's one error shape instead of uvicorn's plain text. Either way the
connection is closed, as the request's end cannot be found.

Run with ``uvicorn --http api.http_protocol:FormaHttpProtocol``.
"""

from __future__ import annotations

import json

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

#: request line + header names and values, bytes; one request head may not exceed it
MAX_HEAD_BYTES = 64 * 1024
#: each header line's ": " and CRLF, counted so a head of many short headers adds up
_PER_HEADER = 4


class RequestHeadTooLarge(httptools.HttpParserError):
    """Raised from a parser callback once a request head passes :data:`MAX_HEAD_BYTES`."""


class FormaHttpProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` with a capped request head and JSON parse errors."""

    _head_bytes = 0
    _head_too_large = False

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + _PER_HEADER)
        super().on_header(name, value)

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            self._head_too_large = True
            raise RequestHeadTooLarge(f"request head over {MAX_HEAD_BYTES} bytes")

    def send_400_response(self, msg: str) -> None:
        if self._head_too_large:
            status, code = b"431 Request Header Fields Too Large", "request_head_too_large"
            message = f"the request line and headers exceed {MAX_HEAD_BYTES:,} bytes"
        else:
            status, code = b"400 Bad Request", "malformed_request"
            message = "the request is not valid HTTP/1.1"
        body = json.dumps({"error": {"code": code, "message": message, "details": None}}).encode()
        head = [b"HTTP/1.1 " + status + b"\r\n"]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: application/json\r\n")
        head.append(b"content-length: " + str(len(body)).encode() + b"\r\n")
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        self.transport.close()

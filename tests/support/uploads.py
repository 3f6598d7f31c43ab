"""Upload helpers: lazily generated multipart bodies, a byte-counting ASGI wrapper, a raw client.

Bodies are generated piece by piece so that a 1 GiB upload costs no memory; the
raw socket client shows what a server does on the wire (``100 Continue`` lines,
when it answers, whether it closes) where an HTTP library would hide it.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

GIB = 1024**3
BOUNDARY = "forma-upload-boundary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


class CountingApp:
    """Wraps an ASGI app and counts the request body bytes the app receives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.body_bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.body_bytes += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


def _envelope(filename: str, fields: dict[str, str]) -> tuple[bytes, bytes]:
    head = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


@dataclass
class LazyUpload:
    """A multipart body of ``file_size`` bytes of ``prefix`` + filler, made as it is read."""

    file_size: int
    prefix: bytes = b""
    filler: bytes = b"0"
    filename: str = "export.csv"
    fields: dict[str, str] | None = None
    piece: int = 64 * 1024

    @property
    def length(self) -> int:
        head, tail = _envelope(self.filename, self.fields or {})
        return len(head) + self.file_size + len(tail)

    def pieces(self) -> Iterator[bytes]:
        head, tail = _envelope(self.filename, self.fields or {})
        yield head
        yield self.prefix
        left = self.file_size - len(self.prefix)
        block = (self.filler * (self.piece // len(self.filler) + 1))[: self.piece]
        while left > 0:
            yield block[: min(left, self.piece)]
            left -= self.piece
        yield tail

    async def apieces(self) -> AsyncIterator[bytes]:
        for piece in self.pieces():
            yield piece


def multipart(content: bytes, *, filename: str = "export.csv", **fields: str) -> bytes:
    """A whole multipart body carrying ``content`` as ``file`` (for small files)."""
    head, tail = _envelope(filename, fields)
    return head + content + tail


@dataclass
class WireExchange:
    """What a raw client saw: bytes the server took, its answer, and whether it closed."""

    sent: int
    response: bytes
    closed: bool

    @property
    def status(self) -> int:
        return int(self.response.split(b" ", 2)[1])


def exchange(
    port: int,
    head: bytes,
    body: Iterator[bytes],
    *,
    wait_first: float = 0.0,
    timeout: float = 20.0,
) -> WireExchange:
    """Send ``head`` then ``body`` until the server answers, errors or the body ends.

    ``sent`` counts the bytes the server's socket accepted (its kernel buffers
    included). After the answer the client keeps reading until the server closes
    or ``timeout`` passes. ``wait_first`` seconds are spent reading before any body
    is sent, as an ``Expect: 100-continue`` client does.
    """
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setblocking(False)
    response = bytearray()
    closed = False
    sent = 0
    deadline = time.monotonic() + timeout
    try:
        sock.setblocking(True)
        sock.sendall(head)  # small: one blocking send
        sock.setblocking(False)
        if wait_first:
            readable, _, _ = select.select([sock], [], [], wait_first)
            if readable:
                data = sock.recv(65536)
                closed = not data
                response += data
        pending = b""
        while not closed and b"\r\n\r\n" not in _final(response) and time.monotonic() < deadline:
            if not pending:
                pending = next(body, b"")
                if not pending:
                    break
            readable, writable, _ = select.select([sock], [sock], [], 1.0)
            if readable:
                data = sock.recv(65536)
                closed = not data
                response += data
                continue
            if writable:
                try:
                    n = sock.send(pending)
                except (BrokenPipeError, ConnectionResetError):
                    break
                sent += n
                pending = pending[n:]
        while not closed and time.monotonic() < deadline:
            if _complete(response):
                # A server that keeps the connection would not close within this grace.
                deadline = min(deadline, time.monotonic() + 2.0)
            readable, _, _ = select.select([sock], [], [], 0.2)
            if not readable:
                continue
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                closed = True
                break
            closed = not data
            response += data
    finally:
        sock.close()
    return WireExchange(sent=sent, response=bytes(response), closed=closed)


def _final(response: bytearray) -> bytes:
    """The response after any ``100 Continue`` interim answers."""
    data = bytes(response)
    while data.startswith(b"HTTP/1.1 100"):
        end = data.find(b"\r\n\r\n")
        if end < 0:
            return b""
        data = data[end + 4 :]
    return data


def _complete(response: bytearray) -> bool:
    data = _final(response)
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    for line in data[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(data) - end - 4 >= int(value)
    return False


def request_head(
    *,
    token: str | None,
    length: int | None,
    expect_continue: bool = False,
    content_type: str = CONTENT_TYPE,
) -> bytes:
    """The request line and headers of ``POST /v1/imports``."""
    lines = ["POST /v1/imports HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    else:
        lines.append("Transfer-Encoding: chunked")
    if expect_continue:
        lines.append("Expect: 100-continue")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """HTTP/1.1 chunked framing of ``pieces``."""
    for piece in pieces:
        if piece:
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"

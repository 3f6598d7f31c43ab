"""The request head cap and the JSON parse errors of :mod:`api.http_protocol`, on the wire."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from api.http_protocol import MAX_HEAD_BYTES, FormaHttpProtocol
from tests.support.uploads import exchange
from tests.support.uvicorn_server import Server

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    from api.config import Settings
    from api.main import create_app

    with Server(create_app(Settings()), FormaHttpProtocol) as running:
        yield running


def _padding(total: int, line: int = 8 * 1024) -> Iterator[bytes]:
    """About ``total`` bytes (never more) of ``X-Pad-N: aaa…`` header lines, then the end."""
    sent, n = 0, 0
    while True:
        name = f"X-Pad-{n}: ".encode()
        room = total - sent - len(name) - 2
        if room < 1:
            break
        piece = name + b"a" * min(line, room) + b"\r\n"
        sent += len(piece)
        n += 1
        yield piece
    yield b"\r\n"


def _answer(seen: Any) -> tuple[int, dict[str, Any]]:
    head, _, body = seen.response.partition(b"\r\n\r\n")
    return seen.status, json.loads(body)


def test_a_48_mib_head_is_refused_with_431_and_closed_early(server: Server) -> None:
    seen = exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", _padding(48 * MIB))
    status, body = _answer(seen)
    assert status == 431 and seen.closed
    assert body["error"]["code"] == "request_head_too_large"
    # the server stopped reading at the cap: the rest sits in kernel buffers at most
    assert seen.sent < 16 * MIB, seen.sent


def test_a_head_just_under_the_cap_is_served(server: Server) -> None:
    pad = MAX_HEAD_BYTES - 512  # the request line and Host fit in what is left
    seen = exchange(
        server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n", _padding(pad)
    )
    assert seen.status == 200, seen.response[:200]


def test_many_small_headers_count_toward_the_cap(server: Server) -> None:
    seen = exchange(
        server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", _padding(2 * MAX_HEAD_BYTES, line=1)
    )
    assert seen.status == 431


@pytest.mark.parametrize(
    "head",
    [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad\x01Name: 1\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: \x00\r\n\r\n",
        b"NOT-HTTP\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    ],
)
def test_unparsable_requests_get_400_in_the_error_shape(server: Server, head: bytes) -> None:
    seen = exchange(server.port, head, iter(()))
    status, body = _answer(seen)
    assert status == 400 and seen.closed
    assert body == {
        "error": {
            "code": "malformed_request",
            "message": "the request is not valid HTTP/1.1",
            "details": None,
        }
    }

"""The request head cap and the JSON parse errors of :mod:`api.http_protocol`, on the wire."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
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


class QuickHead(FormaHttpProtocol):
    head_timeout_s = 0.5


@pytest.fixture(scope="module")
def quick_server() -> Iterator[Server]:
    from api.config import Settings
    from api.main import create_app

    with Server(create_app(Settings()), QuickHead) as running:
        yield running


@pytest.mark.parametrize(
    "head", [b"", b"GET /healthz HTTP/1.1\r\nHost"], ids=["nothing", "half-a-head"]
)
def test_a_head_not_finished_in_time_gets_408_and_is_closed(
    quick_server: Server, head: bytes
) -> None:
    seen = exchange(quick_server.port, head, iter(()), timeout=5.0)
    status, body = _answer(seen)
    assert status == 408 and seen.closed
    assert body["error"]["code"] == "request_timeout"


def test_the_head_timer_does_not_cut_an_idle_kept_alive_connection(quick_server: Server) -> None:
    with socket.create_connection(("127.0.0.1", quick_server.port), timeout=5) as sock:
        for _ in range(2):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while not answer.endswith(b"}"):  # the head and the JSON body may come apart
                answer += sock.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]
            time.sleep(1.0)  # twice the head timeout, within uvicorn's keep-alive


def test_a_transfer_coding_other_than_chunked_is_501(server: Server) -> None:
    head = (
        b"POST /v1/workouts HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: gzip, chunked\r\nContent-Type: application/json\r\n\r\n"
    )
    status, body = _answer(exchange(server.port, head, iter([b"0\r\n\r\n"])))
    assert status == 501
    assert body["error"]["code"] == "unsupported_transfer_coding"


def test_an_upgrade_request_is_served_as_plain_http(server: Server) -> None:
    head = (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    status, body = _answer(exchange(server.port, head, iter(())))
    assert (status, body) == (200, {"status": "ok", "database": None, "broker": None})


def test_head_on_health_and_no_slash_redirect(server: Server) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}") as http:
        head = http.head("/healthz")
        assert head.status_code == 200 and head.content == b""
        slash = http.get("/v1/workouts/", headers={"Host": "evil.example"})
        assert slash.status_code == 404 and "location" not in slash.headers
        assert slash.json()["error"]["code"] == "not_found"

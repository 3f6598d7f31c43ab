"""A request whose client has gone is not worked on: over a real uvicorn socket.

The app has one connection in its pool and the test holds it (from the server's own
event loop), so every request waits in the pool's queue. Two phones send a complete
``PUT /v1/workouts/{id}``: one hangs up while it waits, the other stays. Once the
connection is released the one that stayed gets its 201, and the one that left is not
written at all — no workout, no sets, no analytics marker — though its whole body had
arrived: a phone that gave up is never told its write was stored, so it must not be.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from api.http_protocol import FormaHttpProtocol
from tests.support import accounts
from tests.support.committed import truncate_committed
from tests.support.uvicorn_server import Server
from tests.support.workouts import a_workout

WAIT_S = 10.0


class Observed:
    """ASGI wrapper: keeps the server's event loop and sees each request's body and status."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop: asyncio.AbstractEventLoop | None = None
        self.body_in: dict[str, threading.Event] = {}
        self.status: dict[str, int] = {}
        self.done: dict[str, threading.Event] = {}

    def watch(self, path: str) -> None:
        self.body_in[path] = threading.Event()
        self.done[path] = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            self.loop = asyncio.get_running_loop()
        path = scope.get("path", "")

        async def seen_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                if path in self.body_in:
                    self.body_in[path].set()
            return message

        async def seen_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.status[path] = message["status"]
            await send(message)

        try:
            await self.app(scope, seen_receive, seen_send)
        finally:
            if path in self.done:
                self.done[path].set()


class HeldPool:
    """Holds the app's only connection from the server's loop until the block ends."""

    def __init__(self, loop: asyncio.AbstractEventLoop, engine: Any) -> None:
        self.loop = loop
        self.engine = engine
        self.held = threading.Event()
        self.release = asyncio.Event()

    async def _hold(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            self.held.set()
            await self.release.wait()

    def __enter__(self) -> HeldPool:
        self.future = asyncio.run_coroutine_threadsafe(self._hold(), self.loop)
        assert self.held.wait(WAIT_S), "could not take the pool's connection"
        return self

    def __exit__(self, *_: object) -> None:
        self.loop.call_soon_threadsafe(self.release.set)
        self.future.result(WAIT_S)


@pytest.fixture(scope="module", params=[FormaHttpProtocol, "h11"], ids=["httptools", "h11"])
def server(request: pytest.FixtureRequest, sync_engine: Any) -> Iterator[tuple[Server, Any]]:
    from api.config import Settings
    from api.main import create_app

    settings = Settings().model_copy(
        update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_s": 60.0}
    )
    app = create_app(settings)
    with Server(Observed(app), request.param) as running:
        yield running, app
    truncate_committed(sync_engine)


def _token(port: int) -> str:
    return accounts.live_access_token(port, "gone")


def _put(port: int, path: str, token: str) -> socket.socket:
    body = json.dumps(a_workout()).encode()
    head = (
        f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
    sock.sendall(head + body)
    return sock


def _status_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "the server closed without answering"
        data += chunk
    return data.split(b"\r\n", 1)[0]


def _count(sync_engine: Any, sql: str, **params: Any) -> int:
    with sync_engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def test_a_put_whose_client_left_while_waiting_for_the_pool_is_not_written(server, sync_engine):
    running, app = server
    observed: Observed = running.app
    token = _token(running.port)
    gone_id, stayed_id = str(uuid.uuid4()), str(uuid.uuid4())
    gone_path, stayed_path = f"/v1/workouts/{gone_id}", f"/v1/workouts/{stayed_id}"
    observed.watch(gone_path)
    observed.watch(stayed_path)
    assert observed.loop is not None
    with HeldPool(observed.loop, app.state.engine):
        gone = _put(running.port, gone_path, token)
        assert observed.body_in[gone_path].wait(WAIT_S), "the body never reached the app"
        stayed = _put(running.port, stayed_path, token)
        assert observed.body_in[stayed_path].wait(WAIT_S)
        time.sleep(0.3)  # both are waiting for the connection now
        assert not observed.done[gone_path].is_set()
        gone.close()  # the phone gives up
        time.sleep(0.5)  # the server sees the connection close
    # Released: the waiting requests get the connection in turn.
    try:
        assert _status_line(stayed) == b"HTTP/1.1 201 Created"
    finally:
        stayed.close()
    assert observed.done[gone_path].wait(WAIT_S), "the abandoned request never finished"
    assert observed.status[gone_path] == 499  # sent to nobody; the access log's record

    workouts = "SELECT count(*) FROM workouts WHERE id = :id"
    sets = "SELECT count(*) FROM workout_sets WHERE workout_id = :id"
    assert _count(sync_engine, workouts, id=gone_id) == 0
    assert _count(sync_engine, sets, id=gone_id) == 0
    assert _count(sync_engine, workouts, id=stayed_id) == 1
    assert _count(sync_engine, sets, id=stayed_id) == 2

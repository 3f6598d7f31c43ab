"""WatchDisconnect: sees a gone client without losing a byte of the body or answering
``Expect: 100-continue`` early."""

from __future__ import annotations

import asyncio
from typing import Any

from api.disconnect import CLIENT_GONE, WatchDisconnect


class FakeServer:
    """An ASGI server's ``receive``: queued messages, else a wait until one is queued."""

    def __init__(self, *messages: dict[str, Any]) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for message in messages:
            self.queue.put_nowait(message)
        self.calls = 0

    async def receive(self) -> dict[str, Any]:
        self.calls += 1
        return await self.queue.get()


def body(data: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.request", "body": data, "more_body": more}


DISCONNECT = {"type": "http.disconnect"}


async def _run(scope_headers: list[tuple[bytes, bytes]], server: FakeServer, app: Any) -> None:
    scope = {"type": "http", "method": "PUT", "path": "/", "headers": scope_headers}

    async def send(_: Any) -> None:
        pass

    await WatchDisconnect(app)(scope, server.receive, send)


async def test_body_not_yet_read_by_the_app_is_never_read_ahead():
    server = FakeServer(body(b"abc", more=True), body(b"def"))
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(await scope[CLIENT_GONE]())
        seen.append(server.calls)  # the check read nothing
        seen.append(await receive())
        seen.append(await receive())

    await _run([(b"content-length", b"6")], server, app)
    assert seen == [False, 0, body(b"abc", more=True), body(b"def")]


async def test_after_the_whole_body_a_disconnect_is_seen_and_still_handed_to_the_app():
    server = FakeServer(body(b"{}"))
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(await receive())
        seen.append(await scope[CLIENT_GONE]())  # connected: nothing there yet
        server.queue.put_nowait(DISCONNECT)
        seen.append(await scope[CLIENT_GONE]())
        seen.append(await receive())

    await _run([(b"content-length", b"2")], server, app)
    assert seen == [body(b"{}"), False, True, DISCONNECT]


async def test_a_bodyless_request_keeps_its_empty_body_message():
    server = FakeServer(body(b""))
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(await scope[CLIENT_GONE]())
        server.queue.put_nowait(DISCONNECT)
        seen.append(await scope[CLIENT_GONE]())
        seen.append(await receive())  # what the check read is handed over in order
        seen.append(await receive())

    await _run([], server, app)
    assert seen == [False, True, body(b""), DISCONNECT]


async def test_expect_100_continue_is_never_answered_by_the_check():
    server = FakeServer()
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(await scope[CLIENT_GONE]())

    await _run([(b"expect", b"100-continue")], server, app)
    assert seen == [False] and server.calls == 0

"""Close the connection after answering a request whose body was not read to the end.

A refused upload (401, 413, 415) is answered before its body is read. Left open, the
connection would have the server keep receiving the rest of the body just to find
where the next request starts; ``Connection: close`` makes the server (uvicorn, h11
and httptools alike) close it once the answer is sent instead.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"transfer-encoding":
            return True
        if name == b"content-length" and value.strip() not in (b"", b"0"):
            return True
    return False


class CloseUnreadBody:
    """Pure ASGI middleware: add ``Connection: close`` to answers sent before the body ended."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope.get("headers") or []):
            await self.app(scope, receive, send)
            return
        body_ended = False

        async def tracked_receive() -> Message:
            nonlocal body_ended
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                body_ended = True
            return message

        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not body_ended:
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"connection"
                ]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, tracked_receive, guarded_send)

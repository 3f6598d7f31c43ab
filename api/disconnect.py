"""Telling, before the database work starts, whether a request's client has gone.

Under load a request can wait seconds for a database connection. A phone that gave up
meanwhile will never read the answer, so its transaction must not run at all: it would
take a connection from the requests still wanted and store a write nobody was told
about (a retry then finds it, or worse, the user re-enters it).

The only way an ASGI app learns of a disconnect is a ``http.disconnect`` message from
``receive()``, which also delivers the body. Starlette's ``request.is_disconnected()``
reads the next message and drops it when it is body, and it makes uvicorn send
``100 Continue`` to a client whose upload has not been accepted yet. :class:`WatchDisconnect`
asks only when no body can be lost: once the app has received the whole body (FastAPI
reads a JSON body before it solves dependencies), or when the request has none; any
message it reads is held and handed to the app on its next ``receive()``, in order. A
streamed upload still being read cannot be checked, and is not.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.unread_body import _has_body

#: scope key of the request's ``async () -> bool``: True once its client is known gone
CLIENT_GONE = "forma.client_gone"

ClientGoneCheck = Callable[[], Awaitable[bool]]


class _Watch:
    """One request's ``receive``, with a look-ahead that never loses a message."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        headers = scope.get("headers") or []
        self._receive = receive
        self._held: deque[Message] = deque()
        self._bodyless = not _has_body(headers)
        # uvicorn answers `Expect: 100-continue` on the first receive(): never ask first.
        self._expects_continue = any(
            name == b"expect" and value.lower() == b"100-continue" for name, value in headers
        )
        self.body_ended = False
        self.gone = False

    def _note(self, message: Message) -> None:
        if message["type"] == "http.disconnect":
            self.gone = self.body_ended = True
        elif not message.get("more_body", False):
            self.body_ended = True

    async def receive(self) -> Message:
        message = self._held.popleft() if self._held else await self._receive()
        self._note(message)
        return message

    async def _poll(self) -> Message | None:
        """The next message if one is there now, held for the app; None if none is."""
        message: Message | None = None
        with anyio.CancelScope() as scope:
            scope.cancel()  # cancelled at the first wait: only a ready message comes back
            message = await self._receive()
        if message is not None:
            self._held.append(message)
            if message["type"] == "http.disconnect":
                self.gone = True
        return message

    def _ended(self) -> bool:
        """The app has received, or we hold, the body's last message (or a disconnect)."""
        return self.body_ended or any(not m.get("more_body", False) for m in self._held)

    async def client_gone(self) -> bool:
        """True when the client is known to have disconnected (never reads body early)."""
        if self.gone:
            return True
        if not self._ended():
            if not self._bodyless or self._expects_continue or self._held:
                return False  # body the app has not asked for yet lies ahead
            await self._poll()  # a request without a body: its one empty message
            if not self._ended():
                return self.gone
        # Past the body only a disconnect can come; it is there now or not at all.
        await self._poll()
        return self.gone


class WatchDisconnect:
    """Pure ASGI middleware: puts :data:`CLIENT_GONE` in the scope of every HTTP request.

    Outermost, so that it sees the server's own ``receive``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watch = _Watch(scope, receive)
        scope[CLIENT_GONE] = watch.client_gone
        await self.app(scope, watch.receive, send)

"""A size cap on JSON request bodies (413), enforced before any route reads them.

The caps follow the documented field limits. With every field at its longest legal
value (printable ASCII text, compact JSON) a workout of 200 sets is 484,461 bytes, under
the 1 MiB cap, and a batch of 100 of them 48,473,111 bytes, under the batch route's
47 MiB (49,283,072-byte) cap; ``tests/integration/api/test_body_caps.py`` builds both.
Uploads (multipart) have their own cap in the imports feature.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_BYTES = 1024 * 1024
MAX_BATCH_BYTES = 47 * 1024 * 1024
ROUTE_LIMITS = {("POST", "/v1/workouts/batch"): MAX_BATCH_BYTES}


class BodyLimit:
    """Pure ASGI middleware: buffer at most ``limit`` bytes of a non-multipart body."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_JSON_BYTES,
        route_limits: Mapping[tuple[str, str], int] = ROUTE_LIMITS,
    ) -> None:
        self.app = app
        self.limit = limit
        self.route_limits = dict(route_limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if headers.get(b"content-type", b"").startswith(b"multipart/"):
            await self.app(scope, receive, send)
            return
        limit = self.route_limits.get((scope["method"], scope["path"]), self.limit)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(send, limit)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send, limit: int) -> None:
        payload = json.dumps(
            {
                "error": {
                    "code": "payload_too_large",
                    "message": f"the request body is larger than {limit:,} bytes",
                    "details": None,
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

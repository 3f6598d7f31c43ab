"""At most one queued message per coalescing task: a short-lived Redis token.

A coalescing task (``analytics.refresh``) does the work owed when it runs, so a second
message queued behind the first adds nothing. The publisher sets the token (``SET NX``
with a TTL) and sends only when it was not already set. The task keeps the token while it
runs and deletes it at the end, then looks again at what is owed and asks once more if
anything is: a request that found the token set is covered either by the waiting message
or by that last look. The TTL bounds how long a lost message can hold the token.

Correctness never depends on this: what is owed lives in PostgreSQL and the beat sweep
re-sends it. If Redis cannot be reached, nothing is sent (a send would fail the same way).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis

from api.config import Settings, redis_py_url

logger = logging.getLogger("forma.pending")

#: Tasks whose queued messages coalesce (one waiting message serves every request).
COALESCING_TASKS = frozenset({"analytics.refresh"})


def redis_client(settings: Settings) -> redis.Redis:
    """A client of Forma's Redis that fails fast (the broker's publish timeout)."""
    url = settings.redis_url or ""
    timeout = settings.broker_publish_timeout_s
    return redis.Redis.from_url(
        redis_py_url(url),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )


class PendingTokens:
    """The tokens of the coalescing tasks, under Forma's key prefix."""

    def __init__(self, settings: Settings, client: redis.Redis | None = None) -> None:
        self._prefix = f"{settings.key_prefix}:pending:"
        self._ttl_ms = max(1, round(settings.refresh_pending_ttl_s * 1000))
        self._client = client if client is not None else redis_client(settings)

    def key(self, name: str) -> str:
        """The Redis key of ``name``'s token."""
        return self._prefix + name

    def send_once(self, name: str, send: Callable[[], bool]) -> bool:
        """Call ``send`` unless a message of ``name`` is already waiting.

        Returns True when a message is waiting or was sent; False when Redis or the broker
        could not be reached (the token is dropped again so the next request retries).
        """
        try:
            if not self._client.set(self.key(name), b"1", nx=True, px=self._ttl_ms):
                return True
        except redis.RedisError as exc:
            logger.warning("could not request %s: %s", name, exc)
            return False
        if send():
            return True
        self.release(name)
        return False

    def hold(self, name: str, seconds: float) -> bool:
        """Keep ``name``'s token ``seconds`` longer than its TTL: a task that put its own
        message back in the queue for later still stands for every request until then.
        False when Redis could not be reached."""
        try:
            self._client.set(self.key(name), b"1", px=self._ttl_ms + max(0, round(seconds * 1000)))
        except redis.RedisError as exc:
            logger.warning("could not hold %s: %s", name, exc)
            return False
        return True

    def release(self, name: str) -> None:
        """Drop ``name``'s token: the task is done; later requests queue a new message."""
        try:
            self._client.delete(self.key(name))
        except redis.RedisError as exc:  # the token then expires on its own
            logger.warning("could not release %s: %s", name, exc)

    def close(self) -> None:
        self._client.close()

"""The API's Celery producer: ``send_task`` by name, after commit, never blocking a write.

The guarantee that work is owed lives in PostgreSQL (an import job row, an
``analytics_dirty`` marker) and a beat sweep re-sends it, so a broker outage only
delays work: publishing has no retry and a short timeout (DESIGN §2.3).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from celery import Celery

from api.config import Settings
from api.pending import COALESCING_TASKS, PendingTokens

logger = logging.getLogger("forma.producer")


def celery_transport_options(settings: Settings) -> dict[str, Any]:
    """Redis transport options shared by the producer and the workers."""
    timeout = settings.broker_publish_timeout_s
    return {
        "global_keyprefix": f"{settings.key_prefix}:",
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "max_retries": 0,
    }


class TaskProducer:
    """Publishes task messages by dotted name to Forma's queue."""

    #: a coalescing task is handed to a thread at most once per this many seconds (per
    #: API process): under load a send per write cost a thread hop and a Redis round trip
    #: each, and one waiting message serves them all
    COALESCE_WINDOW_S = 0.1

    def __init__(self, settings: Settings) -> None:
        self._due: set[str] = set()
        self._last_fired: dict[str, float] = {}
        self._queue = settings.celery_queue
        self._pending = PendingTokens(settings)
        self._celery = Celery("forma-api", broker=settings.redis_url, set_as_current=False)
        self._celery.conf.update(
            broker_transport_options=celery_transport_options(settings),
            broker_connection_timeout=settings.broker_publish_timeout_s,
            broker_connection_retry=False,
            broker_connection_retry_on_startup=False,
        )

    def send(self, name: str, *args: Any) -> bool:
        """Publish ``name(*args)``; False (logged) when the broker cannot take it now.

        A coalescing task (:data:`api.pending.COALESCING_TASKS`) is sent only when no
        message of it is already waiting.
        """
        try:
            if name in COALESCING_TASKS:
                return self._pending.send_once(name, lambda: self._send(name, *args))
            return self._send(name, *args)
        except Exception as exc:  # e.g. the client closed at shutdown under a send in flight:
            # this runs on an executor thread whose future nobody reads; never raise there
            logger.warning("could not publish %s: %s", name, exc)
            return False

    def send_soon(self, name: str, *args: Any) -> None:
        """Publish ``name(*args)`` on an executor thread without waiting (after a commit).

        A coalescing task already due to be handed over is not handed over again: the send
        that is due happens after this call's commit, so it covers it (the trailing edge of
        a ``COALESCE_WINDOW_S`` throttle). Other tasks are sent every time.
        """
        loop = asyncio.get_running_loop()
        if name not in COALESCING_TASKS:
            loop.run_in_executor(None, self.send, name, *args)
            return
        if name in self._due:
            return
        self._due.add(name)
        last = self._last_fired.get(name)
        delay = 0.0 if last is None else max(0.0, last + self.COALESCE_WINDOW_S - loop.time())
        loop.call_later(delay, self._fire, loop, name, args)

    def _fire(self, loop: asyncio.AbstractEventLoop, name: str, args: tuple[Any, ...]) -> None:
        self._due.discard(name)
        self._last_fired[name] = loop.time()
        loop.run_in_executor(None, self.send, name, *args)

    def _send(self, name: str, *args: Any) -> bool:
        try:
            self._celery.send_task(name, args=list(args), queue=self._queue, retry=False)
        except Exception as exc:  # the broker is optional for correctness; never fail the write
            logger.warning("could not publish %s: %s", name, exc)
            return False
        return True

    def ping(self) -> bool:
        """True when the broker answers."""
        try:
            with self._celery.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=self._timeout())
            return True
        except Exception:
            return False

    def _timeout(self) -> float:
        return float(self._celery.conf.broker_connection_timeout or 1.0)

    def close(self) -> None:
        self._celery.close()
        self._pending.close()

"""The analytics freshness lag during a load: from a write's 2xx to its athlete's
``GET /v1/analytics/summary`` answering ``stale: false``.

A few acknowledged writes are sampled (one athlete at a time each, at most
``slots`` at once); each sample polls the summary on a connection of its own, outside
the load's clients, until it is fresh or ``give_up_s`` has passed.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from bench.load.athletes import Athlete
from bench.load.workload import Connections, client, percentile, send


class Freshness:
    def __init__(
        self, base_url: str, *, slots: int = 8, poll_s: float = 0.5, give_up_s: float = 120.0
    ) -> None:
        self.base_url, self.slots, self.poll_s, self.give_up_s = base_url, slots, poll_s, give_up_s
        self.lags: list[float] = []
        self.gave_up = 0
        self.errors = 0
        self._active: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Freshness:
        self._http = client(
            self.base_url, timeout_s=30.0, connections=Connections(), limit=self.slots
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.drain()
        if self._http is not None:
            await self._http.close()

    def acked(self, athlete: Athlete, at: float) -> None:
        """Called at a write's 2xx (monotonic time ``at``); sampled when a slot is free."""
        if len(self._active) >= self.slots or athlete.user_id in self._active:
            return
        self._active.add(athlete.user_id)
        task = asyncio.create_task(self._sample(athlete, at))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sample(self, athlete: Athlete, acked_at: float) -> None:
        assert self._http is not None
        try:
            while time.monotonic() - acked_at < self.give_up_s:
                status, body = await send(
                    self._http, "GET", "/v1/analytics/summary", headers=athlete.auth, want_json=True
                )
                if status == 200 and body.get("stale") is False:
                    self.lags.append(time.monotonic() - acked_at)
                    return
                if status != 200:
                    self.errors += 1
                await asyncio.sleep(self.poll_s)
            self.gave_up += 1
        finally:
            self._active.discard(athlete.user_id)

    async def drain(self) -> None:
        """Let the samples in flight finish (each gives up by itself)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def line(self) -> str:
        lags = sorted(self.lags)
        if not lags and not self.gave_up:
            return "freshness lag: no sample"
        return (
            f"freshness lag (2xx → summary stale: false), {len(lags)} samples: "
            f"p50 {percentile(lags, 50):.1f} s, p95 {percentile(lags, 95):.1f} s, "
            f"max {lags[-1] if lags else float('nan'):.1f} s; "
            f"{self.gave_up} still stale after {self.give_up_s:.0f} s; "
            f"{self.errors} non-200 polls"
        )

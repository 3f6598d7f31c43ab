"""The analytics freshness lag during a load, two ways, from a write's 2xx:

* **included**: until the athlete's ``GET /v1/analytics/summary`` carries an ``as_of``
  at or after the 2xx (the refresh that made it started after the write committed, so
  its figures hold the write) — what an athlete who keeps training sees;
* **stale: false**: until the summary answers ``stale: false`` — nothing at all owed,
  which an athlete written to every few seconds (five phones share one here) reaches
  only in a pause between writes.

A few acknowledged writes are sampled (one athlete at a time each, at most
``slots`` at once); each sample polls the summary on a connection of its own, outside
the load's clients, until it is fresh or ``give_up_s`` has passed.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import aiohttp

from bench.load.athletes import Athlete
from bench.load.workload import Connections, client, percentile, send


class Freshness:
    def __init__(
        self, base_url: str, *, slots: int = 8, poll_s: float = 0.5, give_up_s: float = 120.0
    ) -> None:
        self.base_url, self.slots, self.poll_s, self.give_up_s = base_url, slots, poll_s, give_up_s
        self.lags: list[float] = []
        self.included: list[float] = []
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
        task = asyncio.create_task(self._sample(athlete, at, time.time() - (time.monotonic() - at)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sample(self, athlete: Athlete, acked_at: float, acked_wall: float) -> None:
        assert self._http is not None
        included = False
        try:
            while time.monotonic() - acked_at < self.give_up_s:
                status, body = await send(
                    self._http, "GET", "/v1/analytics/summary", headers=athlete.auth, want_json=True
                )
                as_of = body.get("as_of") if status == 200 else None
                if (
                    not included
                    and as_of
                    and datetime.fromisoformat(as_of).timestamp() >= acked_wall
                ):
                    included = True
                    self.included.append(time.monotonic() - acked_at)
                if status == 200 and body.get("stale") is False:
                    self.lags.append(time.monotonic() - acked_at)
                    if not included:  # fresh with nothing owed holds the write too
                        self.included.append(self.lags[-1])
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

    def p95s(self) -> dict[str, float]:
        """p95 seconds of both lags (absent when nothing was sampled)."""
        out = {}
        if self.included:
            out["fresh_included_p95"] = percentile(sorted(self.included), 95)
        if self.lags:
            out["fresh_stale_p95"] = percentile(sorted(self.lags), 95)
        elif self.included:
            out["fresh_stale_p95"] = float("nan")
        return out

    def line(self) -> str:
        lags, held = sorted(self.lags), sorted(self.included)
        if not lags and not held and not self.gave_up:
            return "freshness lag: no sample"
        return (
            f"freshness lag (2xx → summary as_of after it), {len(held)} samples: "
            f"p50 {percentile(held, 50):.1f} s, p95 {percentile(held, 95):.1f} s, "
            f"max {held[-1] if held else float('nan'):.1f} s; "
            f"(2xx → stale: false), {len(lags)} samples: "
            f"p50 {percentile(lags, 50):.1f} s, p95 {percentile(lags, 95):.1f} s, "
            f"max {lags[-1] if lags else float('nan'):.1f} s; "
            f"{self.gave_up} still stale after {self.give_up_s:.0f} s; "
            f"{self.errors} non-200 polls"
        )

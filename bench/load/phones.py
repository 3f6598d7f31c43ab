"""Open loop: phones on keep-alive connections, each on its own schedule, and reads at a
fixed rate. Latency runs from the *scheduled* send time, so a server that falls behind
is charged for the wait (no coordinated omission).

A phone writes one 15-set workout every ``interval`` seconds (its first at a random
moment within the first interval) and reads its summary half an interval later, all on
one connection of its own. A phone that is still behind its schedule when the window
closes sends nothing more: what it owed is counted ``unsent``, as late as the window's
end at least. A share of its writes go as ``POST /v1/workouts`` with an
``Idempotency-Key`` and are sent a second time with the same key, as a phone does when
an answer was lost; the retry must answer the same workout.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from bench.load.athletes import Athlete
from bench.load.freshness import Freshness
from bench.load.workload import (
    Connections,
    Ledger,
    Recorder,
    Sent,
    client,
    new_id,
    record_write,
    send,
    workout_body,
)

WRITE, POST, RETRY, SUMMARY = "PUT", "POST (Idempotency-Key)", "POST retry", "GET summary"
#: the outcome of a request a phone was still behind on when the window closed
UNSENT = "unsent"


async def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


class Phones:
    """``count`` phones writing every ``interval`` s for ``duration`` s."""

    def __init__(
        self,
        base_url: str,
        athletes: list[Athlete],
        *,
        count: int,
        interval: float,
        duration: float,
        ledger: Ledger,
        retry_share: float = 0.05,
        read_summary: bool = True,
        freshness: Freshness | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self.base_url, self.athletes = base_url, athletes
        self.by_id = {a.user_id: a for a in athletes}
        self.count, self.interval, self.duration = count, interval, duration
        self.ledger, self.retry_share, self.read_summary = ledger, retry_share, read_summary
        self.freshness, self.timeout_s = freshness, timeout_s
        self.recorder, self.connections = Recorder(), Connections()
        self.retry_mismatch = 0
        self.start = self.end = 0.0

    @property
    def offered(self) -> float:
        """Writes per second asked of the server."""
        return self.count / self.interval

    async def run(self) -> float:
        """Run every phone to the end; 2xx writes per second within the window."""
        self.start = time.monotonic() + 1.0  # the clients exist before the first send
        self.end = self.start + self.duration
        await asyncio.gather(*(self._phone(i) for i in range(self.count)))
        served = sum(self.recorder.served(r, self.end) for r in (WRITE, POST))
        return served / self.duration

    async def _phone(self, i: int) -> None:
        athlete = self.athletes[i % len(self.athletes)]
        rng = random.Random(i)
        first = self.start + rng.uniform(0, self.interval)
        http = client(self.base_url, timeout_s=self.timeout_s, connections=self.connections)
        async with http:
            k = 0
            while (at := first + k * self.interval) < self.end:
                k += 1
                if time.monotonic() >= self.end:
                    self._unsent(at)  # still behind when the window closed
                    continue
                await _sleep_until(at)
                title = f"{self.ledger.tag}-p{i}-{k - 1}"
                body = workout_body(title, rng)
                if rng.random() < self.retry_share:
                    await self._post_twice(http, athlete, title, body, at)
                else:
                    wid = new_id()
                    status, _ = await send(
                        http, "PUT", f"/v1/workouts/{wid}", headers=athlete.auth, body=body
                    )
                    self._acked(WRITE, at, status, Sent(title, athlete.user_id, wid, False))
                read_at = at + self.interval / 2
                if self.read_summary and read_at < self.end <= time.monotonic():
                    self.recorder.add(SUMMARY, self.end - read_at, UNSENT)
                elif self.read_summary and read_at < self.end:
                    await _sleep_until(read_at)
                    status, _ = await send(
                        http, "GET", "/v1/analytics/summary", headers=athlete.auth
                    )
                    self.recorder.add(SUMMARY, time.monotonic() - read_at, status)

    def _unsent(self, at: float) -> None:
        """A scheduled write (and its read) never sent: as late as the window's end at least."""
        self.recorder.add(WRITE, self.end - at, UNSENT)
        if self.read_summary and at + self.interval / 2 < self.end:
            self.recorder.add(SUMMARY, self.end - at - self.interval / 2, UNSENT)

    def _acked(self, route: str, at: float, status: int | str, sent: Sent) -> None:
        write = (route, time.monotonic() - at, status)
        athlete = self.by_id[sent.user_id]
        record_write(self.recorder, self.ledger, self.freshness, athlete, write, sent)

    async def _post_twice(
        self, http: Any, athlete: Athlete, title: str, body: dict[str, Any], at: float
    ) -> None:
        """POST without an id (the server picks it), then the same POST again, same key."""
        headers = {**athlete.auth, "Idempotency-Key": new_id()}
        status, data = await send(
            http, "POST", "/v1/workouts", headers=headers, body=body, want_json=True
        )
        first = str(data["id"]) if data else None
        self._acked(POST, at, status, Sent(title, athlete.user_id, first, False))
        again = time.monotonic()
        status, data = await send(
            http, "POST", "/v1/workouts", headers=headers, body=body, want_json=True
        )
        second = str(data["id"]) if data else None
        if first and second and first != second:
            self.retry_mismatch += 1
        self._acked(RETRY, again, status, Sent(title, athlete.user_id, first or second, False))


async def rate_reads(
    base_url: str,
    athletes: list[Athlete],
    *,
    route: str,
    rate: float,
    duration: float,
    pool: int,
    timeout_s: float = 30.0,
) -> tuple[Recorder, float]:
    """``GET route`` at ``rate``/s from a pool of ``pool`` keep-alive connections."""
    recorder, connections = Recorder(), Connections()
    name = f"GET {route} @ {rate:g}/s"
    tasks: set[asyncio.Task[None]] = set()
    async with client(base_url, timeout_s=timeout_s, connections=connections, limit=pool) as http:

        async def one(athlete: Athlete, at: float) -> None:
            status, _ = await send(http, "GET", route, headers=athlete.auth)
            recorder.add(name, time.monotonic() - at, status)

        start = time.monotonic() + 0.5
        for k in range(int(rate * duration)):
            at = start + k / rate
            await _sleep_until(at)
            task = asyncio.create_task(one(athletes[k % len(athletes)], at))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    return recorder, recorder.served(name, start + duration) / duration

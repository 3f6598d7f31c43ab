"""Closed loop: N clients, each on its own keep-alive connection, sending again as soon as
answered. Judges throughput (closed-loop latency is just clients ÷ throughput)."""

from __future__ import annotations

import asyncio
import random
import time

from bench.load import workload
from bench.load.athletes import Athlete
from bench.load.freshness import Freshness


async def writes(
    base_url: str,
    athletes: list[Athlete],
    *,
    clients: int,
    duration: float,
    ledger: workload.Ledger,
    freshness: Freshness | None = None,
    timeout_s: float = 60.0,
) -> tuple[workload.Recorder, float, workload.Connections]:
    """``PUT /v1/workouts/{uuid}`` of a new 15-set workout, back to back; writes/s of 2xx."""
    recorder, connections = workload.Recorder(), workload.Connections()

    async def one(i: int) -> None:
        athlete = athletes[i % len(athletes)]
        rng = random.Random(i)
        async with workload.client(base_url, timeout_s=timeout_s, connections=connections) as http:
            n = 0
            while time.monotonic() < deadline:
                wid, title = workload.new_id(), f"{ledger.tag}-{i}-{n}"
                n += 1
                t0 = time.perf_counter()
                status, _ = await workload.send(
                    http, "PUT", f"/v1/workouts/{wid}", headers=athlete.auth,
                    body=workload.workout_body(title, rng),
                )  # fmt: skip
                write = ("PUT", time.perf_counter() - t0, status)
                sent = workload.Sent(title, athlete.user_id, wid, False)
                workload.record_write(recorder, ledger, freshness, athlete, write, sent)

    began = time.monotonic()
    deadline = began + duration
    await asyncio.gather(*(one(i) for i in range(clients)))
    return recorder, recorder.served("PUT", deadline) / duration, connections


async def reads(
    base_url: str,
    athletes: list[Athlete],
    *,
    route: str,
    clients: int,
    duration: float,
    timeout_s: float = 60.0,
) -> tuple[workload.Recorder, float]:
    """``GET route`` as each client's athlete in turn, back to back; 200s per second."""
    recorder, connections = workload.Recorder(), workload.Connections()

    async def one(i: int) -> None:
        k = i
        async with workload.client(base_url, timeout_s=timeout_s, connections=connections) as http:
            while time.monotonic() < deadline:
                athlete = athletes[k % len(athletes)]
                k += clients
                t0 = time.perf_counter()
                status, _ = await workload.send(http, "GET", route, headers=athlete.auth)
                recorder.add(f"GET {route}", time.perf_counter() - t0, status)

    began = time.monotonic()
    deadline = began + duration
    await asyncio.gather(*(one(i) for i in range(clients)))
    return recorder, recorder.served(f"GET {route}", deadline) / duration

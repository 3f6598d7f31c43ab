"""The four parts of a run — floor, writes, phones, reads — each a list of scenarios.

Every scenario is measured by a :class:`Meter`, printed as it ends and kept for the
results section; write scenarios are followed by the database check and by a wait for
the analytics to drain, so the next scenario starts with an idle worker.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from bench.load import closed, floor, verify
from bench.load.athletes import Athlete
from bench.load.freshness import Freshness
from bench.load.meter import Meter
from bench.load.phones import Phones, rate_reads
from bench.load.report import Result
from bench.load.stack import Target, cpu_seconds
from bench.load.workload import Connections, Ledger, client, send

LIST = "/v1/workouts?limit=20"
SUMMARY = "/v1/analytics/summary"


@dataclass
class Scale:
    """How big a run is; the presets are in :data:`SCALES`."""

    athletes: int
    years: float
    duration: float  # seconds of each closed-loop scenario and floor
    write_clients: tuple[int, ...]
    read_clients: tuple[int, ...]
    phones: tuple[tuple[int, float], ...]  # (phones, seconds between one phone's writes)
    phone_duration: float
    read_rate: float
    retry_share: float = 0.05
    settle_s: float = 120.0  # longest wait for the analytics to drain after a write part


SCALES = {
    # the figures: 200 athletes, 50/200 connections, 1,000 and 10,000 phones
    "full": Scale(200, 1.0, 30.0, (50, 200), (50, 200), ((1000, 10.0), (10000, 100.0)),
                  120.0, 300.0),
    # a shared machine's budget: ≤ 20 clients, ≤ 30 s per scenario
    "small": Scale(20, 0.5, 15.0, (10, 20), (10, 20), ((20, 2.0),), 20.0, 20.0),
    # seconds and a few dozen clients: correctness, not figures (the smoke tests' size)
    "smoke": Scale(6, 0.25, 4.0, (12,), (12,), ((30, 2.0),), 6.0, 20.0, retry_share=0.2,
                   settle_s=30.0),
}  # fmt: skip


@dataclass
class Run:
    target: Target
    athletes: list[Athlete]
    scale: Scale
    results: list[Result] = field(default_factory=list)
    floors: dict[str, float] = field(default_factory=dict)  # "A@50" → workouts/s
    checks: list[verify.Check] = field(default_factory=list)
    tag: str = field(default_factory=lambda: "load-" + uuid.uuid4().hex[:6])

    def keep(self, result: Result) -> Result:
        errors = self.target.new_exceptions()
        if errors:
            result.notes.append(
                "server log: " + "; ".join(f"{n} × {e}" for e, n in errors.most_common(4))
            )
        result.print()
        self.results.append(result)
        return result

    async def probe(self) -> float:
        """Seconds one athlete's ``GET /v1/workouts?limit=1`` takes (a failure: inf)."""
        async with client(self.target.base_url, timeout_s=10.0, connections=Connections()) as http:
            t0 = time.monotonic()
            status, _ = await send(
                http, "GET", "/v1/workouts?limit=1", headers=self.athletes[0].auth
            )
            return time.monotonic() - t0 if status == 200 else float("inf")

    def ledger(self, name: str) -> Ledger:
        return Ledger(f"{self.tag}-{name}")

    async def after_writes(
        self, result: Result, ledger: Ledger, *, ended: float, fresh: Freshness
    ) -> None:
        """The API idle and all analytics fresh again (timed from ``ended``), the freshness
        samples done, the database check; then the result is kept and printed."""
        db = self.target.database_url
        idle_at = await verify.api_idle(
            lambda: cpu_seconds(self.target.pids("api")), self.probe, timeout_s=self.scale.settle_s
        )
        fresh_at = await verify.settle(db, timeout_s=self.scale.settle_s)
        await fresh.drain()
        idle = (
            f"API idle {max(0.0, idle_at - ended):.1f} s after the last answer"
            if idle_at is not None
            else f"API still busy {self.scale.settle_s:.0f} s after the load"
        )
        line = (
            f"analytics all fresh {fresh_at - ended:.1f} s after the last answer"
            if fresh_at is not None
            else f"analytics still owed {self.scale.settle_s:.0f} s after the load"
        )
        check = await verify.check(db, ledger)
        self.checks.append(check)
        result.notes += [fresh.line(), f"{idle}; {line}", check.line()]
        result.extra.update(fresh.p95s())
        self.keep(result)

    def floor_ratio(self, workouts_per_s: float, connections: int) -> str:
        parts = [
            f"{workouts_per_s / v:.2f} × floor {k}" for k, v in sorted(self.floors.items())
            if k.endswith(f"@{connections}") and v
        ]  # fmt: skip
        return "; ".join(parts)


async def floor_part(run: Run) -> None:
    """Floor A and floor B at each write concurrency (capped by max_connections)."""
    db = run.target.database_url
    for wanted in run.scale.write_clients:
        conns = await floor.free_connections(db, wanted)
        for bookkeeping, name in ((False, "A"), (True, "B")):
            with Meter(run.target) as meter:
                recorder, rate = await floor.writes(
                    db, run.athletes, connections=conns, duration=run.scale.duration,
                    bookkeeping=bookkeeping,
                )  # fmt: skip
            run.floors[f"{name}@{wanted}"] = rate
            result = Result.of(f"floor {name}, {conns} connections", meter, recorder, rate)
            if conns < wanted:
                result.notes.append(f"{wanted} connections asked; max_connections leaves {conns}")
            run.keep(result)
            deleted = await floor.clean(db)
            print(f"  floor rows removed: {deleted:,} workouts (their sets cascade)", flush=True)


async def writes_part(run: Run) -> None:
    """Closed-loop PUTs at each concurrency, with the freshness lag sampled."""
    for clients in run.scale.write_clients:
        ledger = run.ledger(f"w{clients}")
        async with Freshness(run.target.base_url, give_up_s=run.scale.settle_s) as fresh:
            with Meter(run.target) as meter:
                recorder, rate, conns = await closed.writes(
                    run.target.base_url, run.athletes, clients=clients,
                    duration=run.scale.duration, ledger=ledger, freshness=fresh,
                )  # fmt: skip
            ended = time.monotonic()
            result = Result.of(f"writes, {clients} connections, closed loop", meter, recorder, rate)
            result.ratio = run.floor_ratio(rate, clients)
            result.notes.append(f"{conns.opened:,} connections opened")
            await run.after_writes(result, ledger, ended=ended, fresh=fresh)


async def phones_part(run: Run) -> None:
    """Open-loop phones: each writes on its own schedule, reads its summary, some retry."""
    for count, interval in run.scale.phones:
        ledger = run.ledger(f"p{count}")
        async with Freshness(run.target.base_url, give_up_s=run.scale.settle_s) as fresh:
            phones = Phones(
                run.target.base_url, run.athletes, count=count, interval=interval,
                duration=run.scale.phone_duration, ledger=ledger,
                retry_share=run.scale.retry_share, freshness=fresh,
            )  # fmt: skip
            with Meter(run.target) as meter:
                rate = await phones.run()
            ended = time.monotonic()
            name = f"{count:,} phones, a write each {interval:g} s ({phones.offered:g}/s offered)"
            result = Result.of(name, meter, phones.recorder, rate)
            result.ratio = f"served / offered {rate / phones.offered:.2f}"
            result.notes += [
                f"{phones.connections.opened:,} connections opened by {count:,} phones "
                f"(1 each if keep-alive outlives the interval)",
                f"retries answered another workout than the first POST: {phones.retry_mismatch}",
            ]
            await run.after_writes(result, ledger, ended=ended, fresh=fresh)


async def reads_part(run: Run) -> None:
    """The read floor, list and summary closed loop, and the list open loop at a rate."""
    db, base = run.target.database_url, run.target.base_url
    for clients in run.scale.read_clients:
        conns = await floor.free_connections(db, clients)
        with Meter(run.target) as meter:
            recorder, floor_rate, items = await floor.reads(
                db, run.athletes, connections=conns, duration=run.scale.duration
            )
        result = Result.of(f"read floor, {conns} connections", meter, recorder, floor_rate)
        result.notes.append(f"{items:.1f} workouts per page on average")
        if conns < clients:
            result.notes.append(f"{clients} connections asked; max_connections leaves {conns}")
        run.keep(result)
        for route in (LIST, SUMMARY):
            with Meter(run.target) as meter:
                recorder, rate = await closed.reads(
                    base, run.athletes, route=route, clients=clients, duration=run.scale.duration
                )
            result = Result.of(f"GET {route}, {clients} connections", meter, recorder, rate)
            if floor_rate:
                result.ratio = f"{rate / floor_rate:.2f} × the list's read floor"
            run.keep(result)
    with Meter(run.target) as meter:
        recorder, rate = await rate_reads(
            base, run.athletes, route=LIST, rate=run.scale.read_rate,
            duration=run.scale.duration, pool=max(run.scale.read_clients),
        )  # fmt: skip
    name = f"GET {LIST}, open loop at {run.scale.read_rate:g}/s"
    result = Result.of(name, meter, recorder, rate)
    result.ratio = f"served / offered {rate / run.scale.read_rate:.2f}"
    run.keep(result)


PARTS = {"floor": floor_part, "writes": writes_part, "phones": phones_part, "reads": reads_part}

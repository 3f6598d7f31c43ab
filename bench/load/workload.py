"""The unit of work (a 15-set workout), the HTTP clients, and what a load records.

Every workout the harness sends carries a title unique to the run and the request
(``<tag>-<client>-<n>``), so the database check can find each one — and count
duplicates even when the server chose the id (a POST without one).
"""

from __future__ import annotations

import json
import math
import random
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp

from api.exercises.catalogue import exercise_id

if TYPE_CHECKING:  # freshness imports this module
    from bench.load.athletes import Athlete
    from bench.load.freshness import Freshness

SETS_PER_WORKOUT = 15
EXERCISES = [
    str(exercise_id(slug))
    for slug in (
        "bench-press-barbell",
        "squat-barbell",
        "deadlift-barbell",
        "bent-over-row-barbell",
        "romanian-deadlift-barbell",
    )
]
ACKED = (200, 201)


def workout_body(title: str, rng: random.Random) -> dict[str, Any]:
    """A 15-set lifting workout (5 exercises × 3 sets) within the last week."""
    start = datetime.now(UTC) - timedelta(hours=2 + rng.uniform(0, 6 * 24))
    start = start.replace(microsecond=0)
    sets = [
        {
            "exercise_id": EXERCISES[i // 3],
            "weight_kg": 40.0 + 2.5 * rng.randint(0, 40),
            "reps": rng.randint(3, 10),
            "rpe": rng.choice([7.0, 7.5, 8.0, 8.5, 9.0]),
        }
        for i in range(SETS_PER_WORKOUT)
    ]
    return {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=1)).isoformat(),
        "time_zone": "Europe/Oslo",
        "title": title,
        "sets": sets,
    }


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (``nan`` when empty)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(q / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


@dataclass
class Recorder:
    """Latencies (s) and outcomes per route; completion times for throughput."""

    started: float = field(default_factory=time.monotonic)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    done_at: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, route: str, seconds: float, outcome: int | str) -> None:
        self.latencies[route].append(seconds)
        self.outcomes[route][str(outcome)] += 1
        if outcome in ACKED:
            self.done_at[route].append(time.monotonic())

    def served(self, route: str, until: float) -> int:
        """2xx answers to ``route`` that arrived before the monotonic time ``until``."""
        return sum(1 for t in self.done_at[route] if t <= until)

    def stats(self, route: str) -> dict[str, float]:
        values = sorted(self.latencies[route])
        return {
            "n": len(values),
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "p99": percentile(values, 99),
            "max": values[-1] if values else float("nan"),
        }

    def count(self, route: str, *prefixes: str) -> int:
        return sum(n for k, n in self.outcomes[route].items() if k.startswith(prefixes))


@dataclass
class Sent:
    """One write as the client saw it."""

    title: str
    user_id: str
    workout_id: str | None  # the id sent (PUT) or answered (POST); None when unknown
    acked: bool


@dataclass
class Ledger:
    """Every write a load sent, keyed by its unique title."""

    tag: str
    writes: dict[str, Sent] = field(default_factory=dict)

    def record(self, sent: Sent) -> None:
        old = self.writes.get(sent.title)
        if old is not None and old.acked and not sent.acked:
            return  # a retry that failed does not undo the first answer
        self.writes[sent.title] = sent

    @property
    def acked(self) -> int:
        return sum(1 for s in self.writes.values() if s.acked)


def record_write(
    recorder: Recorder,
    ledger: Ledger,
    freshness: Freshness | None,
    athlete: Athlete,
    write: tuple[str, float, int | str],
    sent: Sent,
) -> None:
    """One answered (or failed) write: ``write`` = (route, seconds, status or outcome)
    timed in ``recorder``; ``sent`` entered in the ledger, acked on a 2xx; and a 2xx
    handed to ``freshness`` (when measured) at this monotonic moment."""
    route, seconds, status = write
    recorder.add(route, seconds, status)
    sent.acked = status in ACKED
    ledger.record(sent)
    if sent.acked and freshness is not None:
        freshness.acked(athlete, time.monotonic())


@dataclass
class Connections:
    """Counts TCP connections the clients opened (keep-alive reuse shows as few)."""

    opened: int = 0

    def trace(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()

        async def on_create(*_: object) -> None:
            self.opened += 1

        config.on_connection_create_end.append(on_create)
        return config


def client(
    base_url: str, *, timeout_s: float, connections: Connections, limit: int = 1
) -> aiohttp.ClientSession:
    """An HTTP client holding at most ``limit`` keep-alive connections (one per phone)."""
    connector = aiohttp.TCPConnector(limit=limit, keepalive_timeout=3600, force_close=False)
    return aiohttp.ClientSession(
        base_url,
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout_s),
        trace_configs=[connections.trace()],
        json_serialize=json.dumps,
    )


def outcome_of(exc: BaseException) -> str:
    """A short name for a failed request: ``timeout`` or the exception's class."""
    if isinstance(exc, TimeoutError):
        return "timeout"
    return type(exc).__name__


async def send(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
    want_json: bool = False,
) -> tuple[int | str, Any]:
    """One request: (status or failure name, parsed body when asked and 2xx)."""
    try:
        async with http.request(method, url, json=body, headers=headers) as response:
            raw = await response.read()
            data = json.loads(raw) if want_json and response.status in ACKED else None
            return response.status, data
    except (aiohttp.ClientError, TimeoutError) as exc:
        return outcome_of(exc), None


def new_id() -> str:
    return str(uuid.uuid4())

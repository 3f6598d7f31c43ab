"""The load harness judges each target from the figures it measured (``bench.load.targets``)."""

from __future__ import annotations

from typing import Any

from bench.load.report import Result
from bench.load.targets import judge


def _result(
    name: str, throughput: float, p95_s: float = 0.01, outcomes: dict[str, int] | None = None,
    **extra: float,
) -> Result:  # fmt: skip
    meter: Any = None  # judging reads no meter
    return Result(
        name, meter, throughput,
        routes={"PUT": {"n": 10, "p50": p95_s / 2, "p95": p95_s, "p99": p95_s, "max": p95_s}},
        outcomes={"PUT": outcomes or {"201": 10}}, extra=dict(extra),
    )  # fmt: skip


def _by_target(verdicts: list[Any]) -> dict[str, Any]:
    return {v.target: v for v in verdicts}


def test_a_full_run_is_judged_target_by_target() -> None:
    results = [
        _result("writes, 50 connections, closed loop", 300.0),  # 300 / 500 = 0.60: met
        _result("writes, 200 connections, closed loop", 280.0, outcomes={"201": 9, "503": 1}),
        _result("1,000 phones, a write each 10 s (100/s offered)", 100.0, p95_s=0.15,
                fresh_included_p95=6.0, fresh_stale_p95=20.0),
        _result("read floor, 50 connections", 1000.0),
        _result("GET /v1/workouts?limit=20, 50 connections", 499.0),  # 0.499: missed
        _result("GET /v1/workouts?limit=20, open loop at 300/s", 300.0, p95_s=0.049),
    ]  # fmt: skip
    got = _by_target(judge(results, {"B@50": 500.0}, [250.0, 310.0], checks_ok=True))
    assert got["writes, closed loop at 50: ≥ 0.6 × floor B"].met is True
    assert "0.60 × 500/s" in got["writes, closed loop at 50: ≥ 0.6 × floor B"].measured
    assert got["writes at 200 connections: no 5xx, no hang"].met is False
    phones = "1,000 phones at 100 writes/s: p95 < 200 ms on every route, no errors"
    assert got[phones].met is True
    assert got["1,000 phones: analytics freshness lag p95 < 10 s"].met is True
    assert got["list reads, closed loop at 50: ≥ 0.5 × read floor"].met is False
    assert got["list reads, open loop at 300/s: p95 < 50 ms"].met is True
    assert got["each API process < 300 MB RSS after the runs"].met is False  # 310 MB
    # nothing ran for these: never reported as met
    assert got["10,000 phones at 100 writes/s: p95 < 200 ms on every route, no errors"].met is None
    assert got["list reads, closed loop at 200: ≥ 0.5 × read floor"].met is None


def test_a_phone_time_out_or_a_slow_route_misses_the_phone_target() -> None:
    slow = _result("1,000 phones, x", 90.0, p95_s=0.25, fresh_included_p95=12.0,
                   fresh_stale_p95=30.0)  # fmt: skip
    timed_out = _result("10,000 phones, x", 99.0, outcomes={"201": 5, "timeout": 1})
    got = _by_target(judge([slow, timed_out], {}, [], checks_ok=False))
    assert got["1,000 phones at 100 writes/s: p95 < 200 ms on every route, no errors"].met is False
    assert got["1,000 phones: analytics freshness lag p95 < 10 s"].met is False
    assert got["10,000 phones at 100 writes/s: p95 < 200 ms on every route, no errors"].met is False
    assert got["every acknowledged workout stored once, nothing half-written"].met is False
    assert got["each API process < 300 MB RSS after the runs"].met is None

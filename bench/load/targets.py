"""The issue's targets, judged from a run's results: one row per target, met or missed.

Throughput is judged closed loop, latency open loop. A target whose scenario did not
run (a part left out, another scale) is reported as not measured, never as met.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.load.report import Result

RSS_LIMIT_MB = 300.0


@dataclass(frozen=True)
class Verdict:
    target: str
    measured: str
    met: bool | None  # None: not measured in this run

    def row(self) -> str:
        mark = {True: "met", False: "**missed**", None: "not measured"}[self.met]
        return f"| {self.target} | {self.measured} | {mark} |"


def _find(results: list[Result], start: str) -> Result | None:
    return next((r for r in results if r.name.startswith(start)), None)


def _errors(result: Result, *, deliberate_4xx: bool = True) -> int:
    """Answers that are neither 2xx nor (when allowed) a 4xx: 5xx, time-outs, unsent."""
    return sum(
        n
        for outcomes in result.outcomes.values()
        for status, n in outcomes.items()
        if not status.startswith("2") and not (deliberate_4xx and status.startswith("4"))
    )


def _worst_p95(result: Result) -> tuple[str, float]:
    route, stats = max(result.routes.items(), key=lambda kv: kv[1]["p95"])
    return route, stats["p95"]


def judge(
    results: list[Result], floors: dict[str, float], rss_mb: list[float], checks_ok: bool
) -> list[Verdict]:
    """Every target of the issue against this run."""
    out: list[Verdict] = []
    w50 = _find(results, "writes, 50 connections")
    floor_b = floors.get("B@50")
    if w50 is not None and floor_b:
        ratio = w50.throughput / floor_b
        out.append(
            Verdict(
                "writes, closed loop at 50: ≥ 0.6 × floor B",
                f"{w50.throughput:,.1f}/s = {ratio:.2f} × {floor_b:,.0f}/s",
                ratio >= 0.6,
            )
        )
    else:
        out.append(Verdict("writes, closed loop at 50: ≥ 0.6 × floor B", "—", None))
    w200 = _find(results, "writes, 200 connections")
    out.append(
        Verdict(
            "writes at 200 connections: no 5xx, no hang",
            f"{_errors(w200, deliberate_4xx=False):,} answers not 2xx" if w200 else "—",
            None if w200 is None else _errors(w200, deliberate_4xx=False) == 0,
        )
    )
    for count in ("1,000", "10,000"):
        phones = _find(results, f"{count} phones")
        name = f"{count} phones at 100 writes/s: p95 < 200 ms on every route, no errors"
        if phones is None:
            out.append(Verdict(name, "—", None))
            continue
        route, p95 = _worst_p95(phones)
        errors = _errors(phones)
        out.append(
            Verdict(
                name,
                f"worst p95 {p95 * 1000:,.0f} ms ({route}); {errors:,} errors; "
                f"served {phones.throughput:,.1f} writes/s",
                p95 < 0.2 and errors == 0,
            )
        )
        lag = phones.extra.get("fresh_included_p95")
        out.append(
            Verdict(
                f"{count} phones: analytics freshness lag p95 < 10 s",
                "—"
                if lag is None
                else f"p95 {lag:.1f} s to include a write; {phones.extra['fresh_stale_p95']:.1f} s "
                "to stale: false",
                None if lag is None else lag < 10.0,
            )
        )
    for clients in (50, 200):
        lst = _find(results, f"GET /v1/workouts?limit=20, {clients} connections")
        # the reads part measures its floor right before the list at the same concurrency
        floor = (
            next(
                (
                    r
                    for r in reversed(results[: results.index(lst)])
                    if r.name.startswith("read floor")
                ),
                None,
            )
            if lst is not None
            else None
        )
        name = f"list reads, closed loop at {clients}: ≥ 0.5 × read floor"
        if lst is None or floor is None or not floor.throughput:
            out.append(Verdict(name, "—", None))
            continue
        ratio = lst.throughput / floor.throughput
        stalled = _errors(lst, deliberate_4xx=False)
        out.append(
            Verdict(
                name,
                f"{lst.throughput:,.1f}/s = {ratio:.2f} × {floor.throughput:,.0f}/s; "
                f"{stalled:,} not 2xx",
                ratio >= 0.5 and stalled == 0,
            )
        )
    open_loop = _find(results, "GET /v1/workouts?limit=20, open loop at 300/s")
    if open_loop is not None:
        _, p95 = _worst_p95(open_loop)
        out.append(
            Verdict(
                "list reads, open loop at 300/s: p95 < 50 ms",
                f"p95 {p95 * 1000:,.0f} ms, served {open_loop.throughput:,.1f}/s",
                p95 < 0.05 and _errors(open_loop) == 0,
            )
        )
    else:
        out.append(Verdict("list reads, open loop at 300/s: p95 < 50 ms", "—", None))
    out.append(
        Verdict(
            f"each API process < {RSS_LIMIT_MB:.0f} MB RSS after the runs",
            ", ".join(f"{mb:,.0f} MB" for mb in rss_mb) or "—",
            None if not rss_mb else max(rss_mb) < RSS_LIMIT_MB,
        )
    )
    out.append(
        Verdict(
            "every acknowledged workout stored once, nothing half-written",
            "all database checks passed" if checks_ok else "a database check FAILED",
            checks_ok,
        )
    )
    return out


def table(verdicts: list[Verdict]) -> list[str]:
    return ["| target | this run | verdict |", "|---|---|---|", *(v.row() for v in verdicts)]

"""``python -m bench.load``: start the stack, seed and log in the athletes, run the parts,
check the database, print every figure and append them to ``bench/RESULTS.md``."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import os
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import asyncpg

from bench.load import athletes as athletes_mod
from bench.load import targets
from bench.load.meter import load_average
from bench.load.parts import PARTS, SCALES, Run, Scale
from bench.load.report import append_results, commit, versions
from bench.load.stack import Stack, StackError, Target, open_files_limit, rss_mb

T = TypeVar("T")
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def positive(kind: type[int] | type[float], what: str) -> Callable[[str], Any]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, not {text!r}") from None
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"{what} must be a finite number above 0, not {text}")
        return value

    return parse


def _ints(text: str) -> tuple[int, ...]:
    """``50,200`` → (50, 200): client counts, each at least 1."""
    count = positive(int, "a client count")
    values = tuple(count(x) for x in text.split(","))
    return values


def _phones(text: str) -> tuple[tuple[int, float], ...]:
    """``1000:10,10000:100`` → ((1000, 10.0), (10000, 100.0)): phones and the seconds
    between one phone's writes, both above 0."""
    out = []
    for pair in text.split(","):
        phones, sep, interval = pair.partition(":")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected PHONES:SECONDS, e.g. 1000:10, not {pair!r}")
        out.append((positive(int, "phones")(phones), positive(float, "seconds")(interval)))
    return tuple(out)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a share must be a number, not {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"a share must be within 0 and 1, not {text}")
    return value


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    p.add_argument("--parts", default=",".join(PARTS), help="any of floor,writes,phones,reads")
    p.add_argument("--scale", choices=sorted(SCALES), default="full")
    count, seconds = positive(int, "a count"), positive(float, "seconds")
    p.add_argument("--athletes", type=count, help="demo athletes seeded and logged in")
    p.add_argument("--years", type=positive(float, "years"), help="history per demo athlete")
    p.add_argument("--duration", type=seconds, help="seconds of each closed-loop scenario")
    p.add_argument("--write-clients", type=_ints, help="e.g. 50,200")
    p.add_argument("--read-clients", type=_ints, help="e.g. 50,200")
    p.add_argument("--phones", type=_phones, help="phones:seconds between writes, e.g. 1000:10")
    p.add_argument("--phone-duration", type=seconds, help="seconds of each phones scenario")
    p.add_argument("--read-rate", type=positive(float, "a rate"),
                   help="open-loop list reads per second")  # fmt: skip
    p.add_argument("--retry-share", type=_share, help="share of phone writes sent twice (0–1)")
    p.add_argument("--settle", dest="settle_s", type=seconds,
                   help="longest wait for the analytics to drain after a write scenario")  # fmt: skip
    p.add_argument("--api-workers", type=count, default=os.cpu_count() or 1,
                   help="API processes (FORMA_API_WORKERS); default: the cores")  # fmt: skip
    p.add_argument("--no-results", action="store_true", help="do not append to RESULTS.md")
    args = p.parse_args(argv)
    unknown = set(args.parts.split(",")) - set(PARTS)
    if unknown:
        named = ", ".join(repr(u) for u in sorted(unknown))
        p.error(f"unknown parts: {named} (any of {','.join(PARTS)})")
    return args


def scale_of(args: argparse.Namespace) -> Scale:
    overrides = {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(Scale)
        if getattr(args, f.name, None) is not None
    }
    return dataclasses.replace(SCALES[args.scale], **overrides)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop when it is there (less of the generator's CPU per request)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(coro)
    return uvloop.run(coro)


def raise_open_files(wanted: int) -> str:
    """Raise this process's soft descriptor limit towards ``wanted`` (≤ the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return f"generator open-file limit {soft} (hard {hard})"


async def _server_version(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


async def run_parts(run: Run, parts: list[str]) -> list[str]:
    """Each part in turn; one that fails is reported and the next one still runs."""
    failed = []
    for name in parts:
        print(f"\n=== {name} (load average {load_average()}) ===", flush=True)
        try:
            await PARTS[name](run)
        except Exception as exc:
            traceback.print_exc()
            failed.append(f"part {name} failed: {type(exc).__name__}: {exc}")
            print(f"!!! {failed[-1]}", flush=True)
    return failed


def api_rss(target: Target) -> list[tuple[str, int, float]]:
    """(role, pid, RSS MB) of each API process: uvicorn's supervisor and its workers."""
    api = target.children().get("api")
    pids = target.pids("api")
    return [
        ("uvicorn (supervisor)" if pid == api and len(pids) > 1 else "worker", pid, rss_mb(pid))
        for pid in pids
    ]


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signum)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    scale = scale_of(args)
    parts = [p for p in PARTS if p in args.parts.split(",")]
    server = os.environ.get("FORMA_DATABASE_URL") or DEFAULT_SERVER
    redis_url = os.environ.get("FORMA_REDIS_URL") or DEFAULT_REDIS
    started = time.monotonic()
    load_at_start = load_average()
    print(
        f"load harness: {os.cpu_count()} cores, load average {load_at_start}; {scale}", flush=True
    )
    stack: Stack | None = None
    try:
        stack = Stack(server, redis_url, api_workers=args.api_workers)
        stack.check_server()
        stack.check_redis()
    except (StackError, ValueError) as exc:  # ValueError: not a PostgreSQL URL
        if stack is not None:
            stack.discard()
        print(f"load harness: {exc}", file=sys.stderr, flush=True)
        return 2
    # SIGTERM (a time-out, a CI cancel) stops the stack and drops its database like Ctrl-C
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        print(stack.prepare(athletes=scale.athletes, years=scale.years), flush=True)
        target = stack.start()
        api_pid = target.children().get("api", 0)
        server_files = f"API open-file limit {open_files_limit(api_pid)}"
        gen_files = raise_open_files(max([n for n, _ in scale.phones] or [0]) + 2048)
        print(f"stack up on {target.base_url}; {server_files}; {gen_files}", flush=True)
        emails = _run(athletes_mod.demo_emails(target.database_url, scale.athletes))
        t0 = time.monotonic()
        team = _run(athletes_mod.log_in(target.base_url, target.database_url, emails))
        print(f"{len(team)} athletes logged in in {time.monotonic() - t0:.1f} s", flush=True)
        pg = _run(_server_version(target.database_url))
        print(versions(pg), flush=True)
        run = Run(target, team, scale)
        broken = _run(run_parts(run, parts))
        processes = api_rss(target)
        rss = [f"API {role} pid {pid}: RSS {mb:,.0f} MB" for role, pid, mb in processes]
        serving = sum(1 for role, _, _ in processes if role == "worker")
        print("\n" + "\n".join(rss), flush=True)
        verdicts = targets.judge(
            run.results,
            run.floors,
            [mb for role, _, mb in processes if role == "worker"],
            checks_ok=all(c.ok for c in run.checks),
        )
        judged = [
            *targets.table(verdicts),
            "",
            "The incremental refresh target (< 100 ms p95) is measured by "
            "`python -m bench.analytics_bench` (its own section).",
        ]
        print("\n" + "\n".join(judged), flush=True)
        warnings = [r.name for r in run.results if r.meter.warning()]
        if warnings:
            print(f"\n!!! generator saturated during: {'; '.join(warnings)} !!!", flush=True)
        failed = [c for c in run.checks if not c.ok]
        header = [
            f"Machine: {os.cpu_count()} cores, load average {load_at_start} at the start; "
            f"{versions(pg)}; commit {commit()}.",
            f"Stack: `forma up` against the machine's PostgreSQL and Redis, "
            f"{serving} API process(es) serving (asked: {args.api_workers}), {server_files}; "
            f"{len(team)} demo athletes ({scale.years:g} years of history), tokens issued "
            f"before the timed windows.",
            f"Scale `{args.scale}`: parts {', '.join(parts)}; {scale}.",
        ]
        footer = [
            "Targets:",
            "",
            *judged,
            "",
            "After the runs: " + "; ".join(rss) + ".",
            f"Database checks: {len(run.checks) - len(failed)} of {len(run.checks)} passed.",
            f"Run took {(time.monotonic() - started) / 60:.1f} min.",
            *broken,
            *([f"**Generator saturated** during: {'; '.join(warnings)}."] if warnings else []),
        ]
        if not args.no_results:
            append_results(header=header, results=run.results, footer=footer)
        return 1 if failed or broken else 0
    except StackError as exc:
        print(f"load harness: {exc}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt as exc:
        print("load harness: interrupted; stopping the stack", file=sys.stderr, flush=True)
        return 128 + (exc.args[0] if exc.args and isinstance(exc.args[0], int) else signal.SIGINT)
    finally:
        stack.stop()
        if stack.created:
            print(f"stack stopped, database {stack.db_name} dropped", file=sys.stderr, flush=True)

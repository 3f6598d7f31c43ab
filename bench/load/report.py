"""Figures of a run: each scenario's :class:`Result`, printed as it ends and appended, with
the machine and versions, as a dated section of ``bench/RESULTS.md``."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from bench.load.meter import Meter
from bench.load.workload import Recorder

RESULTS = Path(__file__).resolve().parents[1] / "RESULTS.md"


@dataclass
class Result:
    """One scenario: what it did per second, how long each answer took, what it cost."""

    name: str
    meter: Meter
    throughput: float  # 2xx (or committed transactions) per second of the window
    routes: dict[str, dict[str, float]] = field(default_factory=dict)  # route → n, p50, …
    outcomes: dict[str, dict[str, int]] = field(default_factory=dict)  # route → status → n
    notes: list[str] = field(default_factory=list)
    ratio: str = ""
    extra: dict[str, float] = field(default_factory=dict)  # figures the targets judge

    @classmethod
    def of(cls, name: str, meter: Meter, recorder: Recorder, throughput: float) -> Result:
        return cls(
            name,
            meter,
            throughput,
            routes={r: recorder.stats(r) for r in recorder.latencies},
            outcomes={r: dict(sorted(c.items())) for r, c in recorder.outcomes.items()},
        )

    @property
    def api_cpu_ms(self) -> float | None:
        """The API's CPU per HTTP answer the clients got, ms (``None`` for a floor). Work on
        requests whose clients gave up counts too, so overload makes it look higher."""
        answered = sum(
            n for outcomes in self.outcomes.values() for k, n in outcomes.items() if k.isdigit()
        )
        if self.meter.api_cpu < 0.5 or not answered:
            return None
        return self.meter.api_cpu / answered * 1000

    def lines(self) -> list[str]:
        out = [f"{self.name}: {self.throughput:,.1f}/s  {self.ratio}".rstrip()]
        for route, s in self.routes.items():
            statuses = ", ".join(f"{k} × {v:,}" for k, v in self.outcomes.get(route, {}).items())
            out.append(
                f"  {route}: n {int(s['n']):,}  p50 {_ms(s['p50'])}  p95 {_ms(s['p95'])}  "
                f"p99 {_ms(s['p99'])}  max {_ms(s['max'])}  [{statuses}]"
            )
        out.append(f"  {self.meter.line()}")
        if self.api_cpu_ms is not None:
            out.append(f"  API CPU per answer {self.api_cpu_ms:.1f} ms")
        warning = self.meter.warning()
        out.extend([f"  {warning}"] if warning else [])
        out.extend(f"  {note}" for note in self.notes)
        return out

    def print(self) -> None:
        print("\n" + "\n".join(self.lines()), flush=True)


def _ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "—"
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def _cpu_ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"


def versions(server_version: str) -> str:
    def v(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "?"

    return (
        f"Python {platform.python_version()}, PostgreSQL {server_version}, "
        f"uvicorn {v('uvicorn')}, FastAPI {v('fastapi')}, SQLAlchemy {v('sqlalchemy')}, "
        f"asyncpg {v('asyncpg')}, aiohttp {v('aiohttp')} (generator)"
    )


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def table(results: list[Result]) -> list[str]:
    rows = [
        "| scenario | load avg before | /s | route: p50 / p95 / p99 / max | answers | ratio "
        "| generator CPU | API CPU / answer |",
        "|---|---|---:|---|---|---|---:|---:|",
    ]
    for r in results:
        lat = "<br>".join(
            f"{route}: {_ms(s['p50'])} / {_ms(s['p95'])} / {_ms(s['p99'])} / {_ms(s['max'])}"
            for route, s in r.routes.items()
        )
        answers = "<br>".join(
            f"{route}: " + ", ".join(f"{k} × {v:,}" for k, v in c.items())
            for route, c in r.outcomes.items()
        )
        gen = f"{r.meter.generator_share:.0%}" + (" **saturated**" if r.meter.warning() else "")
        rows.append(
            f"| {r.name} | {r.meter.load_before} | {r.throughput:,.1f} | {lat} | {answers} "
            f"| {r.ratio or '—'} | {gen} | {_cpu_ms(r.api_cpu_ms)} |"
        )
    return rows


def append_results(
    *, header: list[str], results: list[Result], footer: list[str], path: Path = RESULTS
) -> None:
    """A dated section at the end of ``bench/RESULTS.md``."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    notes = [f"- {r.name}: {n}" for r in results for n in r.notes]
    section = [
        "",
        f"## Load harness (`python -m bench.load`), {now}",
        "",
        *header,
        "",
        *table(results),
        "",
        *notes,
        *([""] if notes else []),
        *footer,
        "",
    ]
    with path.open("a") as fh:
        fh.write("\n".join(section))
    print(f"\nappended to {os.path.relpath(path)}", flush=True)

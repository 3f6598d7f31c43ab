"""What a scenario costs besides its latencies: the generator's own CPU (so a saturated
generator is never mistaken for a slow server), the stack's CPU, the load average."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field

from bench.load.stack import Target, cpu_seconds

#: above this share of one core the generator itself may be what limits the figures
GENERATOR_WARN = 0.8


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Meter:
    """Started before a scenario, stopped after: CPU per side, wall time, load before."""

    target: Target | None
    load_before: str = field(default_factory=load_average)
    wall: float = 0.0
    generator_cpu: float = 0.0
    api_cpu: float = 0.0
    worker_cpu: float = 0.0
    _t0: float = 0.0
    _cpu0: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def _sample(self) -> tuple[float, float, float]:
        if self.target is None:
            return _own_cpu(), 0.0, 0.0
        return (
            _own_cpu(),
            cpu_seconds(self.target.pids("api")),
            cpu_seconds(self.target.pids("worker")),
        )

    def __enter__(self) -> Meter:
        self.load_before = load_average()
        self._t0 = time.monotonic()
        self._cpu0 = self._sample()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.monotonic() - self._t0
        own, api, worker = self._sample()
        self.generator_cpu = own - self._cpu0[0]
        self.api_cpu = api - self._cpu0[1]
        self.worker_cpu = worker - self._cpu0[2]

    @property
    def generator_share(self) -> float:
        """The generator's CPU as a share of one core over the scenario."""
        return self.generator_cpu / self.wall if self.wall else 0.0

    def warning(self) -> str | None:
        if self.generator_share > GENERATOR_WARN:
            return (
                f"!!! GENERATOR SATURATED: the harness used {self.generator_share:.0%} of a core; "
                "these figures may measure the generator, not the server !!!"
            )
        return None

    def line(self) -> str:
        return (
            f"load avg before {self.load_before}; generator CPU {self.generator_cpu:.1f} s "
            f"({self.generator_share:.0%} of a core); API CPU {self.api_cpu:.1f} s, "
            f"worker CPU {self.worker_cpu:.1f} s over {self.wall:.1f} s"
        )

"""Progress on stderr: ``tqdm`` when it is installed (``tqdm.auto``: a widget in Jupyter),
else a one-line bar redrawn in place. Both count bytes for downloads and 0–1 for jobs."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, TextIO

#: seconds between redraws of the plain bar (a redraw per 64 KiB chunk would flood a notebook)
REDRAW_S = 0.2


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000:
            return f"{n:.1f} {unit}" if unit != "B" else f"{n:.0f} B"
        n /= 1000
    return f"{n:.1f} TB"


class Progress:
    """A progress bar over ``total`` units (``None``: unknown), disabled when not ``enabled``.

    ``unit="B"`` shows sizes and a rate (a download); ``unit="%"`` takes fractions 0–1
    through :meth:`set` (a snapshot or a training run).
    """

    def __init__(
        self,
        desc: str,
        *,
        total: float | None = None,
        unit: str = "B",
        enabled: bool = True,
        file: TextIO | None = None,
    ) -> None:
        self.desc, self.unit, self.enabled = desc, unit, enabled
        self.total = 1.0 if unit == "%" else total
        self.n = 0.0
        self.file = file if file is not None else sys.stderr
        self._bar: Any = None
        self._start = self._drawn = time.monotonic()
        if enabled:
            self._bar = _tqdm(desc, self.total, unit, self.file)

    def update(self, amount: float) -> None:
        """Advance by ``amount`` units."""
        self.set(self.n + amount)

    def set(self, value: float) -> None:
        """Move to ``value`` units (a fraction for ``unit="%"``); never backwards."""
        if value <= self.n:
            return
        if self._bar is not None:
            self._bar.update(value - self.n)
        self.n = value
        if self.enabled and self._bar is None and time.monotonic() - self._drawn >= REDRAW_S:
            self._draw()

    def _draw(self, end: str = "") -> None:
        self._drawn = time.monotonic()
        if self.unit == "%":
            text = f"{self.n * 100:5.1f} %"
            fraction: float | None = self.n
        else:
            rate = self.n / max(self._drawn - self._start, 1e-6)
            text = f"{_size(self.n)}  {_size(rate)}/s"
            fraction = self.n / self.total if self.total else None
        bar = ""
        if fraction is not None:
            filled = int(min(max(fraction, 0.0), 1.0) * 30)
            bar = "[" + "#" * filled + "." * (30 - filled) + "] "
        # padded: a shorter redraw must cover the longer line before it
        self.file.write(f"\r{self.desc}: {bar}{text}".ljust(72) + end)
        self.file.flush()

    def close(self) -> None:
        """Finish the line (or the tqdm bar)."""
        if self._bar is not None:
            self._bar.close()
        elif self.enabled:
            self._draw(end="\n")
        self.enabled = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _tqdm(desc: str, total: float | None, unit: str, file: TextIO) -> Any:
    """A ``tqdm.auto`` bar, or ``None`` when tqdm is not installed."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    if unit == "%":
        return tqdm(
            desc=desc,
            total=1.0,
            file=file,
            bar_format="{desc}: {percentage:5.1f}%|{bar}| {elapsed}",
        )
    return tqdm(desc=desc, total=total, unit="B", unit_scale=True, unit_divisor=1000, file=file)

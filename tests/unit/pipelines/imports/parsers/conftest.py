"""The real CSV exports, each read once per run and shared read-only by the tests that count them.

The time zones and units are the athletes' own (PROVENANCE.md); the expected figures
are in the tests, counted from the files with grep/awk/python-csv, never from here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipelines.imports.parsers.base import ParseResult
from tests.support import exports as real
from tests.support.exports import read_csv


def _read_once(path: Path, layout: str, **options: Any) -> Callable[[], ParseResult]:
    """A session fixture: ``path`` read as ``layout`` with ``options``, the first time asked."""

    @pytest.fixture(scope="session")
    def read() -> ParseResult:
        return read_csv(path.read_bytes(), layout, **options)

    return read


# pytest names each fixture after the attribute it is bound to.
hevy_kg = _read_once(real.HEVY_KG, "hevy", time_zone="Europe/Lisbon")
hevy_lb = _read_once(real.HEVY_LB, "hevy", time_zone="America/New_York")
fit_notes = _read_once(real.FITNOTES, "fitnotes", time_zone="America/Chicago")
gym_book = _read_once(real.GYMBOOK, "gymbook", time_zone="Europe/Rome")
large = _read_once(
    real.LARGE,
    "strong",
    time_zone="America/Indiana/Indianapolis",
    weight_unit="lb",
    distance_unit="mi",
)
zh = _read_once(real.ZH, "strong", time_zone="Asia/Shanghai", weight_unit="lb")
semicolon = _read_once(real.SEMICOLON, "strong", time_zone="America/New_York")
strong6 = _read_once(real.STRONG6, "strong", time_zone="America/Chicago")

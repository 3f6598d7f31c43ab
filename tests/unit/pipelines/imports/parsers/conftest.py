"""The real CSV exports, each read once per run and shared read-only by the tests that count them.

The time zones and units are the athletes' own (PROVENANCE.md); the expected figures
are in the tests, counted from the files with grep/awk/python-csv, never from here.
"""

from __future__ import annotations

import pytest

from pipelines.imports.parsers.base import ParseResult
from tests.support.exports import (
    FITNOTES,
    GYMBOOK,
    HEVY_KG,
    HEVY_LB,
    LARGE,
    SEMICOLON,
    STRONG6,
    ZH,
    read_csv,
)


@pytest.fixture(scope="session")
def hevy_kg() -> ParseResult:
    return read_csv(HEVY_KG.read_bytes(), "hevy", time_zone="Europe/Lisbon")


@pytest.fixture(scope="session")
def hevy_lb() -> ParseResult:
    return read_csv(HEVY_LB.read_bytes(), "hevy", time_zone="America/New_York")


@pytest.fixture(scope="session")
def fit_notes() -> ParseResult:
    return read_csv(FITNOTES.read_bytes(), "fitnotes", time_zone="America/Chicago")


@pytest.fixture(scope="session")
def gym_book() -> ParseResult:
    return read_csv(GYMBOOK.read_bytes(), "gymbook", time_zone="Europe/Rome")


@pytest.fixture(scope="session")
def large() -> ParseResult:
    data = LARGE.read_bytes()
    return read_csv(
        data, time_zone="America/Indiana/Indianapolis", weight_unit="lb", distance_unit="mi"
    )


@pytest.fixture(scope="session")
def zh() -> ParseResult:
    return read_csv(ZH.read_bytes(), time_zone="Asia/Shanghai", weight_unit="lb")


@pytest.fixture(scope="session")
def semicolon() -> ParseResult:
    return read_csv(SEMICOLON.read_bytes(), time_zone="America/New_York")


@pytest.fixture(scope="session")
def strong6() -> ParseResult:
    return read_csv(STRONG6.read_bytes(), time_zone="America/Chicago")

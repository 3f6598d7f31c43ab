"""The training week and the athlete's local day (``models.vocabulary``): hand-picked
dates around Sundays and Mondays, year boundaries and Europe/Berlin's DST changes.
The SQL twin of :func:`local_day` runs on PostgreSQL in
``tests/integration/models/test_vocabulary_sql.py``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pytest

from models.vocabulary import local_day, week_start, week_starts
from tests.support.local_days import BERLIN, MOMENTS

WEEKS = [
    (date(2024, 6, 9), date(2024, 6, 3)),  # a Sunday: the week began six days before
    (date(2024, 6, 10), date(2024, 6, 10)),  # a Monday is its own week start
    (date(2024, 6, 12), date(2024, 6, 10)),  # a Wednesday
    (date(2024, 12, 29), date(2024, 12, 23)),  # Sunday of 2024-W52
    (date(2024, 12, 30), date(2024, 12, 30)),  # Monday of 2025-W01, still in 2024
    (date(2025, 1, 1), date(2024, 12, 30)),  # New Year's Day: its week began last year
    (date(2021, 1, 3), date(2020, 12, 28)),  # Sunday of 2020-W53
    (date(2024, 3, 3), date(2024, 2, 26)),  # a Sunday after a leap day
    (date(1970, 1, 1), date(1969, 12, 29)),  # day 0 of the epoch, a Thursday
    (date(1969, 12, 28), date(1969, 12, 22)),  # before the epoch: negative day numbers
]


@pytest.mark.parametrize(("day", "monday"), WEEKS)
def test_week_start(day: date, monday: date) -> None:
    assert week_start(day) == monday
    assert week_start(day).weekday() == 0
    assert week_start(day).isocalendar()[:2] == day.isocalendar()[:2]


def test_week_starts_of_many_days_match_week_start() -> None:
    days = [day for day, _ in WEEKS]
    got = week_starts(pd.Series(pd.to_datetime(days)))
    assert got.dtype == np.dtype("datetime64[ns]")
    assert [pd.Timestamp(m).date() for m in got] == [monday for _, monday in WEEKS]
    # every day of two years, against the scalar rule
    every = [date(2023, 12, 1) + timedelta(days=i) for i in range(731)]
    mondays = week_starts(np.array(every, dtype="datetime64[D]"))
    assert [pd.Timestamp(m).date() for m in mondays] == [week_start(d) for d in every]


def test_week_starts_of_no_days() -> None:
    assert week_starts(pd.Series([], dtype="datetime64[ns]")).size == 0


@pytest.mark.parametrize(("moment", "zone", "day"), MOMENTS)
def test_local_day(moment: datetime, zone: str, day: date) -> None:
    assert local_day(moment, zone) == day


def test_local_day_of_a_moment_in_another_zone() -> None:
    # 23:30 in New York (EST, UTC−5) is 05:30 the next morning in Berlin
    moment = datetime(2024, 1, 15, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    assert local_day(moment, "America/New_York") == date(2024, 1, 15)
    assert local_day(moment, BERLIN) == date(2024, 1, 16)


def test_local_day_refuses_a_naive_moment_and_an_unknown_zone() -> None:
    with pytest.raises(ValueError, match="tz-aware"):
        local_day(datetime(2024, 6, 11, 12, 0), BERLIN)
    with pytest.raises(ZoneInfoNotFoundError):
        local_day(datetime(2024, 6, 11, 12, 0, tzinfo=UTC), "Mars/Olympus_Mons")

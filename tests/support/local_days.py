"""Moments and zones with their local day, worked out by hand: around local midnight,
Europe/Berlin's DST changes, a year boundary behind UTC, a half-hour zone and the first
zone into a new day (``models.vocabulary.local_day`` and its SQL twin)."""

from __future__ import annotations

from datetime import UTC, date, datetime

BERLIN = "Europe/Berlin"
MOMENTS = [
    # winter, CET = UTC+1: local midnight is 23:00 UTC
    (datetime(2024, 3, 30, 22, 59, 59, tzinfo=UTC), BERLIN, date(2024, 3, 30)),
    (datetime(2024, 3, 30, 23, 0, tzinfo=UTC), BERLIN, date(2024, 3, 31)),
    # the spring change (31 March, 02:00 → 03:00): that evening midnight is 22:00 UTC
    (datetime(2024, 3, 31, 0, 59, 59, tzinfo=UTC), BERLIN, date(2024, 3, 31)),
    (datetime(2024, 3, 31, 1, 0, tzinfo=UTC), BERLIN, date(2024, 3, 31)),
    (datetime(2024, 3, 31, 21, 59, 59, tzinfo=UTC), BERLIN, date(2024, 3, 31)),
    (datetime(2024, 3, 31, 22, 0, tzinfo=UTC), BERLIN, date(2024, 4, 1)),
    # the autumn change (27 October, 03:00 → 02:00): 22:00 UTC before, 23:00 UTC after
    (datetime(2024, 10, 26, 21, 59, 59, tzinfo=UTC), BERLIN, date(2024, 10, 26)),
    (datetime(2024, 10, 26, 22, 0, tzinfo=UTC), BERLIN, date(2024, 10, 27)),
    (datetime(2024, 10, 27, 0, 30, tzinfo=UTC), BERLIN, date(2024, 10, 27)),  # 02:30 CEST
    (datetime(2024, 10, 27, 1, 30, tzinfo=UTC), BERLIN, date(2024, 10, 27)),  # 02:30 CET
    (datetime(2024, 10, 27, 22, 59, 59, tzinfo=UTC), BERLIN, date(2024, 10, 27)),
    (datetime(2024, 10, 27, 23, 0, tzinfo=UTC), BERLIN, date(2024, 10, 28)),
    # a year boundary behind UTC, a half-hour zone, the first zone into a new day
    (datetime(2024, 1, 1, 7, 59, 59, tzinfo=UTC), "America/Los_Angeles", date(2023, 12, 31)),
    (datetime(2024, 1, 1, 8, 0, tzinfo=UTC), "America/Los_Angeles", date(2024, 1, 1)),
    (datetime(2024, 6, 11, 18, 29, 59, tzinfo=UTC), "Asia/Kolkata", date(2024, 6, 11)),
    (datetime(2024, 6, 11, 18, 30, tzinfo=UTC), "Asia/Kolkata", date(2024, 6, 12)),
    (datetime(2023, 12, 31, 10, 0, tzinfo=UTC), "Pacific/Kiritimati", date(2024, 1, 1)),
    (datetime(2024, 6, 11, 23, 59, 59, tzinfo=UTC), "UTC", date(2024, 6, 11)),
]

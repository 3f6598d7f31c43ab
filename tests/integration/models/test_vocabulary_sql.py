"""``models.vocabulary.local_day_sql`` on the real PostgreSQL: the SQL gives the same
local day as :func:`models.vocabulary.local_day` for the same moments and zones —
bound parameters, and columns as the data layer uses it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import text

from models.vocabulary import local_day, local_day_sql
from tests.support.local_days import MOMENTS


@pytest.mark.parametrize(("moment", "zone", "day"), MOMENTS)
def test_local_day_sql_of_parameters_equals_local_day(
    sync_engine: Any, moment: datetime, zone: str, day: date
) -> None:
    with sync_engine.connect() as conn:
        got = conn.execute(
            text(f"SELECT {local_day_sql('CAST(:moment AS timestamptz)', 'CAST(:zone AS text)')}"),
            {"moment": moment, "zone": zone},
        ).scalar_one()
    assert got == day == local_day(moment, zone)


def test_local_day_sql_of_columns_equals_local_day(sync_engine: Any) -> None:
    rows = ", ".join(
        f"(CAST(:m{i} AS timestamptz), CAST(:z{i} AS text))" for i in range(len(MOMENTS))
    )
    params = {f"m{i}": m for i, (m, _, _) in enumerate(MOMENTS)}
    params |= {f"z{i}": z for i, (_, z, _) in enumerate(MOMENTS)}
    sql = (
        f"SELECT {local_day_sql('t.started_at', 't.time_zone')}"
        f" FROM (VALUES {rows}) AS t(started_at, time_zone)"
    )
    with sync_engine.connect() as conn:
        # the session's own time zone must not matter: AT TIME ZONE names the zone
        conn.execute(text("SET TIME ZONE 'Pacific/Kiritimati'"))
        got = conn.execute(text(sql), params).scalars().all()
    assert got == [local_day(m, z) for m, z, _ in MOMENTS] == [d for _, _, d in MOMENTS]

"""The daily load series: stored days, and the rest days after them continued up to today.

The only arithmetic done here is what depends on *today*, which a precomputed row
cannot know: the days after the latest training day (zero load, the states decaying —
:func:`models.analytics.training_load.series_by_athlete` continued from the stored rows).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import repository
from api.analytics.dates import check_range, local_today
from api.analytics.schemas import LoadDay, LoadSeries, LoadWeek
from api.analytics.tables import DailyLoad
from api.users.tables import User
from models.analytics.training_load import HISTORY_DAYS, STATE_COLUMNS, series_by_athlete
from models.vocabulary import week_start

DEFAULT_LOAD_DAYS = 90
LOAD_UNIT = "AU (session-RPE scale)"


def _none_if_nan(value: Any) -> float | None:
    return None if pd.isna(value) else float(value)


def _projection(tail: list[DailyLoad], until: date) -> list[LoadDay]:
    """Rest days after the stored series up to ``until``, continued exactly."""
    first = tail[-1].day + timedelta(days=1)
    if until < first:
        return []
    days = pd.date_range(first, until, freq="D")
    history = pd.DataFrame(
        {
            "user_id": "me",
            "date": pd.to_datetime([r.day for r in tail]),
            "position": [r.position for r in tail],
            **{c: [float(getattr(r, c)) for r in tail] for c in STATE_COLUMNS},
        }
    )
    daily = pd.DataFrame({"user_id": "me", "date": days, "load": 0.0})
    out = series_by_athlete(daily, history)
    return [
        LoadDay(
            date=row["date"].date(),
            sessions=0,
            duration_s=0.0,
            distance_m=0.0,
            volume_load_kg=0.0,
            srpe_load=None,
            trimp=None,
            load=0.0,
            ctl=float(row["ctl"]),
            atl=float(row["atl"]),
            tsb=float(row["tsb"]),
            acwr_rolling=_none_if_nan(row["acwr_rolling"]),
            acwr_ewma=_none_if_nan(row["acwr_ewma"]),
            ramp_rate=_none_if_nan(row["ramp_rate"]),
            acwr_high=bool(row["acwr_high"]),
            acwr_low=bool(row["acwr_low"]),
            projected=True,
        )
        for row in out.to_dict("records")
    ]


async def load_series(
    session: AsyncSession,
    *,
    user: User,
    start: date | None,
    end: date | None,
    freshness: dict[str, Any],
) -> LoadSeries:
    """The daily load series from ``start`` to ``end`` (default: the last 90 days).

    Raises Unprocessable (:func:`api.analytics.dates.check_range`) when ``end`` is before
    ``start`` or the range is longer than :data:`api.analytics.dates.MAX_RANGE_DAYS`.
    """
    today = local_today(user)
    end = end or today
    # by day numbers: `to` in the first 90 days of year 1 would overflow a date
    start = start or date.fromordinal(max(1, end.toordinal() - (DEFAULT_LOAD_DAYS - 1)))
    check_range(start, end)
    rows = await repository.load_days(session, user_id=user.id, start=start, end=end)
    items = [LoadDay.from_row(r, date=r.day, projected=False) for r in rows]
    until = min(end, today)
    if not rows or rows[-1].day < until:
        tail = await repository.load_tail(
            session, user_id=user.id, before=until + timedelta(days=1), days=HISTORY_DAYS
        )
        if tail and tail[-1].day < until:
            items += [d for d in _projection(tail, until) if d.date >= start]
    weeks = await repository.periods_between(
        session, user_id=user.id, period="week", start=week_start(start), end=end
    )
    return LoadSeries(
        load_unit=LOAD_UNIT,
        items=items,
        weeks=[LoadWeek.from_row(w, week_start=w.start) for w in weeks],
        **freshness,
    )

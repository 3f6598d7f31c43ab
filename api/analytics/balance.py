"""Muscle balance: fractional sets and volume per muscle group per ISO week, and ratios."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import repository
from api.analytics.dates import local_today
from api.analytics.schemas import BalanceWeek, MuscleBalance, MuscleSets
from api.users.tables import User
from models.analytics.balance import ratios
from models.vocabulary import week_start


async def muscle_balance(
    session: AsyncSession, *, user: User, weeks: int, freshness: dict[str, Any]
) -> MuscleBalance:
    """The last ``weeks`` ISO weeks (this one included) of fractional sets per muscle."""
    current = week_start(local_today(user))
    first = current - timedelta(weeks=weeks - 1)
    rows = await repository.muscle_weeks(session, user_id=user.id, start=first)
    periods = await repository.periods_between(
        session, user_id=user.id, period="week", start=first, end=current
    )
    by_week: dict[date, list[MuscleSets]] = {}
    totals: dict[str, list[float]] = {}
    for r in rows:
        by_week.setdefault(r.week_start, []).append(MuscleSets.from_row(r))
        total = totals.setdefault(r.muscle, [0.0, 0.0])
        total[0] += r.sets
        total[1] += r.volume_load_kg
    by_start = {p.start: p for p in periods}
    out = []
    for i in range(weeks):
        week = first + timedelta(weeks=i)
        period = by_start.get(week)
        out.append(
            BalanceWeek(
                week_start=week,
                muscles=by_week.get(week, []),
                push_pull=period.push_pull if period else None,
                upper_lower=period.upper_lower if period else None,
            )
        )
    window = ratios(list(totals), [v[0] for v in totals.values()]) if totals else None
    push_pull, upper_lower = (
        (_none_if_nan(window["push_pull"][0]), _none_if_nan(window["upper_lower"][0]))
        if window is not None
        else (None, None)
    )
    return MuscleBalance(
        weeks=out,
        totals=[
            MuscleSets(muscle=m, sets=v[0], volume_load_kg=v[1]) for m, v in sorted(totals.items())
        ],
        push_pull=push_pull,
        upper_lower=upper_lower,
        **freshness,
    )


def _none_if_nan(value: Any) -> float | None:
    """A ratio with nothing to divide by is NaN in the frame and null on the wire."""
    return None if pd.isna(value) else float(value)

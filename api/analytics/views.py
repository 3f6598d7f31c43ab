"""Rules for the load, balance, habits and period views (all read from precomputed rows).

The only arithmetic done here is what depends on *today*, which a precomputed row
cannot know: the load series' days after the latest training day (zero load, the
states decaying — :func:`models.training_load.series_by_athlete` continued from the
stored rows), the streak, and sums over a requested window.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import repository
from api.analytics.schemas import (
    BalanceWeek,
    Habits,
    LoadDay,
    LoadSeries,
    LoadWeek,
    MuscleBalance,
    MuscleSets,
    PeriodSummary,
)
from api.analytics.tables import AnalyticsState, DailyLoad, Period
from api.errors import Unprocessable
from api.users.tables import User
from models.analytics.balance import ratios
from models.analytics.habits import habits as habits_of
from models.analytics.training_load import HISTORY_DAYS, STATE_COLUMNS, series_by_athlete
from models.vocabulary import local_day, week_start

DEFAULT_LOAD_DAYS = 90
MAX_LOAD_DAYS = 3660
LOAD_UNIT = "AU (session-RPE scale)"


def local_today(user: User, now: datetime | None = None) -> date:
    """Today in the athlete's own time zone."""
    return local_day(now or datetime.now(ZoneInfo("UTC")), user.time_zone)


def _day(row: DailyLoad, projected: bool = False) -> LoadDay:
    return LoadDay(
        date=row.day,
        sessions=row.sessions,
        duration_s=row.duration_s,
        distance_m=row.distance_m,
        volume_load_kg=row.volume_load_kg,
        srpe_load=row.srpe_load,
        trimp=row.trimp,
        load=row.load,
        ctl=row.ctl,
        atl=row.atl,
        tsb=row.tsb,
        acwr_rolling=row.acwr_rolling,
        acwr_ewma=row.acwr_ewma,
        ramp_rate=row.ramp_rate,
        acwr_high=row.acwr_high,
        acwr_low=row.acwr_low,
        projected=projected,
    )


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

    Raises Unprocessable when ``end`` is before ``start`` or the range is longer than
    :data:`MAX_LOAD_DAYS`.
    """
    today = local_today(user)
    end = end or today
    start = start or end - timedelta(days=DEFAULT_LOAD_DAYS - 1)
    if end < start:
        raise Unprocessable("`to` must not be before `from`", code="invalid_range")
    if (end - start).days + 1 > MAX_LOAD_DAYS:
        raise Unprocessable(f"a range may span at most {MAX_LOAD_DAYS} days", code="range_too_long")
    rows = await repository.load_days(session, user_id=user.id, start=start, end=end)
    items = [_day(r) for r in rows]
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
        weeks=[
            LoadWeek(week_start=w.start, load=w.load, monotony=w.monotony, strain=w.strain)
            for w in weeks
        ],
        **freshness,
    )


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
        by_week.setdefault(r.week_start, []).append(
            MuscleSets(muscle=r.muscle, sets=r.sets, volume_load_kg=r.volume_load_kg)
        )
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


async def habits(session: AsyncSession, *, user: User, state: AnalyticsState | None) -> Habits:
    """Streak (DESIGN §5: consecutive ISO weeks with a workout up to this one; this week,
    while still empty, does not break it), sessions per week, usual days and hours."""
    found = habits_of(
        workouts=state.workouts if state else 0,
        first_workout_on=state.first_workout_on if state else None,
        weekday_counts=state.weekday_counts if state else [],
        hour_counts=state.hour_counts if state else [],
        week_starts=await repository.week_starts(session, user_id=user.id),
        today=local_today(user),
    )
    return Habits(
        streak_weeks=found.streak_weeks,
        sessions_per_week=found.sessions_per_week,
        weekday_share=found.weekday_share,
        hour_share=found.hour_share,
    )


def period_summary(row: Period) -> PeriodSummary:
    if row.period == "week":
        end = row.start + timedelta(days=6)
    else:
        end = row.start.replace(day=calendar.monthrange(row.start.year, row.start.month)[1])
    return PeriodSummary(
        start=row.start,
        end=end,
        sessions=row.sessions,
        duration_s=row.duration_s,
        distance_m=row.distance_m,
        sets=row.sets,
        reps=row.reps,
        volume_load_kg=row.volume_load_kg,
        srpe_load=row.srpe_load,
        trimp=row.trimp,
        load=row.load,
        prs=row.prs,
        monotony=row.monotony if row.period == "week" else None,
        strain=row.strain if row.period == "week" else None,
    )

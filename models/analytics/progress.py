"""An exercise's progress beyond the e1RM series: plateaus, and what pose detection says
about form and rep counts, week by week — plain Python over one exercise's training
days (the progress read calls it per request; a few hundred rows at most)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from models.vocabulary import week_start

PLATEAU_WEEKS = 6


@dataclass(slots=True, frozen=True)
class Plateau:
    """``plateaued``: no new best e1RM for the given weeks although still trained;
    ``best_e1rm_kg`` and ``best_on`` (the last day the best rose), ``weeks_without_gain``
    (days since ÷ 7) and ``sessions_since`` (training days of the exercise since)."""

    plateaued: bool
    best_e1rm_kg: float
    best_on: date
    weeks_without_gain: float
    sessions_since: int


def plateau(
    e1rm_days: Sequence[tuple[date, float]],
    trained_days: Iterable[date],
    *,
    today: date,
    weeks: int = PLATEAU_WEEKS,
) -> Plateau | None:
    """Whether an exercise has plateaued (DESIGN §5): its best e1RM last rose more than
    ``weeks`` weeks before ``today`` and it has been trained since with an e1RM (a break
    is not a plateau).

    ``e1rm_days``: ``(day, best e1RM kg)`` per day with an e1RM, any order;
    ``trained_days``: every day the exercise was trained. None without e1RM days.
    """
    if not e1rm_days:
        return None
    ordered = sorted(e1rm_days, key=lambda row: row[0])
    best, best_on = ordered[0][1], ordered[0][0]
    for day, value in ordered[1:]:
        if value > best:  # a tie is no new best: the earlier day keeps it
            best, best_on = value, day
    trained_since = ordered[-1][0] > best_on
    return Plateau(
        plateaued=trained_since and best_on < today - timedelta(weeks=weeks),
        best_e1rm_kg=best,
        best_on=best_on,
        weeks_without_gain=(today - best_on).days / 7,
        sessions_since=sum(1 for day in trained_days if day > best_on),
    )


@dataclass(slots=True, frozen=True)
class PoseWeek:
    """One ISO week of pose data: sets with a form score and their mean score (0–1),
    sets with a detected rep count and the mean detected − logged reps (negative: the
    phone saw fewer reps than were logged); means None without such sets."""

    week_start: date
    form_sets: int
    mean_form_score: float | None
    detected_sets: int
    rep_discrepancy: float | None


def pose_weeks(
    days: Iterable[tuple[date, int, float | None, int, float | None]],
) -> list[PoseWeek]:
    """Weekly pose means from daily ones, weighted by the sets behind each.

    ``days``: ``(day, form_sets, mean_form_score, detected_sets, rep_discrepancy)`` per
    training day of one exercise. Weeks without pose data have no row; sorted by week.
    """
    weeks: dict[date, list[float]] = {}
    for day, form_sets, form, detected_sets, gap in days:
        if not form_sets and not detected_sets:
            continue
        w = weeks.setdefault(week_start(day), [0, 0.0, 0, 0.0])
        w[0] += form_sets
        w[1] += (form or 0.0) * form_sets
        w[2] += detected_sets
        w[3] += (gap or 0.0) * detected_sets
    return [
        PoseWeek(
            week_start=week,
            form_sets=int(v[0]),
            mean_form_score=v[1] / v[0] if v[0] else None,
            detected_sets=int(v[2]),
            rep_discrepancy=v[3] / v[2] if v[2] else None,
        )
        for week, v in sorted(weeks.items())
    ]

"""Every derived analytics table of a group of athletes, in full or from a day on.

Pure pandas/numpy, vectorised over all sets of all athletes in the call (a rebuild
shard holds thousands): no loop per set, per day or per athlete.

**Incremental equals full.** A change on local day *s* can only alter rows dated on
or after ``read_from = min(Monday of s's week, 1st of s's month)`` — every table is
keyed by a day, a week or a month starting there or later. :func:`derive` given
the athlete's raw rows from ``read_from`` on and a :class:`Previous` (the load
series' last 28 days and the PR events before ``read_from``) returns exactly the
rows a full computation would hold from ``read_from`` on. Two quantities reach
back further and are carried in :class:`Previous`: the load series' recursions and
windows (CTL/ATL/EWMA states, 28 days of loads) and the running rep-max records.

Input frames (``user_id`` on every row; days are ``datetime64[ns]`` local midnights):

* ``sets`` — ``user_id, workout_id, set_id, exercise_id, exercise_kind, day,
  performed_at (UTC), position, set_type, weight_kg, reps, rpe, rir, detected_reps,
  form_score`` (floats NaN = none).
* ``workouts`` — ``user_id, workout_id, day, duration_s, session_rpe, cardio_load,
  cardio_method, cardio_trimp, distance_m``.
* ``muscles`` — ``exercise_id, muscle, share`` (1.0 primary, 0.5 secondary).
* ``body_mass`` — ``user_id, day, body_mass_kg`` (every measurement, any date).

Definitions are DESIGN.md §5's; each function below names its source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.analytics.frames import (
    EVENT_COLUMNS,
    Derived,
    Inputs,
    Previous,
    typed,
)
from models.analytics.periods import periods
from models.analytics.strength import (
    current_prs,
    e1rm_daily,
    exercise_daily,
    muscle_weeks,
    pr_events,
    working_sets,
)
from models.analytics.training_load import load_days, sessions_with_load


class _Codes:
    """Ids as integer codes inside :func:`derive` (grouping and sorting strings of UUIDs
    cost more than all the arithmetic); decoded on the way out."""

    def __init__(self, inputs: Inputs, previous: Previous | None) -> None:
        events = previous.events if previous is not None else None
        history = previous.history if previous is not None else None

        def pool(*columns: pd.Series | None) -> np.ndarray:
            parts = [c.to_numpy(dtype=object) for c in columns if c is not None and len(c)]
            return pd.unique(np.concatenate(parts)) if parts else np.array([], dtype=object)

        self.uniques = {
            "user_id": pool(
                inputs.sets["user_id"], inputs.workouts["user_id"], inputs.body_mass["user_id"],
                history["user_id"] if history is not None else None,
                events["user_id"] if events is not None else None,
                previous.read_from.index.to_series() if previous is not None else None,
            ),
            "exercise_id": pool(
                inputs.sets["exercise_id"], inputs.muscles["exercise_id"],
                events["exercise_id"] if events is not None else None,
            ),
            "workout_id": pool(
                inputs.sets["workout_id"], inputs.workouts["workout_id"],
                events["workout_id"] if events is not None else None,
            ),
        }  # fmt: skip
        self.index = {k: pd.Index(v) for k, v in self.uniques.items()}

    def encode(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for column, index in self.index.items():
            if column in out:
                out[column] = index.get_indexer(out[column].to_numpy(dtype=object))
        return out

    def decode(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for column, uniques in self.uniques.items():
            if column in out and len(out):
                out[column] = uniques[out[column].to_numpy(dtype=np.int64)]
        return out

    def decode_series(self, series: pd.Series) -> pd.Series:
        return pd.Series(
            series.to_numpy(), index=self.uniques["user_id"][series.index.to_numpy(dtype=np.int64)]
        )


def derive(inputs: Inputs, previous: Previous | None = None) -> Derived:
    """Every derived table of the athletes in ``inputs`` (module docstring: columns).

    Without ``previous``: the full computation from all their rows. With it: the
    rows from each athlete's ``previous.read_from`` on, ``inputs`` holding only rows
    dated from there (workouts and sets by local day); equal to the full result's rows
    from there on (the property the tests check).

    Returns
    -------
    Derived
        Frames keyed by ``user_id`` and a day, week or month start; ``prs`` are the
        standing records from all events (kept and new).
    """
    inputs = typed(inputs)
    codes = _Codes(inputs, previous)
    inputs = Inputs(
        sets=codes.encode(inputs.sets).assign(
            _tie=pd.util.hash_array(inputs.sets["set_id"].to_numpy(dtype=object))
        ),
        workouts=codes.encode(inputs.workouts),
        muscles=codes.encode(inputs.muscles),
        body_mass=codes.encode(inputs.body_mass),
    )
    if previous is not None:
        previous = Previous(
            read_from=pd.Series(
                previous.read_from.to_numpy(),
                index=codes.index["user_id"].get_indexer(
                    previous.read_from.index.to_numpy(dtype=object)
                ),
            ),
            history=codes.encode(previous.history),
            last_active=pd.Series(
                previous.last_active.to_numpy(),
                index=codes.index["user_id"].get_indexer(
                    previous.last_active.index.to_numpy(dtype=object)
                ),
            ),
            events=codes.encode(previous.events),
        )
    work = working_sets(inputs.sets)
    sessions = sessions_with_load(inputs.workouts, work)
    before = previous.events if previous is not None else pd.DataFrame(columns=EVENT_COLUMNS)
    events = pr_events(work, before)
    daily, delete_from = load_days(sessions, work, previous)
    weekly_muscles = muscle_weeks(work, inputs.muscles)
    summaries = periods(sessions, work, events, daily, weekly_muscles)
    if previous is not None:
        floor = previous.read_from
        summaries = summaries[summaries["start"] >= summaries["user_id"].map(floor)]
        weekly_muscles = weekly_muscles[
            weekly_muscles["week_start"] >= weekly_muscles["user_id"].map(floor)
        ]
    everything = pd.concat([before, events], ignore_index=True) if len(before) else events
    return Derived(
        daily=codes.decode(daily),
        e1rm=codes.decode(e1rm_daily(work, inputs.body_mass)),
        exercise_daily=codes.decode(exercise_daily(work)),
        events=codes.decode(events),
        prs=codes.decode(current_prs(everything)),
        periods=codes.decode(summaries.reset_index(drop=True)),
        muscles=codes.decode(weekly_muscles.reset_index(drop=True)),
        daily_delete_from=codes.decode_series(delete_from),
    )

"""Point-in-time features of the coach: one row per (athlete, exercise, as-of time).

(stub of the contract; the implementation follows)
"""

from __future__ import annotations

#: The model's inputs, in order (all float64; NaN where unknown — the estimator takes NaN).
FEATURES: tuple[str, ...] = (
    "level_kg",  # best e1RM of the last session of the exercise (kg)
    "mean3_ratio",  # mean best e1RM of the last 3 sessions ÷ level
    "mean6_ratio",
    "max6_ratio",
    "median12_ratio",
    "slope3_wk",  # OLS slope of ln(best e1RM) over the last 3 sessions, per week
    "slope6_wk",
    "slope12_wk",
    "slope4w_wk",  # the same over the sessions of the last 4 / 12 weeks
    "slope12w_wk",
    "days_since",  # days from the last session of the exercise to the as-of day
    "sessions_28d",  # sessions of the exercise in the 28 days before as-of
    "sessions_total",  # sessions of the exercise before as-of
    "ctl",  # the athlete's CTL, ATL, TSB, rolling ACWR on the day before as-of (DESIGN §5)
    "atl",
    "tsb",
    "acwr",
    "muscle_volume_7d_kg",  # volume load of the exercise's muscle groups in the last 7 days
    "muscle_volume_ratio",  # ÷ the weekly mean of the 28 days before
    "rpe_last",  # top-set RPE of the last session (NaN: none logged)
    "rpe_drift",  # mean RPE of the last 3 sessions − of the 6 before
    "rir_last",  # mean reps in reserve of the last session's working sets
    "top_reps_last",  # reps of the last session's top set
    "working_sets_last",  # working sets of the last session
    "last_intensity",  # last session's top-set weight ÷ level
    "training_age_days",  # days since the athlete's first workout
    "break_days",  # the longest gap between the athlete's workouts in the last 12 weeks
    "body_mass_kg",  # latest body mass before as-of (NaN: none)
    "relative_level",  # level ÷ body mass
    "unit_lb",  # 1 when the last session's weights arrived in lb, else 0
)

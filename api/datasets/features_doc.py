"""Unit and meaning of each of the coach's features (:data:`models.coaching.features.FEATURES`),
as the ``features`` dataset documents them. A unit test checks every feature is here."""

from __future__ import annotations

_RATIO = "ratio"

FEATURE_DOCS: dict[str, tuple[str | None, str]] = {
    "level_kg": ("kg", "best e1RM of the last session of the exercise"),
    "mean3_ratio": (_RATIO, "mean best e1RM of the last 3 sessions ÷ level"),
    "mean6_ratio": (_RATIO, "mean best e1RM of the last 6 sessions ÷ level"),
    "max6_ratio": (_RATIO, "highest best e1RM of the last 6 sessions ÷ level"),
    "median12_ratio": (_RATIO, "median best e1RM of the last 12 sessions ÷ level"),
    "slope3_wk": ("1/week", "OLS slope of ln(best e1RM) over the last 3 sessions"),
    "slope6_wk": ("1/week", "OLS slope of ln(best e1RM) over the last 6 sessions"),
    "slope12_wk": ("1/week", "OLS slope of ln(best e1RM) over the last 12 sessions"),
    "slope4w_wk": ("1/week", "OLS slope of ln(best e1RM) over the sessions of the last 4 weeks"),
    "slope12w_wk": ("1/week", "the same over the sessions of the last 12 weeks"),
    "days_since": ("d", "days from the last session of the exercise to the as-of day"),
    "sessions_28d": ("sessions", "sessions of the exercise in the 28 days before as-of"),
    "sessions_total": ("sessions", "sessions of the exercise before as-of"),
    "ctl": ("AU", "the athlete's CTL on the day before as-of"),
    "atl": ("AU", "the athlete's ATL on the day before as-of"),
    "tsb": ("AU", "the athlete's TSB on the day before as-of"),
    "acwr": (_RATIO, "the athlete's rolling ACWR on the day before as-of"),
    "muscle_volume_7d_kg": ("kg", "volume load of the exercise's muscles in the last 7 days"),
    "muscle_volume_ratio": (_RATIO, "that ÷ the weekly mean of the 28 days before"),
    "rpe_last": ("RPE", "top-set RPE of the last session (null: none logged)"),
    "rpe_drift": ("RPE", "mean RPE of the last 3 sessions − of the 6 before"),
    "rir_last": ("reps", "mean reps in reserve of the last session's working sets"),
    "top_reps_last": ("reps", "reps of the last session's top set"),
    "working_sets_last": ("sets", "working sets of the last session"),
    "last_intensity": (_RATIO, "last session's top-set weight ÷ level"),
    "training_age_days": ("d", "days since the athlete's first workout"),
    "break_days": ("d", "longest gap between the athlete's last 10 workout days and as-of"),
    "body_mass_kg": ("kg", "latest body mass before as-of (null: none)"),
    "relative_level": ("kg/kg", "level ÷ body mass"),
    "unit_lb": (None, "1 when the last session's weights arrived in lb, else 0"),
}

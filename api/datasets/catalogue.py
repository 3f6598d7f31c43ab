"""The datasets, as data: each one's columns (name, Arrow type, unit, meaning), the SQL
that computes them, the column date filters apply to, and where its freshness comes from.

Every dataset's rows join ``user_pseudonyms`` of the current key period (parameter
``%(period)s``) for the ``athlete`` column; none selects a user id, an e-mail or a name.
Workout titles, free-text notes and the names athletes give their own exercises are
columns flagged ``notes``: they exist only when ``FORMA_DATASETS_ALLOW_NOTES`` is on.
Workout, set, exercise and recommendation ids stay: they are random UUIDs (the
catalogue's are fixed), not personal, and join the datasets to each other.

The column and dataset types live in :mod:`api.datasets.columns` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Mapping

from api.datasets.columns import (
    ATHLETE,
    BOOL,
    CAT,
    CUSTOM_EXERCISE,
    DAY,
    EXERCISE,
    F64,
    FORMATS,
    I32,
    I64,
    STR,
    TS,
    ColumnDoc,
    Dataset,
    col,
    pseudonym_join,
)
from api.datasets.features_doc import FEATURE_DOCS
from models.coaching.features import FEATURES
from models.vocabulary import COUNTED_SET_TYPES, UNLOADED_KINDS, local_day_sql, sql_list

_LOCAL_DAY = local_day_sql("w.started_at", "w.time_zone")
_COUNTED = f"ws.set_type IN {sql_list(COUNTED_SET_TYPES)}"
_WORKOUTS_FRESH = "SELECT max(updated_at) FROM workouts"
_ANALYTICS_FRESH = "SELECT max(refreshed_at) FROM analytics_state"


WORKOUTS = Dataset(
    name="workouts",
    description="One row per workout (strength or cardio) that is not deleted, with what "
    "its sets add up to.",
    time_column="day",
    count_table="workouts",
    # the per-workout aggregate and the cardio join add columns, never rows
    count_from="FROM workouts w " + pseudonym_join("w.user_id"),
    freshness_sql=_WORKOUTS_FRESH,
    from_sql=(
        "FROM workouts w "
        + pseudonym_join("w.user_id")
        + " LEFT JOIN cardio_sessions c ON c.workout_id = w.id "
        # one aggregate of every set, hash-joined; OFFSET 0 keeps the planner from pushing
        # the join into it (an aggregate per workout was 20–80× slower)
        "LEFT JOIN (SELECT ws.workout_id, count(*) AS sets, "
        f"count(*) FILTER (WHERE {_COUNTED}) AS working_sets, "
        f"sum(ws.reps) FILTER (WHERE {_COUNTED}) AS reps, "
        f"sum(COALESCE(ws.weight_kg * ws.reps, 0)) FILTER (WHERE {_COUNTED} "
        f"AND e.kind NOT IN {sql_list(UNLOADED_KINDS)}) AS volume_load_kg, "
        "count(DISTINCT ws.exercise_id) AS exercises "
        "FROM workout_sets ws JOIN exercises e ON e.id = ws.exercise_id "
        "GROUP BY ws.workout_id OFFSET 0) agg ON agg.workout_id = w.id"
    ),
    where=("w.deleted_at IS NULL",),
    columns=(
        col("workout_id", STR, "w.id", None, "the workout's id (a random UUID)"),
        ATHLETE,
        col("started_at", TS, "w.started_at", None, "when the workout started (UTC)"),
        col("ended_at", TS, "w.ended_at", None, "when it ended (UTC); null: not recorded"),
        col("day", DAY, _LOCAL_DAY, None, "the athlete's local calendar day of the start"),
        col("time_zone", CAT, "w.time_zone", None, "IANA time zone the workout happened in"),
        col(
            "duration_s",
            F64,
            "extract(epoch FROM w.ended_at - w.started_at)::float8",
            "s",
            "ended_at − started_at; null without an end",
        ),
        col("session_rpe", F64, "w.session_rpe", "CR-10", "session RPE (0–10, Foster 2001)"),
        col("source", CAT, "w.source", None, "where it came from: api, or the import format"),
        col("sport", CAT, "c.sport", None, "cardio sport (run, ride, …); null: strength"),
        col("sets", I32, "COALESCE(agg.sets, 0)::int4", "sets", "sets logged, warm-ups too"),
        col(
            "working_sets",
            I32,
            "COALESCE(agg.working_sets, 0)::int4",
            "sets",
            "sets that count: working, drop and failure sets (not warm-ups)",
        ),
        col("reps", I64, "COALESCE(agg.reps, 0)::int8", "reps", "reps of the sets that count"),
        col(
            "volume_load_kg",
            F64,
            "COALESCE(agg.volume_load_kg, 0)::float8",
            "kg",
            "volume load: Σ weight × reps over the sets that count (assisted sets add none)",
        ),
        col("exercises", I32, "COALESCE(agg.exercises, 0)::int4", None, "distinct exercises"),
        col("created_at", TS, "w.created_at", None, "when Forma first stored it (UTC)"),
        col("updated_at", TS, "w.updated_at", None, "its last change (UTC)"),
        col("title", STR, "w.title", None, "the workout's title", text=True, notes=True),
        col("notes", STR, "w.notes", None, "the athlete's notes", text=True, notes=True),
    ),
)

SETS = Dataset(
    name="sets",
    description="One row per set of a workout that is not deleted, with its workout's "
    "start and local day and its exercise's name, kind and equipment.",
    time_column="day",
    count_table="workout_sets",
    freshness_sql=_WORKOUTS_FRESH,
    from_sql=(
        "FROM workout_sets s JOIN workouts w ON w.id = s.workout_id "
        "JOIN exercises e ON e.id = s.exercise_id " + pseudonym_join("s.user_id")
    ),
    where=("w.deleted_at IS NULL",),
    columns=(
        col("set_id", STR, "s.id", None, "the set's id (a random UUID)"),
        col("workout_id", STR, "s.workout_id", None, "its workout's id"),
        ATHLETE,
        col("started_at", TS, "w.started_at", None, "when the workout started (UTC)"),
        col("day", DAY, _LOCAL_DAY, None, "the athlete's local calendar day of the workout"),
        col("position", I32, "s.position", None, "the set's position in the workout (0 first)"),
        col("exercise_id", STR, "s.exercise_id", None, "the exercise's id (catalogue: stable)"),
        EXERCISE,
        CUSTOM_EXERCISE,
        col(
            "exercise_kind",
            CAT,
            "e.kind",
            None,
            "strength, bodyweight, assisted (weight is help), timed or cardio",
        ),
        col("equipment", CAT, "e.equipment", None, "barbell, dumbbell, machine, …"),
        col(
            "primary_muscles",
            CAT,
            "array_to_string(e.primary_muscles, ',')",
            None,
            "the exercise's primary muscle groups, comma-separated",
        ),
        col("set_type", CAT, "s.set_type", None, "working, warmup, dropset or failure"),
        col("weight_kg", F64, "s.weight_kg", "kg", "load lifted (assisted: the help)"),
        col("reps", I32, "s.reps", "reps", "repetitions done"),
        col("duration_s", F64, "s.duration_s", "s", "duration (timed and cardio sets)"),
        col("distance_m", F64, "s.distance_m", "m", "distance (cardio sets)"),
        col("rpe", F64, "s.rpe", "RPE", "rating of perceived exertion, 1–10 in 0.5 steps"),
        col("rir", F64, "s.rir", "reps", "reps in reserve, 0–10"),
        col("weight_unit", CAT, "s.weight_unit", None, "the unit the weight arrived in"),
        col("distance_unit", CAT, "s.distance_unit", None, "the unit the distance arrived in"),
        col("detected_reps", I32, "s.detected_reps", "reps", "reps counted by pose detection"),
        col("form_score", F64, "s.form_score", "0–1", "form score from pose detection"),
        col(
            "tempo",
            CAT,
            "s.tempo",
            "s",
            "tempo eccentric-pause-concentric-pause, e.g. 3-1-1-0",
            text=True,
        ),
        col("notes", STR, "s.notes", None, "the athlete's note on the set", text=True, notes=True),
    ),
)

CARDIO_SESSIONS = Dataset(
    name="cardio_sessions",
    description="One row per cardio workout (not deleted): summary of its recording and "
    "its training load.",
    time_column="day",
    count_table="cardio_sessions",
    freshness_sql=_WORKOUTS_FRESH,
    from_sql=(
        "FROM cardio_sessions c JOIN workouts w ON w.id = c.workout_id "
        + pseudonym_join("c.user_id")
    ),
    where=("w.deleted_at IS NULL",),
    columns=(
        col("workout_id", STR, "c.workout_id", None, "the workout's id"),
        ATHLETE,
        col("started_at", TS, "w.started_at", None, "when it started (UTC)"),
        col("day", DAY, _LOCAL_DAY, None, "the athlete's local calendar day of the start"),
        col("sport", CAT, "c.sport", None, "run, ride, swim, walk, hike, row or other"),
        col("sport_label", CAT, "c.sport_label", None, "the source's own sport name", text=True),
        col("elapsed_s", F64, "c.elapsed_s", "s", "elapsed time"),
        col("moving_s", F64, "c.moving_s", "s", "moving time"),
        col("distance_m", F64, "c.distance_m", "m", "distance"),
        col("elev_gain_m", F64, "c.elev_gain_m", "m", "elevation gained"),
        col("elev_loss_m", F64, "c.elev_loss_m", "m", "elevation lost"),
        col("avg_hr", F64, "c.avg_hr", "bpm", "mean heart rate"),
        col("max_hr", F64, "c.max_hr", "bpm", "highest heart rate"),
        col("avg_power_w", F64, "c.avg_power_w", "W", "mean power"),
        col("avg_cadence", F64, "c.avg_cadence", "rpm", "mean cadence (steps or pedal turns)"),
        col("avg_speed_mps", F64, "c.avg_speed_mps", "m/s", "mean moving speed"),
        col("pace_s_per_km", F64, "c.pace_s_per_km", "s/km", "mean pace"),
        col("points", I32, "c.points", None, "recorded stream points"),
        col("trimp", F64, "c.trimp", "AU", "Banister TRIMP"),
        col("srpe_load", F64, "c.srpe_load", "AU", "session RPE × minutes (Foster 2001)"),
        col("load", F64, "c.load", "AU", "the training load used (by load_method)"),
        col("load_method", CAT, "c.load_method", None, "trimp, srpe or duration"),
        col(
            "load_assumptions",
            CAT,
            "(SELECT string_agg(x, ',') FROM jsonb_array_elements_text(c.load_assumptions) x)",
            None,
            "what the load assumed (HRmax, HRrest, sex), comma-separated; null: nothing",
        ),
    ),
)

DAILY_LOAD = Dataset(
    name="daily_load",
    description="One row per athlete and local day from their first to their last training "
    "day: the day's totals and the fitness–fatigue model (CTL, ATL, TSB, ACWR).",
    time_column="day",
    count_table="analytics_daily_load",
    freshness_sql=_ANALYTICS_FRESH,
    from_sql="FROM analytics_daily_load l " + pseudonym_join("l.user_id"),
    columns=(
        ATHLETE,
        col("day", DAY, "l.day", None, "the athlete's local calendar day"),
        col("sessions", I32, "l.sessions", None, "workouts that day"),
        col("duration_s", F64, "l.duration_s", "s", "their total duration"),
        col("distance_m", F64, "l.distance_m", "m", "cardio distance"),
        col("volume_load_kg", F64, "l.volume_load_kg", "kg", "volume load (Σ weight × reps)"),
        col("srpe_load", F64, "l.srpe_load", "AU", "session RPE × minutes"),
        col("trimp", F64, "l.trimp", "AU", "Banister TRIMP"),
        col("load", F64, "l.load", "AU", "the day's training load"),
        col("ctl", F64, "l.ctl", "AU", "chronic training load (fitness; τ = 42 d)"),
        col("atl", F64, "l.atl", "AU", "acute training load (fatigue; τ = 7 d)"),
        col("tsb", F64, "l.tsb", "AU", "form going into the day: CTL − ATL of the day before"),
        col("ewma_acute", F64, "l.ewma_acute", "AU", "EWMA load, N = 7 (Williams 2017)"),
        col("ewma_chronic", F64, "l.ewma_chronic", "AU", "EWMA load, N = 28"),
        col("acwr_rolling", F64, "l.acwr_rolling", "ratio", "7-day ÷ 28-day mean load"),
        col("acwr_ewma", F64, "l.acwr_ewma", "ratio", "EWMA acute ÷ chronic"),
        col("ramp_rate", F64, "l.ramp_rate", "AU/week", "CTL change over the last 7 days"),
        col("acwr_high", BOOL, "l.acwr_high", None, "ACWR above 1.5"),
        col("acwr_low", BOOL, "l.acwr_low", None, "ACWR below 0.8"),
    ),
)

EXERCISE_PROGRESS = Dataset(
    name="exercise_progress",
    description="One row per athlete, exercise and local day trained: the day's sets, "
    "volume and pose data, and its best e1RM (null where no set qualified).",
    time_column="day",
    count_table="analytics_exercise_daily",
    freshness_sql=_ANALYTICS_FRESH,
    from_sql=(
        "FROM analytics_exercise_daily d FULL JOIN analytics_e1rm_daily m "
        "USING (user_id, exercise_id, day) AS k "
        "JOIN exercises e ON e.id = k.exercise_id " + pseudonym_join("k.user_id")
    ),
    columns=(
        ATHLETE,
        col("exercise_id", STR, "k.exercise_id", None, "the exercise's id"),
        EXERCISE,
        CUSTOM_EXERCISE,
        col("exercise_kind", CAT, "e.kind", None, "strength, bodyweight, assisted, timed, cardio"),
        col("day", DAY, "k.day", None, "the athlete's local calendar day"),
        col("sets", I32, "d.sets", "sets", "sets that count (not warm-ups)"),
        col("reps", I32, "d.reps", "reps", "their reps"),
        col("volume_load_kg", F64, "d.volume_load_kg", "kg", "volume load"),
        col("max_reps", I32, "d.max_reps", "reps", "most reps in one set"),
        col("form_sets", I32, "d.form_sets", "sets", "sets with a form score"),
        col("mean_form_score", F64, "d.mean_form_score", "0–1", "their mean form score"),
        col("detected_sets", I32, "d.detected_sets", "sets", "sets with detected reps"),
        col(
            "rep_discrepancy",
            F64,
            "d.rep_discrepancy",
            "reps",
            "mean |logged − detected| reps over those sets",
        ),
        col("e1rm_kg", F64, "m.e1rm_kg", "kg", "best Epley e1RM of the day"),
        col("e1rm_weight_kg", F64, "m.weight_kg", "kg", "weight of the set behind it"),
        col("e1rm_reps", I32, "m.reps", "reps", "reps of the set behind it"),
        col("brzycki_kg", F64, "m.brzycki_kg", "kg", "best Brzycki e1RM of the day"),
        col("e1rm_rir_kg", F64, "m.e1rm_rir_kg", "kg", "best RIR-adjusted Epley e1RM"),
        col("body_mass_kg", F64, "m.body_mass_kg", "kg", "latest body mass on or before the day"),
        col("relative_strength", F64, "m.relative_strength", "kg/kg", "e1RM ÷ body mass"),
    ),
)

#: the training run whose features a request without ``run_id`` reads
DEFAULT_RUN_SQL = (
    "SELECT v.run_id FROM model_versions v WHERE v.run_id IS NOT NULL AND EXISTS "
    "(SELECT 1 FROM model_features f WHERE f.run_id = v.run_id) "
    "ORDER BY v.created_at DESC, v.version DESC LIMIT 1"
)

FEATURES_DATASET = Dataset(
    name="features",
    description="The coach's point-in-time feature table of one training run (`run_id`; "
    "default: the latest run that produced a model version): per athlete, exercise and "
    "as-of time the features built only from what happened before, the label, both "
    "baselines' forecasts and the time split the training used.",
    time_column="day",
    count_table="model_features",
    per_run=True,
    freshness_sql=f"SELECT finished_at FROM model_runs WHERE id = ({DEFAULT_RUN_SQL})",
    from_sql="FROM model_features f JOIN exercises e ON e.id = f.exercise_id "
    + pseudonym_join("f.user_id"),
    columns=(
        col("run_id", STR, "f.run_id", None, "the training run"),
        ATHLETE,
        col("exercise_id", STR, "f.exercise_id", None, "the exercise's id"),
        EXERCISE,
        CUSTOM_EXERCISE,
        col("as_of", TS, "f.as_of", None, "the features see only what happened before (UTC)"),
        col("day", DAY, "f.day", None, "the athlete's local day of as_of"),
        col("split", CAT, "f.split", None, "the time split: train, validation or test"),
        col(
            "label_e1rm_kg",
            F64,
            "f.label_e1rm_kg",
            "kg",
            "label: best working-set e1RM (Epley) of the session at as_of",
        ),
        col("persistence_kg", F64, "f.persistence_kg", "kg", "baseline: last session's value"),
        col("trend_kg", F64, "f.trend_kg", "kg", "baseline: the athlete's own recent trend"),
        *(col(n, F64, f"f.{n}", *FEATURE_DOCS[n]) for n in FEATURES),
    ),
)

RECOMMENDATION_FEEDBACK = Dataset(
    name="recommendation_feedback",
    description="One row per answered prescription: what the coach prescribed (model "
    "version or rule, forecast and interval, the first prescribed set) and what the "
    "athlete answered.",
    time_column="answered_at",
    count_table="recommendation_feedback",
    freshness_sql="SELECT max(updated_at) FROM recommendation_feedback",
    from_sql=(
        "FROM recommendation_feedback fb JOIN recommendations r ON r.id = fb.recommendation_id "
        "JOIN exercises e ON e.id = r.exercise_id " + pseudonym_join("fb.user_id")
    ),
    columns=(
        col("recommendation_id", STR, "r.id", None, "the prescription's id"),
        ATHLETE,
        col("exercise_id", STR, "r.exercise_id", None, "the exercise's id"),
        EXERCISE,
        CUSTOM_EXERCISE,
        col("recommended_at", TS, "r.created_at", None, "when it was prescribed (UTC)"),
        col("as_of", TS, "r.as_of", None, "the data it was scored on reached this time (UTC)"),
        col("model_name", CAT, "r.model_name", None, "the model (null: a rule answered)"),
        col("model_version", I32, "r.model_version", None, "the model's version"),
        col("rule", CAT, "r.rule", None, "the rule that answered (null: a model did)"),
        col("rank", I32, "r.rank", None, "rank among the athlete's main exercises (0 first)"),
        col("predicted_e1rm_kg", F64, "r.predicted_e1rm_kg", "kg", "forecast next e1RM"),
        col("interval_low_kg", F64, "r.interval_low_kg", "kg", "its interval's low end"),
        col("interval_high_kg", F64, "r.interval_high_kg", "kg", "its interval's high end"),
        col("unit", CAT, "r.unit", None, "unit the athlete sees weights in (kg or lb)"),
        col(
            "prescribed_sets",
            I32,
            "jsonb_array_length(r.sets)",
            "sets",
            "sets prescribed",
        ),
        col(
            "prescribed_weight_kg",
            F64,
            "(r.sets->0->>'weight_kg')::float8",
            "kg",
            "weight of the first prescribed set",
        ),
        col("prescribed_reps", I32, "(r.sets->0->>'reps')::int4", "reps", "its reps"),
        col("prescribed_rpe", F64, "(r.sets->0->>'target_rpe')::float8", "RPE", "its target RPE"),
        col("outcome", CAT, "fb.outcome", None, "done_as_prescribed, changed or skipped"),
        col(
            "done_sets",
            I32,
            "CASE WHEN jsonb_typeof(fb.sets) = 'array' THEN jsonb_array_length(fb.sets) END",
            "sets",
            "for `changed`: sets actually done",
        ),
        col(
            "done_weight_kg",
            F64,
            "CASE WHEN jsonb_typeof(fb.sets) = 'array' THEN (SELECT max((x->>'weight_kg')"
            "::float8) FROM jsonb_array_elements(fb.sets) x) END",
            "kg",
            "for `changed`: the heaviest weight actually done",
        ),
        col("answered_at", TS, "fb.created_at", None, "when the athlete first answered (UTC)"),
        col("updated_at", TS, "fb.updated_at", None, "their latest answer (UTC)"),
    ),
)

__all__ = [
    "BOOL",
    "CAT",
    "DATASETS",
    "DAY",
    "DEFAULT_RUN_SQL",
    "F64",
    "FORMATS",
    "I32",
    "I64",
    "STR",
    "TS",
    "ColumnDoc",
    "Dataset",
]

DATASETS: Mapping[str, Dataset] = {
    d.name: d
    for d in (
        WORKOUTS,
        SETS,
        CARDIO_SESSIONS,
        DAILY_LOAD,
        EXERCISE_PROGRESS,
        FEATURES_DATASET,
        RECOMMENDATION_FEEDBACK,
    )
}

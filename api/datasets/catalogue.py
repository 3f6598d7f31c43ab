"""The datasets, as data: each one's columns (name, Arrow type, unit, meaning), the SQL
that computes them, the column date filters apply to, and where its freshness comes from.

Every dataset's rows join ``user_pseudonyms`` of the current key period (parameter
``%(period)s``) for the ``athlete`` column; none selects a user id, an e-mail or a name.
Workout titles and free-text notes are columns flagged ``notes``: they exist only when
``FORMA_DATASETS_ALLOW_NOTES`` is on. Workout, set and recommendation ids stay: they are
random UUIDs, not personal, and join the datasets to each other.

Types: timestamps are ``timestamp[us, tz=UTC]``, an athlete's local days ``date32``,
low-cardinality text ``dictionary<int32, string>`` (pandas categoricals).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pyarrow as pa

from api.datasets.features_doc import FEATURE_DOCS
from models.coaching.features import FEATURES
from models.vocabulary import COUNTED_SET_TYPES, UNLOADED_KINDS, local_day_sql, sql_list

if TYPE_CHECKING:
    from api.datasets.stream import Column

TS = pa.timestamp("us", tz="UTC")
DAY = pa.date32()
F64 = pa.float64()
I32 = pa.int32()
I64 = pa.int64()
STR = pa.string()
CAT = pa.dictionary(pa.int32(), pa.string())
BOOL = pa.bool_()

FORMATS = ("parquet", "arrow", "csv")


@dataclass(frozen=True)
class ColumnDoc:
    """One documented output column: the stream's column (name, type, ``text``) with its
    SQL expression, unit (None: none applies) and meaning."""

    name: str
    type: pa.DataType
    sql: str
    unit: str | None
    description: str
    #: user-typed text: cells a spreadsheet would execute are neutralised in CSV
    text: bool = False
    #: a title or free-text note: present only when the notes setting allows it
    notes: bool = False

    def column(self) -> Column:
        """The streaming engine's view of this column."""
        from api.datasets.stream import Column

        return Column(name=self.name, type=self.type, text=self.text)


@dataclass(frozen=True)
class Dataset:
    """A dataset: its SQL (``FROM`` with joins and fixed conditions), its columns, the
    column date filters apply to and how its size and freshness are measured."""

    name: str
    description: str
    #: the output column ``since``/``until`` filter on (a local day or a UTC timestamp)
    time_column: str | None
    columns: tuple[ColumnDoc, ...]
    from_sql: str
    where: tuple[str, ...] = ()
    #: the table whose planner estimate stands in for a count past a million rows
    count_table: str | None = None
    #: a leaner FROM with the same rows, for counting (default: ``from_sql``)
    count_from: str | None = None
    #: one value: the newest change that fed the dataset (NULL: nothing yet)
    freshness_sql: str = "SELECT NULL::timestamptz"
    #: rows belong to one training run (``run_id`` filter; default: the latest with a version)
    per_run: bool = False

    def visible(self, allow_notes: bool) -> tuple[ColumnDoc, ...]:
        """The columns an analyst may see: notes and titles only when allowed."""
        return tuple(c for c in self.columns if allow_notes or not c.notes)

    def column(self, name: str) -> ColumnDoc:
        """The column named ``name`` (KeyError when there is none)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def time_kind(self) -> Literal["date", "timestamp"] | None:
        """Whether the time column is a local day or a UTC timestamp."""
        if self.time_column is None:
            return None
        return "date" if self.column(self.time_column).type == DAY else "timestamp"


def _pseudonym(user_id: str) -> str:
    return f"JOIN user_pseudonyms p ON p.user_id = {user_id} AND p.period = %(period)s"


ATHLETE = ColumnDoc(
    "athlete",
    STR,
    "p.pseudonym",
    None,
    "the athlete's pseudonym: a keyed hash of their account, stable within the key period "
    "(response header `X-Forma-Key-Period`); never their id, e-mail or name",
)
_LOCAL_DAY = local_day_sql("w.started_at", "w.time_zone")
_COUNTED = f"ws.set_type IN {sql_list(COUNTED_SET_TYPES)}"
_WORKOUTS_FRESH = "SELECT max(updated_at) FROM workouts"
_ANALYTICS_FRESH = "SELECT max(refreshed_at) FROM analytics_state"


def _c(name: str, type_: pa.DataType, sql: str, unit: str | None, description: str, **kw: bool):
    return ColumnDoc(name, type_, sql, unit, description, **kw)


WORKOUTS = Dataset(
    name="workouts",
    description="One row per workout (strength or cardio) that is not deleted, with what "
    "its sets add up to.",
    time_column="day",
    count_table="workouts",
    # the per-workout aggregate and the cardio join add columns, never rows
    count_from="FROM workouts w " + _pseudonym("w.user_id"),
    freshness_sql=_WORKOUTS_FRESH,
    from_sql=(
        "FROM workouts w "
        + _pseudonym("w.user_id")
        + " LEFT JOIN cardio_sessions c ON c.workout_id = w.id "
        "LEFT JOIN LATERAL (SELECT count(*) AS sets, "
        f"count(*) FILTER (WHERE {_COUNTED}) AS working_sets, "
        f"sum(ws.reps) FILTER (WHERE {_COUNTED}) AS reps, "
        f"sum(COALESCE(ws.weight_kg * ws.reps, 0)) FILTER (WHERE {_COUNTED} "
        f"AND e.kind NOT IN {sql_list(UNLOADED_KINDS)}) AS volume_load_kg, "
        "count(DISTINCT ws.exercise_id) AS exercises "
        "FROM workout_sets ws JOIN exercises e ON e.id = ws.exercise_id "
        "WHERE ws.workout_id = w.id) agg ON true"
    ),
    where=("w.deleted_at IS NULL",),
    columns=(
        _c("workout_id", STR, "w.id", None, "the workout's id (a random UUID)"),
        ATHLETE,
        _c("started_at", TS, "w.started_at", None, "when the workout started (UTC)"),
        _c("ended_at", TS, "w.ended_at", None, "when it ended (UTC); null: not recorded"),
        _c("day", DAY, _LOCAL_DAY, None, "the athlete's local calendar day of the start"),
        _c("time_zone", CAT, "w.time_zone", None, "IANA time zone the workout happened in"),
        _c(
            "duration_s",
            F64,
            "extract(epoch FROM w.ended_at - w.started_at)::float8",
            "s",
            "ended_at − started_at; null without an end",
        ),
        _c("session_rpe", F64, "w.session_rpe", "CR-10", "session RPE (0–10, Foster 2001)"),
        _c("source", CAT, "w.source", None, "where it came from: api, or the import format"),
        _c("sport", CAT, "c.sport", None, "cardio sport (run, ride, …); null: strength"),
        _c("sets", I32, "COALESCE(agg.sets, 0)::int4", "sets", "sets logged, warm-ups too"),
        _c(
            "working_sets",
            I32,
            "COALESCE(agg.working_sets, 0)::int4",
            "sets",
            "sets that count: working, drop and failure sets (not warm-ups)",
        ),
        _c("reps", I64, "COALESCE(agg.reps, 0)::int8", "reps", "reps of the sets that count"),
        _c(
            "volume_load_kg",
            F64,
            "COALESCE(agg.volume_load_kg, 0)::float8",
            "kg",
            "volume load: Σ weight × reps over the sets that count (assisted sets add none)",
        ),
        _c("exercises", I32, "COALESCE(agg.exercises, 0)::int4", None, "distinct exercises"),
        _c("created_at", TS, "w.created_at", None, "when Forma first stored it (UTC)"),
        _c("updated_at", TS, "w.updated_at", None, "its last change (UTC)"),
        _c("title", STR, "w.title", None, "the workout's title", text=True, notes=True),
        _c("notes", STR, "w.notes", None, "the athlete's notes", text=True, notes=True),
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
        "JOIN exercises e ON e.id = s.exercise_id " + _pseudonym("s.user_id")
    ),
    where=("w.deleted_at IS NULL",),
    columns=(
        _c("set_id", STR, "s.id", None, "the set's id (a random UUID)"),
        _c("workout_id", STR, "s.workout_id", None, "its workout's id"),
        ATHLETE,
        _c("started_at", TS, "w.started_at", None, "when the workout started (UTC)"),
        _c("day", DAY, _LOCAL_DAY, None, "the athlete's local calendar day of the workout"),
        _c("position", I32, "s.position", None, "the set's position in the workout (0 first)"),
        _c("exercise_id", STR, "s.exercise_id", None, "the exercise's id (catalogue: stable)"),
        _c("exercise", CAT, "e.name", None, "the exercise's name", text=True),
        _c(
            "exercise_kind",
            CAT,
            "e.kind",
            None,
            "strength, bodyweight, assisted (weight is help), timed or cardio",
        ),
        _c("equipment", CAT, "e.equipment", None, "barbell, dumbbell, machine, …"),
        _c(
            "primary_muscles",
            CAT,
            "array_to_string(e.primary_muscles, ',')",
            None,
            "the exercise's primary muscle groups, comma-separated",
        ),
        _c("set_type", CAT, "s.set_type", None, "working, warmup, dropset or failure"),
        _c("weight_kg", F64, "s.weight_kg", "kg", "load lifted (assisted: the help)"),
        _c("reps", I32, "s.reps", "reps", "repetitions done"),
        _c("duration_s", F64, "s.duration_s", "s", "duration (timed and cardio sets)"),
        _c("distance_m", F64, "s.distance_m", "m", "distance (cardio sets)"),
        _c("rpe", F64, "s.rpe", "RPE", "rating of perceived exertion, 1–10 in 0.5 steps"),
        _c("rir", F64, "s.rir", "reps", "reps in reserve, 0–10"),
        _c("weight_unit", CAT, "s.weight_unit", None, "the unit the weight arrived in"),
        _c("distance_unit", CAT, "s.distance_unit", None, "the unit the distance arrived in"),
        _c("detected_reps", I32, "s.detected_reps", "reps", "reps counted by pose detection"),
        _c("form_score", F64, "s.form_score", "0–1", "form score from pose detection"),
        _c(
            "tempo",
            CAT,
            "s.tempo",
            "s",
            "tempo eccentric-pause-concentric-pause, e.g. 3-1-1-0",
            text=True,
        ),
        _c("notes", STR, "s.notes", None, "the athlete's note on the set", text=True, notes=True),
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
        "FROM cardio_sessions c JOIN workouts w ON w.id = c.workout_id " + _pseudonym("c.user_id")
    ),
    where=("w.deleted_at IS NULL",),
    columns=(
        _c("workout_id", STR, "c.workout_id", None, "the workout's id"),
        ATHLETE,
        _c("started_at", TS, "w.started_at", None, "when it started (UTC)"),
        _c("day", DAY, _LOCAL_DAY, None, "the athlete's local calendar day of the start"),
        _c("sport", CAT, "c.sport", None, "run, ride, swim, walk, hike, row or other"),
        _c("sport_label", CAT, "c.sport_label", None, "the source's own sport name", text=True),
        _c("elapsed_s", F64, "c.elapsed_s", "s", "elapsed time"),
        _c("moving_s", F64, "c.moving_s", "s", "moving time"),
        _c("distance_m", F64, "c.distance_m", "m", "distance"),
        _c("elev_gain_m", F64, "c.elev_gain_m", "m", "elevation gained"),
        _c("elev_loss_m", F64, "c.elev_loss_m", "m", "elevation lost"),
        _c("avg_hr", F64, "c.avg_hr", "bpm", "mean heart rate"),
        _c("max_hr", F64, "c.max_hr", "bpm", "highest heart rate"),
        _c("avg_power_w", F64, "c.avg_power_w", "W", "mean power"),
        _c("avg_cadence", F64, "c.avg_cadence", "rpm", "mean cadence (steps or pedal turns)"),
        _c("avg_speed_mps", F64, "c.avg_speed_mps", "m/s", "mean moving speed"),
        _c("pace_s_per_km", F64, "c.pace_s_per_km", "s/km", "mean pace"),
        _c("points", I32, "c.points", None, "recorded stream points"),
        _c("trimp", F64, "c.trimp", "AU", "Banister TRIMP"),
        _c("srpe_load", F64, "c.srpe_load", "AU", "session RPE × minutes (Foster 2001)"),
        _c("load", F64, "c.load", "AU", "the training load used (by load_method)"),
        _c("load_method", CAT, "c.load_method", None, "trimp, srpe or duration"),
        _c(
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
    from_sql="FROM analytics_daily_load l " + _pseudonym("l.user_id"),
    columns=(
        ATHLETE,
        _c("day", DAY, "l.day", None, "the athlete's local calendar day"),
        _c("sessions", I32, "l.sessions", None, "workouts that day"),
        _c("duration_s", F64, "l.duration_s", "s", "their total duration"),
        _c("distance_m", F64, "l.distance_m", "m", "cardio distance"),
        _c("volume_load_kg", F64, "l.volume_load_kg", "kg", "volume load (Σ weight × reps)"),
        _c("srpe_load", F64, "l.srpe_load", "AU", "session RPE × minutes"),
        _c("trimp", F64, "l.trimp", "AU", "Banister TRIMP"),
        _c("load", F64, "l.load", "AU", "the day's training load"),
        _c("ctl", F64, "l.ctl", "AU", "chronic training load (fitness; τ = 42 d)"),
        _c("atl", F64, "l.atl", "AU", "acute training load (fatigue; τ = 7 d)"),
        _c("tsb", F64, "l.tsb", "AU", "form going into the day: CTL − ATL of the day before"),
        _c("ewma_acute", F64, "l.ewma_acute", "AU", "EWMA load, N = 7 (Williams 2017)"),
        _c("ewma_chronic", F64, "l.ewma_chronic", "AU", "EWMA load, N = 28"),
        _c("acwr_rolling", F64, "l.acwr_rolling", "ratio", "7-day ÷ 28-day mean load"),
        _c("acwr_ewma", F64, "l.acwr_ewma", "ratio", "EWMA acute ÷ chronic"),
        _c("ramp_rate", F64, "l.ramp_rate", "AU/week", "CTL change over the last 7 days"),
        _c("acwr_high", BOOL, "l.acwr_high", None, "ACWR above 1.5"),
        _c("acwr_low", BOOL, "l.acwr_low", None, "ACWR below 0.8"),
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
        "JOIN exercises e ON e.id = k.exercise_id " + _pseudonym("k.user_id")
    ),
    columns=(
        ATHLETE,
        _c("exercise_id", STR, "k.exercise_id", None, "the exercise's id"),
        _c("exercise", CAT, "e.name", None, "the exercise's name", text=True),
        _c("exercise_kind", CAT, "e.kind", None, "strength, bodyweight, assisted, timed, cardio"),
        _c("day", DAY, "k.day", None, "the athlete's local calendar day"),
        _c("sets", I32, "d.sets", "sets", "sets that count (not warm-ups)"),
        _c("reps", I32, "d.reps", "reps", "their reps"),
        _c("volume_load_kg", F64, "d.volume_load_kg", "kg", "volume load"),
        _c("max_reps", I32, "d.max_reps", "reps", "most reps in one set"),
        _c("form_sets", I32, "d.form_sets", "sets", "sets with a form score"),
        _c("mean_form_score", F64, "d.mean_form_score", "0–1", "their mean form score"),
        _c("detected_sets", I32, "d.detected_sets", "sets", "sets with detected reps"),
        _c(
            "rep_discrepancy",
            F64,
            "d.rep_discrepancy",
            "reps",
            "mean |logged − detected| reps over those sets",
        ),
        _c("e1rm_kg", F64, "m.e1rm_kg", "kg", "best Epley e1RM of the day"),
        _c("e1rm_weight_kg", F64, "m.weight_kg", "kg", "weight of the set behind it"),
        _c("e1rm_reps", I32, "m.reps", "reps", "reps of the set behind it"),
        _c("brzycki_kg", F64, "m.brzycki_kg", "kg", "best Brzycki e1RM of the day"),
        _c("e1rm_rir_kg", F64, "m.e1rm_rir_kg", "kg", "best RIR-adjusted Epley e1RM"),
        _c("body_mass_kg", F64, "m.body_mass_kg", "kg", "latest body mass on or before the day"),
        _c("relative_strength", F64, "m.relative_strength", "kg/kg", "e1RM ÷ body mass"),
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
    + _pseudonym("f.user_id"),
    columns=(
        _c("run_id", STR, "f.run_id", None, "the training run"),
        ATHLETE,
        _c("exercise_id", STR, "f.exercise_id", None, "the exercise's id"),
        _c("exercise", CAT, "e.name", None, "the exercise's name", text=True),
        _c("as_of", TS, "f.as_of", None, "the features see only what happened before (UTC)"),
        _c("day", DAY, "f.day", None, "the athlete's local day of as_of"),
        _c("split", CAT, "f.split", None, "the time split: train, validation or test"),
        _c(
            "label_e1rm_kg",
            F64,
            "f.label_e1rm_kg",
            "kg",
            "label: best working-set e1RM (Epley) of the session at as_of",
        ),
        _c("persistence_kg", F64, "f.persistence_kg", "kg", "baseline: last session's value"),
        _c("trend_kg", F64, "f.trend_kg", "kg", "baseline: the athlete's own recent trend"),
        *(_c(n, F64, f"f.{n}", *FEATURE_DOCS[n]) for n in FEATURES),
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
        "JOIN exercises e ON e.id = r.exercise_id " + _pseudonym("fb.user_id")
    ),
    columns=(
        _c("recommendation_id", STR, "r.id", None, "the prescription's id"),
        ATHLETE,
        _c("exercise_id", STR, "r.exercise_id", None, "the exercise's id"),
        _c("exercise", CAT, "e.name", None, "the exercise's name", text=True),
        _c("recommended_at", TS, "r.created_at", None, "when it was prescribed (UTC)"),
        _c("as_of", TS, "r.as_of", None, "the data it was scored on reached this time (UTC)"),
        _c("model_name", CAT, "r.model_name", None, "the model (null: a rule answered)"),
        _c("model_version", I32, "r.model_version", None, "the model's version"),
        _c("rule", CAT, "r.rule", None, "the rule that answered (null: a model did)"),
        _c("rank", I32, "r.rank", None, "rank among the athlete's main exercises (0 first)"),
        _c("predicted_e1rm_kg", F64, "r.predicted_e1rm_kg", "kg", "forecast next e1RM"),
        _c("interval_low_kg", F64, "r.interval_low_kg", "kg", "its interval's low end"),
        _c("interval_high_kg", F64, "r.interval_high_kg", "kg", "its interval's high end"),
        _c("unit", CAT, "r.unit", None, "unit the athlete sees weights in (kg or lb)"),
        _c(
            "prescribed_sets",
            I32,
            "jsonb_array_length(r.sets)",
            "sets",
            "sets prescribed",
        ),
        _c(
            "prescribed_weight_kg",
            F64,
            "(r.sets->0->>'weight_kg')::float8",
            "kg",
            "weight of the first prescribed set",
        ),
        _c("prescribed_reps", I32, "(r.sets->0->>'reps')::int4", "reps", "its reps"),
        _c("prescribed_rpe", F64, "(r.sets->0->>'target_rpe')::float8", "RPE", "its target RPE"),
        _c("outcome", CAT, "fb.outcome", None, "done_as_prescribed, changed or skipped"),
        _c(
            "done_sets",
            I32,
            "CASE WHEN jsonb_typeof(fb.sets) = 'array' THEN jsonb_array_length(fb.sets) END",
            "sets",
            "for `changed`: sets actually done",
        ),
        _c(
            "done_weight_kg",
            F64,
            "CASE WHEN jsonb_typeof(fb.sets) = 'array' THEN (SELECT max((x->>'weight_kg')"
            "::float8) FROM jsonb_array_elements(fb.sets) x) END",
            "kg",
            "for `changed`: the heaviest weight actually done",
        ),
        _c("answered_at", TS, "fb.created_at", None, "when the athlete first answered (UTC)"),
        _c("updated_at", TS, "fb.updated_at", None, "their latest answer (UTC)"),
    ),
)

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

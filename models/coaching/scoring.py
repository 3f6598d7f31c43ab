"""Scoring athletes: each one's main exercises, the coach's forecast or a rule, the sets.

:func:`score` is the one path from raw rows to prescriptions, for the nightly batch and
for an athlete scored on demand. A forecast needs a champion and an earlier session of
the exercise; without them a rule answers, marked as such (DESIGN §6b, cold start):

* ``last_sets`` — no model yet: the last session's top set and scheme, again;
* ``related_exercise`` — never done: from the athlete's recent e1RM on an exercise of
  the same primary muscle group and equipment × :data:`RELATED_RATIO`;
* ``no_history`` — nothing to go on: reps and a target RPE, no weight;
* ``not_loaded`` — a bodyweight, assisted, timed or cardio exercise: reps, no e1RM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from models.analytics.frames import Inputs, typed
from models.coaching import explain
from models.coaching.estimator import Coach, predict
from models.coaching.features import build, exercise_sessions, training_examples
from models.coaching.guards import guard
from models.coaching.prescription import (
    DEFAULT_REPS,
    DEFAULT_SETS,
    Scheme,
    plate_step,
    round_weight,
    scheme,
    sets_for,
    to_kg,
    to_unit,
)

#: Main exercises: strength ones trained in the last 8 weeks, at most 8 (the issue's rule).
MAIN_WEEKS = 8
MAIN_LIMIT = 8
#: A never-done exercise starts at 80 % of the e1RM of a related one (same primary muscle
#: group and equipment). An assumption, not a published figure: a new movement pattern is
#: weaker while it is learned, and a conservative first session costs little.
RELATED_RATIO = 0.8
#: A first session of an exercise: moderate reps, well short of failure.
FIRST_SESSION = Scheme(reps=DEFAULT_REPS, sets=DEFAULT_SETS, rpe=7.0)
COLUMNS = (
    "user_id", "exercise_id", "exercise_name", "rank", "model_name", "model_version", "rule",
    "predicted_e1rm_kg", "interval_low_kg", "interval_high_kg", "unit", "sets", "explanation",
)  # fmt: skip


def local_days(users: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """user_id → the athlete's local day (midnight, naive datetime64) at ``as_of``."""
    moment = (
        pd.Timestamp(as_of).tz_convert("UTC")
        if pd.Timestamp(as_of).tzinfo
        else (pd.Timestamp(as_of).tz_localize("UTC"))
    )
    days = {
        str(u): moment.tz_convert(str(z or "UTC")).tz_localize(None).normalize()
        for u, z in zip(users["user_id"], users["time_zone"], strict=True)
    }
    return pd.Series(days, dtype="datetime64[ns]")


def display_units(users: pd.DataFrame, sets: pd.DataFrame) -> pd.Series:
    """user_id → 'kg' | 'lb': the unit system chosen, else the unit most sets arrived
    in, else kg."""
    chosen = {
        str(u): {"imperial": "lb", "metric": "kg"}.get(str(s))
        for u, s in zip(users["user_id"], users["unit_system"], strict=True)
    }
    most: dict[str, str] = {}
    if "weight_unit" in sets and len(sets):
        counted = sets.dropna(subset=["weight_unit"]).groupby(["user_id", "weight_unit"]).size()
        for (user, unit), _ in counted.sort_values(ascending=False).items():
            most.setdefault(str(user), str(unit))
    return pd.Series({u: c or most.get(u, "kg") for u, c in chosen.items()}, dtype=object)


def main_exercises(
    sets: pd.DataFrame, days: pd.Series, limit: int = MAIN_LIMIT, weeks: int = MAIN_WEEKS
) -> pd.DataFrame:
    """Each athlete's main exercises: kind ``strength``, trained (a counted set) in the
    ``weeks`` before their local day, most workouts first (then the most recent), at most
    ``limit``. An athlete who has not trained in those weeks (back from a break, or a
    history just imported) gets the exercises of the ``weeks`` before their last strength
    session instead: what they will most likely pick up again. Returns ``user_id``,
    ``exercise_id``, ``rank`` (0 = main)."""
    strength = sets[(sets["exercise_kind"] == "strength") & (sets["set_type"] != "warmup")]
    users = strength["user_id"].astype(str)
    until = users.map(days)
    last = strength["day"].groupby(users).transform("max")
    lately = strength["day"] >= until - pd.Timedelta(weeks=weeks)
    active = lately.groupby(users).transform("any")
    # the window ends today for an athlete who trained lately, else on their last day
    end = until.where(active, last)
    recent = strength[
        (strength["day"] >= end - pd.Timedelta(weeks=weeks)) & (strength["day"] <= end)
    ]
    if recent.empty:
        return pd.DataFrame({"user_id": [], "exercise_id": [], "rank": []})
    counts = recent.groupby(["user_id", "exercise_id"]).agg(
        workouts=("workout_id", "nunique"), last=("performed_at", "max")
    )
    counts = counts.reset_index().sort_values(
        ["user_id", "workouts", "last"], ascending=[True, False, False], kind="stable"
    )
    counts["rank"] = counts.groupby("user_id").cumcount()
    counts = counts[counts["rank"] < limit]
    return counts[["user_id", "exercise_id", "rank"]].reset_index(drop=True)


def _related(
    user: str, exercise: pd.Series, levels: pd.DataFrame, catalogue: pd.DataFrame
) -> tuple[pd.Series, float] | None:
    """The athlete's most-trained exercise sharing ``exercise``'s first primary muscle
    and equipment, with its latest e1RM; None when there is none."""
    muscles = list(exercise["primary_muscles"] or [])
    if not muscles or user not in levels.index.get_level_values(0):
        return None
    mine = levels.loc[user]
    related = catalogue.loc[catalogue.index.intersection(mine.index)]
    related = related[
        (related["equipment"] == exercise["equipment"])
        & related["primary_muscles"].map(lambda m: bool(m) and muscles[0] == list(m)[0])
    ]
    if related.empty:
        return None
    best = mine.loc[related.index].sort_values("sessions", ascending=False).iloc[0]
    return catalogue.loc[best.name], float(best["level_kg"])


def score(
    coach: Coach | None,
    model: tuple[str, int] | None,
    inputs: Inputs,
    exercises: pd.DataFrame,
    users: pd.DataFrame,
    as_of: pd.Timestamp,
    only: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Prescriptions for the athletes of ``users`` at ``as_of``.

    Parameters
    ----------
    coach, model
        The champion and its (name, version); None: rules answer.
    inputs
        The athletes' raw rows (``sets`` with ``weight_unit``).
    exercises
        The catalogue: ``exercise_id``, ``name``, ``kind``, ``equipment``,
        ``primary_muscles`` (list of str).
    users
        ``user_id``, ``unit_system`` ('metric' | 'imperial' | None), ``time_zone``.
    only
        Exercise ids to score for every athlete (default: their main exercises).

    Returns
    -------
    DataFrame
        :data:`COLUMNS`, one row per (athlete, exercise); kg figures, ``sets`` a list of
        ``{"weight_kg", "weight", "unit", "reps", "target_rpe"}``.
    """
    as_of = pd.Timestamp(as_of)
    as_of = as_of.tz_convert("UTC") if as_of.tzinfo else as_of.tz_localize("UTC")
    users = users.assign(user_id=users["user_id"].astype(str))
    catalogue = exercises.assign(exercise_id=exercises["exercise_id"].astype(str)).set_index(
        "exercise_id"
    )
    typed_sets = typed(inputs).sets.assign(
        weight_unit=inputs.sets["weight_unit"].to_numpy() if "weight_unit" in inputs.sets else None
    )
    days = local_days(users, as_of)
    units = display_units(users, typed_sets)
    if only is not None:
        picks = pd.DataFrame(
            [(u, str(e), i) for u in users["user_id"] for i, e in enumerate(only)],
            columns=["user_id", "exercise_id", "rank"],
        )
    else:
        picks = main_exercises(typed_sets, days)
    if picks.empty:
        return pd.DataFrame({c: [] for c in COLUMNS})
    picks = picks.assign(
        user_id=picks["user_id"].astype(str), exercise_id=picks["exercise_id"].astype(str)
    )
    queries = picks.assign(as_of=as_of, day=picks["user_id"].map(days).to_numpy("datetime64[ns]"))
    sessions = exercise_sessions(inputs)
    features = build(inputs, queries, sessions)
    forecast = pd.DataFrame(index=features.index, columns=["predicted_e1rm_kg"], dtype=float)
    if coach is not None and features["level_kg"].notna().any():
        history = training_examples(inputs)
        frame = pd.concat(
            [history, features.assign(label_e1rm_kg=np.nan)], ignore_index=True, sort=False
        )
        forecast = predict(coach, frame).iloc[len(history) :].set_index(features.index)
    sessions = sessions.assign(
        user_id=sessions["user_id"].astype(str), exercise_id=sessions["exercise_id"].astype(str)
    )
    by_pair = {key: rows for key, rows in sessions.groupby(["user_id", "exercise_id"], sort=False)}
    levels = sessions.groupby(["user_id", "exercise_id"]).agg(
        level_kg=("e1rm_kg", "last"), sessions=("e1rm_kg", "size")
    )
    weights = typed_sets.groupby(
        [typed_sets["user_id"].astype(str), typed_sets["exercise_id"].astype(str)]
    )[["weight_kg", "weight_unit"]]
    rows = []
    for i, query in features.iterrows():
        user, ex_id = query["user_id"], query["exercise_id"]
        unit = units.get(user, "kg")
        exercise = catalogue.loc[ex_id] if ex_id in catalogue.index else None
        name = str(exercise["name"]) if exercise is not None else ex_id
        past = by_pair.get((user, ex_id))
        try:
            logged = weights.get_group((user, ex_id))
            # the plates of the unit shown: weights logged in the other unit say nothing
            # about them (100 → 101.25 kg is a 2.76 lb step, not a plate)
            same = logged["weight_unit"].isna().to_numpy() | (logged["weight_unit"] == unit)
            used = logged["weight_kg"].to_numpy(float)[np.asarray(same, dtype=bool)]
        except KeyError:
            used = np.array([])
        step = plate_step(used, unit)
        row: dict[str, Any] = {
            "user_id": user, "exercise_id": ex_id, "exercise_name": name,
            "rank": int(query["rank"]), "model_name": None, "model_version": None, "rule": None,
            "predicted_e1rm_kg": np.nan, "interval_low_kg": np.nan, "interval_high_kg": np.nan,
            "unit": unit,
        }  # fmt: skip
        kind = str(exercise["kind"]) if exercise is not None else "strength"
        if kind != "strength":
            row |= _not_loaded(typed_sets, user, ex_id, name, unit, kind)
        elif (
            past is not None
            and coach is not None
            and np.isfinite(forecast.loc[i, "predicted_e1rm_kg"])
        ):
            row |= _model_answer(query, forecast.loc[i], past, name, unit, step, coach, model)
        elif past is not None:
            row |= _last_sets(past, float(query["days_since"]), name, unit, step)
        else:
            found = _related(user, exercise, levels, catalogue) if exercise is not None else None
            row |= _cold(found, name, unit, step)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _usual(past: pd.DataFrame) -> Scheme:
    last3 = past.tail(3)
    return scheme(last3["top_reps"], last3["working_sets"], last3["top_rpe"])


def _model_answer(
    query: pd.Series,
    forecast: pd.Series,
    past: pd.DataFrame,
    name: str,
    unit: str,
    step: float,
    coach: Coach,
    model: tuple[str, int] | None,
) -> dict[str, Any]:
    predicted = float(forecast["predicted_e1rm_kg"])
    low, high = float(forecast["interval_low_kg"]), float(forecast["interval_high_kg"])
    # Guarded against a break and a mistyped session, which the model's inputs do not
    # see through: the answer stands behind the guarded forecast (its interval scaled
    # with it) and says what the model alone said. Its metrics measure the model alone.
    guarded = guard(past, float(query["days_since"]), unit)
    shown = predicted
    if guarded.ceiling_e1rm_kg is not None and guarded.ceiling_e1rm_kg < predicted:
        shown = guarded.ceiling_e1rm_kg
        low, high = low * shown / predicted, high * shown / predicted
    six = guarded.trusted.tail(6)
    facts = {
        **{
            k: (float(v) if pd.notna(v) else None)
            for k, v in query.items()
            if isinstance(v, (int, float, np.floating))
        },
        "predicted_kg": shown,
        "low_kg": low,
        "high_kg": high,
        "last_day": pd.Timestamp(past["day"].iloc[-1]).date().isoformat(),
        "change6": float(six["e1rm_kg"].iloc[-1] - six["e1rm_kg"].iloc[0]),
        "change_sessions": len(six),
    }
    best_recent = float(six["top_weight_kg"].max())
    notes = list(guarded.notes)
    if shown < predicted:
        notes.append(f"The model alone forecast {to_unit(predicted, unit):.1f} {unit}.")
    return {
        "model_name": model[0] if model else None,
        "model_version": model[1] if model else None,
        "predicted_e1rm_kg": round(shown, 2),
        "interval_low_kg": round(low, 2),
        "interval_high_kg": round(high, 2),
        "sets": sets_for(shown, _usual(guarded.trusted), unit, step, best_recent),
        "explanation": " ".join(
            (explain.model_explanation(facts, coach.get("reference", {}), unit), *notes)
        ),
    }


def _last_sets(
    past: pd.DataFrame, days_off: float, name: str, unit: str, step: float
) -> dict[str, Any]:
    guarded = guard(past, days_off, unit)
    trusted = guarded.trusted
    last = trusted.iloc[-1]
    usual = _usual(trusted)
    weight = float(last["top_weight_kg"])
    if guarded.ceiling_e1rm_kg is not None:
        # the same share of the top set as of its e1RM (a break's loss, or none)
        weight *= min(1.0, guarded.ceiling_e1rm_kg / float(last["e1rm_kg"]))
    usual = Scheme(reps=int(last["top_reps"]), sets=usual.sets, rpe=usual.rpe)
    sets = sets_for(None, usual, unit, step)
    shown = round_weight(weight, unit, step)
    for s in sets:
        s["weight"], s["weight_kg"] = shown, round(to_kg(shown, unit), 3)
    day = pd.Timestamp(last["day"]).date().isoformat()
    same = shown == round_weight(float(last["top_weight_kg"]), unit, step)
    again = "again" if same else "again, lighter"
    return {
        "rule": "last_sets",
        "sets": sets,
        "explanation": " ".join(
            (
                f"No trained model yet: your last session of {name} {again} "
                f"({usual.sets} × {usual.reps} at {shown:g} {unit}, RPE {usual.rpe:g}) — "
                f"last trained on {day}.",
                *guarded.notes,
            )
        ),
    }


def _cold(
    found: tuple[pd.Series, float] | None, name: str, unit: str, step: float
) -> dict[str, Any]:
    if found is None:
        return {
            "rule": "no_history",
            "sets": sets_for(None, FIRST_SESSION, unit, step),
            "explanation": (
                f"You have not logged {name} yet, and no related exercise (same muscle group "
                f"and equipment) either: start with {FIRST_SESSION.sets} × {FIRST_SESSION.reps} "
                f"at RPE {FIRST_SESSION.rpe:g} and pick a weight that feels like it."
            ),
        }
    related, level = found
    start = level * RELATED_RATIO
    return {
        "rule": "related_exercise",
        "sets": sets_for(start, FIRST_SESSION, unit, step),
        "explanation": (
            f"You have not logged {name} yet: starting from {RELATED_RATIO:.0%} of your "
            f"latest e1RM on {related['name']} ({to_unit(level, unit):.1f} {unit}), "
            "a related exercise of the same muscle group and equipment."
        ),
    }


def _not_loaded(
    sets: pd.DataFrame, user: str, ex_id: str, name: str, unit: str, kind: str
) -> dict[str, Any]:
    if kind in ("timed", "cardio"):
        # held for time or covered for distance: sets of reps would be made up
        return {
            "rule": "not_loaded",
            "sets": [],
            "explanation": (
                f"{name} is a {kind} exercise: the coach prescribes sets of strength and "
                "bodyweight exercises only."
            ),
        }
    mine = sets[(sets["user_id"].astype(str) == user) & (sets["exercise_id"].astype(str) == ex_id)]
    mine = mine[mine["set_type"] != "warmup"]
    reps = int(mine["reps"].dropna().tail(10).max()) if mine["reps"].notna().any() else DEFAULT_REPS
    usual = Scheme(reps=max(1, min(reps, 100)), sets=DEFAULT_SETS, rpe=FIRST_SESSION.rpe)
    return {
        "rule": "not_loaded",
        "sets": sets_for(None, usual, unit, 1.0),
        "explanation": (
            f"{name} is not loaded with external weight, so it has no e1RM to forecast: "
            f"{usual.sets} sets of {usual.reps} reps"
            + (", your best recent set." if mine["reps"].notna().any() else ".")
        ),
    }

"""Scoring (``models.coaching.scoring``): the cold-start rules, units, main exercises and
model answers. Expected weights by hand from the fixtures."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from api.exercises.catalogue import exercise_id
from models.coaching.scoring import display_units, score
from tests.support.coaching import (
    BENCH,
    PULL_UP,
    ROW,
    SQUAT,
    History,
    catalogue,
    fitted_coach,
    population,
    population_inputs,
    users_of,
)

LB = 0.45359237
INCLINE = str(exercise_id("incline-bench-press-barbell"))  # barbell, primary chest
DB_BENCH = str(exercise_id("bench-press-dumbbell"))  # chest, but dumbbell
DEADLIFT = str(exercise_id("deadlift-barbell"))
AS_OF = pd.Timestamp("2026-02-10T12:00", tz="UTC")


def users(*rows: tuple[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {"user_id": [u for u, _ in rows], "unit_system": [s for _, s in rows],
         "time_zone": "UTC"}
    )  # fmt: skip


def bench_history(user: str = "a", unit: str = "kg") -> History:
    """Bench: 100×5 (01-20), 102.5×5 ×2 (01-27), 3 × 105×5 (02-03); pull-ups 8, 10, 6."""
    h = History()
    h.add(user, "2026-01-20T10:00", [(BENCH, 100.0, 5, "working", 8.0, unit), (PULL_UP, 0.0, 8)])
    h.add(user, "2026-01-27T10:00", [(BENCH, 102.5, 5, "working", 8.0, unit)] * 2)
    h.add(
        user,
        "2026-02-03T10:00",
        [(BENCH, 60.0, 12, "warmup", np.nan, unit), *[(BENCH, 105.0, 5, "working", 8.5, unit)] * 3,
         (PULL_UP, 0.0, 10), (PULL_UP, 0.0, 6)],
    )  # fmt: skip
    return h


def one(frame: pd.DataFrame, user: str, exercise: str) -> pd.Series:
    rows = frame[(frame["user_id"] == user) & (frame["exercise_id"] == exercise)]
    assert len(rows) == 1, frame[["user_id", "exercise_id"]]
    return rows.iloc[0]


def test_no_history_gives_reps_and_rpe_without_weight() -> None:
    h = bench_history("a")
    out = score(None, None, h.inputs(), catalogue(), users(("a", None), ("new", None)), AS_OF,
                only=[SQUAT])  # fmt: skip
    row = one(out, "new", SQUAT)
    assert row["rule"] == "no_history" and row["model_name"] is None
    assert row["sets"] == [{"weight_kg": None, "weight": None, "unit": "kg", "reps": 8,
                            "target_rpe": 7.0}] * 3  # fmt: skip
    assert np.isnan(row["predicted_e1rm_kg"]) and np.isnan(row["interval_low_kg"])
    assert "not logged" in row["explanation"]
    # athlete a has bench (barbell, chest) — nothing of the squat's quads/glutes
    assert one(out, "a", SQUAT)["rule"] == "no_history"


def test_an_athlete_with_no_rows_at_all_is_answered_by_rule() -> None:
    h = History()
    h.add("someone-else", "2026-01-20T10:00", [(PULL_UP, 0.0, 8)])  # no e1RM anywhere
    out = score(None, None, h.inputs(), catalogue(), users(("new", "imperial")), AS_OF,
                only=[BENCH])  # fmt: skip
    row = one(out, "new", BENCH)
    assert row["rule"] == "no_history" and row["unit"] == "lb"


def test_never_done_exercise_starts_from_a_related_one() -> None:
    out = score(None, None, bench_history("a").inputs(), catalogue(), users(("a", "metric")),
                AS_OF, only=[INCLINE, DB_BENCH])  # fmt: skip
    row = one(out, "a", INCLINE)
    assert row["rule"] == "related_exercise"
    # latest bench e1RM 105·(1 + 5/30) = 122.5; × 0.8 = 98.0; first session 8 reps @ 7:
    # x = 10 − 7 + 8 − 1 = 10 → 97.0955 − 26.4249 = 70.6706 % → 69.258 kg → 2.5 kg plates
    # → 27.70 steps → 70.0 kg (table: 8 @ 7 = 70.7 % → 69.29 → 70.0 as well)
    assert [s["weight_kg"] for s in row["sets"]] == [70.0] * 3
    assert {(s["reps"], s["target_rpe"]) for s in row["sets"]} == {(8, 7.0)}
    assert "80%" in row["explanation"] and "Bench Press (Barbell)" in row["explanation"]
    assert "122.5 kg" in row["explanation"]
    # the dumbbell bench shares the muscle, not the equipment
    assert one(out, "a", DB_BENCH)["rule"] == "no_history"


def test_bodyweight_exercise_is_not_loaded() -> None:
    out = score(None, None, bench_history("a").inputs(), catalogue(), users(("a", None)), AS_OF,
                only=[PULL_UP])  # fmt: skip
    row = one(out, "a", PULL_UP)
    assert row["rule"] == "not_loaded"
    # the best of the recent pull-up sets: 8, 10, 6 → 10 reps, no weight
    assert [(s["weight"], s["reps"]) for s in row["sets"]] == [(None, 10)] * 3


def test_timed_and_cardio_exercises_get_no_sets() -> None:
    plank, run = str(exercise_id("plank")), str(exercise_id("running"))
    kinds = catalogue().set_index("exercise_id")["kind"]
    assert (kinds[plank], kinds[run]) == ("timed", "cardio")  # the catalogue's own kinds
    out = score(None, None, bench_history("a").inputs(), catalogue(), users(("a", None)), AS_OF,
                only=[plank, run])  # fmt: skip
    for ex in (plank, run):
        row = one(out, "a", ex)
        assert row["rule"] == "not_loaded" and row["sets"] == []
        assert "prescribes sets of strength and bodyweight exercises only" in row["explanation"]


def test_without_a_coach_the_last_top_set_again() -> None:
    out = score(None, None, bench_history("a").inputs(), catalogue(), users(("a", None)), AS_OF,
                only=[BENCH])  # fmt: skip
    row = one(out, "a", BENCH)
    assert row["rule"] == "last_sets" and row["model_name"] is None
    # last session: 3 × 105×5 (the 12-rep warm-up does not count); working sets of the
    # last 3 sessions 1, 2, 3 → median 2; RPE 8, 8, 8.5 → median 8
    assert row["sets"] == [{"weight_kg": 105.0, "weight": 105.0, "unit": "kg", "reps": 5,
                            "target_rpe": 8.0}] * 2  # fmt: skip
    assert "2026-02-03" in row["explanation"]


def test_last_sets_in_pounds() -> None:
    h = History()
    for day, lb in (("2026-01-27", 225.0), ("2026-02-03", 230.0)):
        h.add("a", f"{day}T10:00", [(BENCH, lb * LB, 5, "working", np.nan, "lb")] * 3)
    out = score(None, None, h.inputs(), catalogue(), users(("a", None)), AS_OF, only=[BENCH])
    row = one(out, "a", BENCH)
    assert row["unit"] == "lb"  # no unit system: the unit the sets arrived in
    first = row["sets"][0]
    assert first["weight"] == 230.0 and first["weight_kg"] == pytest.approx(230 * LB, abs=5e-4)


def test_plates_come_from_sets_logged_in_the_unit_shown() -> None:
    h = History()
    # micro-plates in kg (100 → 101.25 kg), shown in lb to an imperial athlete: those
    # 1.25 kg steps are 2.76 lb, not a pound plate, so the standard 5 lb step applies
    for day, kg in (("2026-01-27", 100.0), ("2026-02-03", 101.25)):
        h.add("a", f"{day}T10:00", [(BENCH, kg, 5, "working", np.nan, "kg")] * 3)
    out = score(None, None, h.inputs(), catalogue(), users(("a", "imperial")), AS_OF, only=[BENCH])
    first = one(out, "a", BENCH)["sets"][0]
    # 101.25 kg = 223.22 lb → the nearest 5 lb: 225
    assert first["unit"] == "lb" and first["weight"] == 225.0


def test_display_units() -> None:
    sets = pd.DataFrame(
        {"user_id": ["m", "m", "m", "i", "x", "x", "n"],
         "weight_unit": ["lb", "lb", "kg", "kg", "lb", None, None]}
    )  # fmt: skip
    frame = pd.DataFrame(
        {"user_id": ["m", "i", "x", "n", "k", "z"],
         "unit_system": [None, "imperial", "metric", None, None, None]}
    )  # fmt: skip
    got = display_units(frame, sets)
    # m: none chosen, 2 of 3 sets in lb → lb; i: imperial → lb although logged in kg;
    # x: metric → kg although logged in lb; n: no unit known → kg; k, z: no sets → kg
    assert got.to_dict() == {"m": "lb", "i": "lb", "x": "kg", "n": "kg", "k": "kg", "z": "kg"}


def test_main_exercises_strength_recent_most_trained_at_most_8() -> None:
    h = History()
    slugs = [
        "bench-press-barbell", "squat-barbell", "bent-over-row-barbell", "overhead-press-barbell",
        "romanian-deadlift-barbell", "incline-bench-press-barbell", "front-squat-barbell",
        "bench-press-dumbbell", "lat-pulldown-cable", "leg-press",
    ]  # fmt: skip
    ids = [str(exercise_id(s)) for s in slugs]
    start = pd.Timestamp("2026-01-05T10:00")
    # exercise i trained in 10 − i workouts, all within the last 8 weeks (01-05 … 02-01)
    for i, ex in enumerate(ids):
        for k in range(10 - i):
            h.add("a", str(start + pd.Timedelta(days=3 * k, minutes=i)), [(ex, 50.0, 5)])
    for k in range(12):  # pull-ups most often, but bodyweight
        h.add("a", str(start + pd.Timedelta(days=2 * k, hours=8)), [(PULL_UP, 0.0, 8)])
    for k in range(12):  # deadlifts most often, but 9+ weeks ago
        h.add("a", f"2025-11-{1 + k:02d}T10:00", [(DEADLIFT, 140.0, 3)])
    h.add("a", "2026-02-01T10:00", [(ROW, 60.0, 8, "warmup")] * 5)  # warm-ups add nothing
    out = score(None, None, h.inputs(), catalogue(), users(("a", None)), AS_OF)
    assert list(out["exercise_id"]) == ids[:8]
    assert list(out["rank"]) == list(range(8))
    assert set(out["rule"]) == {"last_sets"}


def test_main_exercises_of_an_athlete_back_from_a_break_are_those_before_it() -> None:
    h = History()
    # trained bench ×3 and squat ×2 in October 2025, nothing since (AS_OF is 2026-02-10)
    for day in ("2025-10-01", "2025-10-08", "2025-10-15"):
        h.add("a", f"{day}T10:00", [(BENCH, 100.0, 5)])
    for day in ("2025-10-02", "2025-10-09"):
        h.add("a", f"{day}T10:00", [(SQUAT, 120.0, 5)])
    h.add("a", "2025-07-01T10:00", [(DEADLIFT, 140.0, 3)])  # 8+ weeks before the last day
    out = score(None, None, h.inputs(), catalogue(), users(("a", None)), AS_OF)
    assert list(out["exercise_id"]) == [BENCH, SQUAT]


@pytest.fixture(scope="module")
def coached() -> tuple[pd.DataFrame, object]:
    end = date(2026, 10, 1)
    coach, _ = fitted_coach(12, 1.0, 5, end)
    p = population(12, 1.0, 5, end)
    inputs = population_inputs(p)
    as_of = pd.Timestamp("2026-10-02T12:00", tz="UTC")
    out = score(coach, ("next_e1rm", 3), inputs, catalogue(), users_of(p), as_of)
    return out, inputs


def test_a_coach_answers_with_its_name_version_and_interval(coached: tuple) -> None:
    out, _ = coached
    model = out[out["rule"].isna()]
    assert len(model) > 0
    assert set(model["model_name"]) == {"next_e1rm"} and set(model["model_version"]) == {3}
    assert (model["interval_low_kg"] <= model["predicted_e1rm_kg"]).all()
    assert (model["predicted_e1rm_kg"] <= model["interval_high_kg"]).all()
    assert out.groupby("user_id").size().max() <= 8


def test_model_explanation_names_the_last_sessions_e1rm(coached: tuple) -> None:
    out, inputs = coached
    sets = inputs.sets
    checked = 0
    for row in out[out["rule"].isna()].head(10).itertuples():
        mine = sets[
            (sets["user_id"] == row.user_id)
            & (sets["exercise_id"] == row.exercise_id)
            & (sets["set_type"] != "warmup")
            & (sets["weight_kg"] > 0)
            & sets["reps"].between(1, 12)
        ]
        last = mine[mine["performed_at"] == mine["performed_at"].max()]
        w, r = last["weight_kg"].to_numpy(), last["reps"].to_numpy()
        e1rm = float(np.max(np.where(r == 1, w, w * (1 + r / 30))))  # Epley, by hand
        shown = e1rm / LB if row.unit == "lb" else e1rm
        assert f"your last session's {shown:.1f} {row.unit}" in row.explanation
        # and the weights stay within 5 % of the heaviest top set of the last 6 sessions
        tops = mine.groupby("performed_at")["weight_kg"].max().sort_index().tail(6)
        assert all(s["weight_kg"] <= tops.max() * 1.05 + 0.01 for s in row.sets)
        checked += 1
    assert checked > 0

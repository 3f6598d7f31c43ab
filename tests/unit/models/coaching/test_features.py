"""The coach's features (``models.coaching.features``): point-in-time correctness (the
leakage test of issue 13) and each feature against a hand calculation."""

from __future__ import annotations

import uuid
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.analytics import Inputs
from models.coaching.features import CONTEXT, FEATURES, build, training_examples
from tests.support.coaching import (
    BENCH,
    PULL_UP,
    ROW,
    SQUAT,
    History,
    as_inputs,
    population,
    population_inputs,
    users_of,
)

LB = 0.45359237
COMPARED = [c for c in (*FEATURES, *CONTEXT)]

# --------------------------------------------------------------------------- leakage


def local_day(as_of: pd.Timestamp, tz: str) -> pd.Timestamp:
    return as_of.tz_convert(tz).tz_localize(None).normalize()


def queries_at(inputs: Inputs, as_of: pd.Timestamp, zones: dict[str, str]) -> pd.DataFrame:
    """Every (athlete, exercise) of the history, asked at ``as_of`` (local day in the
    athlete's home zone)."""
    pairs = inputs.sets[["user_id", "exercise_id"]].drop_duplicates()
    pairs = pairs.sort_values(["user_id", "exercise_id"]).reset_index(drop=True)
    days = {u: local_day(as_of, z) for u, z in zones.items()}
    return pairs.assign(as_of=as_of, day=pairs["user_id"].map(days).to_numpy("datetime64[ns]"))


def future_masks(
    inputs: Inputs, as_of: pd.Timestamp, days: dict[str, pd.Timestamp]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows at or after ``as_of``: sets and workouts by start time, body mass by day
    (on or after the athlete's query day)."""
    sets = (inputs.sets["performed_at"] >= as_of).to_numpy()
    workouts = (inputs.workouts["started_at"] >= as_of).to_numpy()
    first = inputs.body_mass["user_id"].map(days)
    mass = (inputs.body_mass["day"] >= first).to_numpy()
    return sets, workouts, mass


def deleted(inputs: Inputs, as_of: pd.Timestamp, days: dict[str, pd.Timestamp]) -> Inputs:
    sets, workouts, mass = future_masks(inputs, as_of, days)
    return as_inputs(
        inputs.sets[~sets].reset_index(drop=True),
        inputs.workouts[~workouts].reset_index(drop=True),
        inputs.body_mass[~mass].reset_index(drop=True),
    )


def changed(inputs: Inputs, as_of: pd.Timestamp, days: dict[str, pd.Timestamp]) -> Inputs:
    """The future rewritten: weights × 2, reps + 3 (some leave the 1–12 range), RPE 10,
    warm-ups made working sets, longer and harder workouts, heavier body mass — and new
    heavy workouts of every exercise at ``as_of`` itself and a day later."""
    sets_m, workouts_m, mass_m = future_masks(inputs, as_of, days)
    sets = inputs.sets.copy()
    sets.loc[sets_m, "weight_kg"] = sets.loc[sets_m, "weight_kg"] * 2
    sets.loc[sets_m, "reps"] = sets.loc[sets_m, "reps"] + 3
    sets.loc[sets_m, "rpe"] = 10.0
    sets.loc[sets_m, "set_type"] = "working"
    sets.loc[sets_m, "weight_unit"] = "lb"
    workouts = inputs.workouts.copy()
    workouts.loc[workouts_m, "duration_s"] = workouts.loc[workouts_m, "duration_s"] * 3
    workouts.loc[workouts_m, "session_rpe"] = 10.0
    mass = inputs.body_mass.copy()
    mass.loc[mass_m, "body_mass_kg"] = mass.loc[mass_m, "body_mass_kg"] + 10
    extra_sets, extra_workouts, extra_mass = [], [], []
    pairs = inputs.sets[["user_id", "exercise_id", "exercise_kind"]].drop_duplicates()
    for user, mine in pairs.groupby("user_id"):
        for offset in (pd.Timedelta(0), pd.Timedelta(days=1)):
            start = as_of + offset
            workout = str(uuid.uuid4())
            day = days[user] + offset
            extra_workouts.append(
                {"user_id": user, "workout_id": workout, "day": day, "duration_s": 7200.0,
                 "session_rpe": 10.0, "cardio_load": np.nan, "cardio_method": None,
                 "cardio_trimp": np.nan, "distance_m": np.nan, "started_at": start}
            )  # fmt: skip
            for position, row in enumerate(mine.itertuples()):
                extra_sets.append(
                    {"user_id": user, "workout_id": workout, "set_id": str(uuid.uuid4()),
                     "exercise_id": row.exercise_id, "exercise_kind": row.exercise_kind,
                     "day": day, "performed_at": start, "position": position,
                     "set_type": "working", "weight_kg": 300.0, "reps": 3.0, "rpe": 6.0,
                     "rir": np.nan, "detected_reps": np.nan, "form_score": np.nan,
                     "weight_unit": "lb"}
                )  # fmt: skip
        extra_mass.append({"user_id": user, "day": days[user], "body_mass_kg": 150.0})
    return as_inputs(
        pd.concat([sets, pd.DataFrame(extra_sets)], ignore_index=True),
        pd.concat([workouts, pd.DataFrame(extra_workouts)], ignore_index=True),
        pd.concat([mass, pd.DataFrame(extra_mass)], ignore_index=True),
    )


def assert_leak_free(inputs: Inputs, as_of: pd.Timestamp, zones: dict[str, str]) -> None:
    queries = queries_at(inputs, as_of, zones)
    days = {u: local_day(as_of, z) for u, z in zones.items()}
    seen = build(inputs, queries)[COMPARED]
    for future in (deleted(inputs, as_of, days), changed(inputs, as_of, days)):
        again = build(future, queries)[COMPARED]
        # exact equality, NaN = NaN: the rows before as_of are the same rows
        pd.testing.assert_frame_equal(seen, again, check_exact=True)


ZONES = ["UTC", "America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata"]
START = pd.Timestamp("2026-03-01", tz="UTC")
hist_set = st.tuples(
    st.sampled_from([BENCH, SQUAT, ROW, PULL_UP]),
    st.sampled_from([0.0, 20.0, 60.0, 62.5, 100.0, 102.5, 140.0]),
    st.sampled_from([0, 1, 3, 5, 8, 12, 15]),
    st.sampled_from(["working", "working", "warmup", "failure"]),
    st.sampled_from([np.nan, 7.0, 8.5, 10.0]),
    st.sampled_from(["kg", "lb", None]),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[Inputs, dict[str, str], list[pd.Timestamp]]:
    """1–3 athletes, each in one zone, with up to 14 workouts over ~10 weeks (minutes
    apart at times) and some body-mass rows; and as-of times: workout starts (the
    boundary) and moments in between."""
    history = History()
    zones: dict[str, str] = {}
    starts: list[pd.Timestamp] = []
    for a in range(draw(st.integers(1, 3))):
        user = f"u{a}"
        zones[user] = draw(st.sampled_from(ZONES))
        for _ in range(draw(st.integers(1, 14))):
            start = START + pd.Timedelta(minutes=draw(st.integers(0, 70 * 24 * 60)))
            sets = draw(st.lists(hist_set, min_size=1, max_size=5))
            history.add(user, start.isoformat(), sets, tz=zones[user])
            starts.append(start)
        for _ in range(draw(st.integers(0, 4))):
            day = (START + pd.Timedelta(days=draw(st.integers(0, 70)))).date().isoformat()
            history.weigh(user, day, draw(st.sampled_from([70.0, 80.5, 95.0])))
    picked = draw(st.sampled_from(starts))
    between = START + pd.Timedelta(minutes=draw(st.integers(0, 72 * 24 * 60)))
    return history.inputs(), zones, [picked, between]


# each example builds features 6 times (~0.1 s each): a fifth of the profile's examples,
# at least 6 (quick: 6; deep: 100)
@settings(
    max_examples=max(6, settings().max_examples // 5),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(histories())
def test_no_feature_reads_the_future_of_generated_histories(
    case: tuple[Inputs, dict[str, str], list[pd.Timestamp]],
) -> None:
    inputs, zones, moments = case
    for as_of in moments:
        assert_leak_free(inputs, as_of, zones)


@pytest.mark.parametrize("seed", [3, 11])
def test_no_feature_reads_the_future_of_a_population(seed: int) -> None:
    """A synthetic population (athletes in many zones, kg and lb, body mass, cardio),
    cut at several moments — a workout start among them."""
    p = population(8, 0.6, seed, date(2026, 6, 1))
    inputs = population_inputs(p)
    users = users_of(p)
    zones = dict(zip(users["user_id"], users["time_zone"], strict=True))
    starts = inputs.workouts["started_at"].sort_values()
    some_start = pd.Timestamp(starts.iloc[len(starts) * 2 // 3])
    for as_of in (
        pd.Timestamp("2026-02-10 06:00", tz="UTC"),
        pd.Timestamp("2026-04-20 18:30", tz="UTC"),
        some_start,
    ):
        assert_leak_free(inputs, as_of, zones)


# --------------------------------------------------------------------------- by hand

U = "athlete-1"


def five_sessions() -> History:
    """Five bench sessions of one athlete (UTC, 10:00), plus noise that must not count.

    S1 Mon 2026-01-05: warm-up 60×5, 100×5, 80×15 (15 reps: no e1RM, not counted)
        → e1RM 100·(1 + 5/30) = 116.667, top 5 reps, 1 working set
    S2 Thu 01-08: 102.5×5, 102.5×5 → 119.583, 5 reps, 2 sets
    S3 Mon 01-12: 125×1 (a single: e1RM = 125), 100×4 (113.333) → 125, 1 rep, 2 sets
    S4 Thu 01-15: warm-up 140×1 (heavier, still a warm-up), 105×5 @ RPE 8, 60×20
        → 122.5, 5 reps, 1 set
    S5 Mon 01-19: 3 × 235 lb × 5 (106.594 kg) → 124.360, 5 reps, 3 sets, in lb
    Body mass 80 kg on 01-10 and 82 kg on 02-05 (the query day: not yet known).
    A second athlete's squat on the same days must change nothing.
    """
    h = History()
    lb235 = 235 * LB
    h.add(U, "2026-01-05T10:00", [(BENCH, 60.0, 5, "warmup"), (BENCH, 100.0, 5), (BENCH, 80.0, 15)])
    h.add(U, "2026-01-08T10:00", [(BENCH, 102.5, 5), (BENCH, 102.5, 5)])
    h.add(U, "2026-01-12T10:00", [(BENCH, 125.0, 1), (BENCH, 100.0, 4)])
    h.add(
        U,
        "2026-01-15T10:00",
        [(BENCH, 140.0, 1, "warmup"), (BENCH, 105.0, 5, "working", 8.0), (BENCH, 60.0, 20)],
    )
    h.add(U, "2026-01-19T10:00", [(BENCH, lb235, 5, "working", np.nan, "lb")] * 3)
    h.weigh(U, "2026-01-10", 80.0)
    h.weigh(U, "2026-02-05", 82.0)
    for day in ("2026-01-05", "2026-01-12", "2026-01-26"):
        h.add("athlete-2", f"{day}T18:00", [(SQUAT, 150.0, 3)])
    return h


E1RM = np.array(
    [100 * (1 + 5 / 30), 102.5 * (1 + 5 / 30), 125.0, 105 * (1 + 5 / 30), 235 * LB * (1 + 5 / 30)]
)
DAYS = np.array([0, 3, 7, 10, 14], dtype=float)  # days since 2026-01-05


def ask(inputs: Inputs, *moments: str, exercise: str = BENCH, user: str = U) -> pd.DataFrame:
    stamps = [pd.Timestamp(m, tz="UTC") for m in moments]
    queries = pd.DataFrame(
        {
            "user_id": user,
            "exercise_id": exercise,
            "as_of": stamps,
            "day": [s.tz_localize(None).normalize() for s in stamps],
        }
    )
    return build(inputs, queries)


def test_features_by_hand_after_five_sessions() -> None:
    row = ask(five_sessions().inputs(), "2026-02-05T10:00").iloc[0]
    level = E1RM[-1]
    assert row["level_kg"] == pytest.approx(235 * LB * 35 / 30)
    assert row["persistence_kg"] == pytest.approx(level)
    assert row["mean3_ratio"] == pytest.approx(E1RM[-3:].mean() / level)
    assert row["mean6_ratio"] == pytest.approx(E1RM.mean() / level)
    assert row["max6_ratio"] == pytest.approx(125.0 / level)
    assert row["median12_ratio"] == pytest.approx(np.median(E1RM) / level)
    for k in (3, 6, 12):
        want = np.polyfit(DAYS[-k:], np.log(E1RM[-k:]), 1)[0] * 7
        assert row[f"slope{k}_wk"] == pytest.approx(want, rel=1e-9)
    # the 4-week window from S5's start (01-19) reaches back to 12-22: every session
    assert row["slope4w_wk"] == pytest.approx(np.polyfit(DAYS, np.log(E1RM), 1)[0] * 7)
    assert row["days_since"] == 17  # 01-19 → 02-05
    assert row["sessions_total"] == 5
    # 28 days before 02-05 10:00 is 01-08 10:00: S2 (exactly then) to S5
    assert row["sessions_28d"] == 4
    assert row["top_reps_last"] == 5
    assert row["working_sets_last"] == 3
    assert row["unit_lb"] == 1.0
    assert row["last_unit"] == "lb"
    assert row["last_weight_kg"] == pytest.approx(235 * LB)
    assert row["last_intensity"] == pytest.approx(1 / (1 + 5 / 30))
    assert row["best_recent_weight_kg"] == 125.0  # the heaviest top set of the last 6
    assert pd.isna(row["rpe_last"])  # S5 logged no RPE
    # trend: least squares of e1RM on day over the 5 sessions, at day 14 + 17 = 31
    slope, intercept = np.polyfit(DAYS, E1RM, 1)
    assert row["trend_kg"] == pytest.approx(intercept + slope * 31, rel=1e-9)
    assert row["training_age_days"] == 31  # 01-05 → 02-05
    assert row["break_days"] == 17  # gaps 3, 4, 3, 4 and the 17 days since
    assert row["body_mass_kg"] == 80.0  # 82 kg is weighed on the query day itself
    assert row["relative_level"] == pytest.approx(level / 80.0)


def test_trend_stops_28_days_past_the_last_session() -> None:
    late = ask(five_sessions().inputs(), "2026-03-01T10:00").iloc[0]
    assert late["days_since"] == 41  # 01-19 → 03-01
    slope, intercept = np.polyfit(DAYS, E1RM, 1)
    assert late["trend_kg"] == pytest.approx(intercept + slope * (14 + 28), rel=1e-9)
    assert late["sessions_28d"] == 0


def test_trend_uses_only_the_last_six_sessions() -> None:
    h = five_sessions()
    h.add(U, "2026-01-22T10:00", [(BENCH, 110.0, 3)])
    h.add(U, "2026-01-26T10:00", [(BENCH, 112.5, 2)])
    e1rm = np.r_[E1RM, 110 * 1.1, 112.5 * (1 + 2 / 30)]
    days = np.r_[DAYS, 17, 21]
    row = ask(h.inputs(), "2026-01-29T10:00").iloc[0]
    slope, intercept = np.polyfit(days[-6:], e1rm[-6:], 1)
    assert row["trend_kg"] == pytest.approx(intercept + slope * 24, rel=1e-9)
    assert row["sessions_total"] == 7
    assert row["top_reps_last"] == 2 and row["unit_lb"] == 0.0
    assert row["slope3_wk"] == pytest.approx(
        np.polyfit(days[-3:], np.log(e1rm[-3:]), 1)[0] * 7, rel=1e-9
    )


def test_mid_history_query_sees_only_earlier_sessions() -> None:
    # asked at S4's start: S1–S3 are the past, S4 itself is not
    row = ask(five_sessions().inputs(), "2026-01-15T10:00").iloc[0]
    assert row["level_kg"] == 125.0
    assert row["sessions_total"] == 3
    assert row["top_reps_last"] == 1 and row["working_sets_last"] == 2
    assert row["days_since"] == 3
    assert row["mean3_ratio"] == pytest.approx(E1RM[:3].mean() / 125.0)
    assert row["unit_lb"] == 0.0
    assert row["body_mass_kg"] == 80.0


def test_no_earlier_session_gives_nan_features() -> None:
    inputs = five_sessions().inputs()
    first = ask(inputs, "2026-01-05T10:00").iloc[0]  # S1's own start: nothing before
    never = ask(inputs, "2026-02-05T10:00", exercise=ROW).iloc[0]
    for row in (first, never):
        assert all(pd.isna(row[name]) for name in FEATURES)
        assert pd.isna(row["persistence_kg"]) and pd.isna(row["trend_kg"])


def test_warm_ups_and_sets_beyond_12_reps_never_make_a_session() -> None:
    h = History()
    h.add(U, "2026-01-05T10:00", [(BENCH, 100.0, 5)])
    h.add(U, "2026-01-07T10:00", [(BENCH, 200.0, 3, "warmup"), (BENCH, 150.0, 13)])
    h.add(U, "2026-01-09T10:00", [(BENCH, 0.0, 5), (PULL_UP, 20.0, 5)])
    row = ask(h.inputs(), "2026-01-12T10:00").iloc[0]
    assert row["sessions_total"] == 1
    assert row["level_kg"] == pytest.approx(100 * (1 + 5 / 30))
    assert row["days_since"] == 7


def test_training_examples_label_each_session_after_the_first() -> None:
    examples = training_examples(five_sessions().inputs())
    bench = examples[examples["user_id"] == U].reset_index(drop=True)
    # S2–S5 labelled with their own best e1RM; persistence = the session before's
    np.testing.assert_allclose(bench["label_e1rm_kg"], E1RM[1:])
    np.testing.assert_allclose(bench["persistence_kg"], E1RM[:-1])
    np.testing.assert_allclose(bench["sessions_total"], [1, 2, 3, 4])
    assert list(bench["days_since"]) == [3, 4, 3, 4]
    # the other athlete's squat: 3 sessions → 2 examples, label = 150·(1 + 3/30) each
    squat = examples[examples["user_id"] == "athlete-2"]
    np.testing.assert_allclose(squat["label_e1rm_kg"], [165.0, 165.0])
    assert examples["as_of"].is_monotonic_increasing
    assert set(FEATURES) <= set(examples.columns)

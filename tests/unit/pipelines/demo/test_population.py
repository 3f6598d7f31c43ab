"""The synthetic population: reproducible, inside the research ranges, causal, exact in time.

Expected figures come from ``research/sports-science.md`` (section in each test), never
from the generator's output.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from api.exercises.catalogue import CATALOGUE_V1, exercise_id
from models.coaching.chart import rts_pct
from pipelines.demo.frames import LB_KG, to_utc
from pipelines.demo.population import Block, Population, generate

END = date(2025, 6, 30)
MAIN_LIFTS = ("bench-press-barbell", "chest-press-machine")


@pytest.fixture(scope="module")
def pop() -> Population:
    return generate(300, 3, 11, END)


def test_same_seed_same_population_and_another_seed_differs() -> None:
    a, b, c = generate(6, 0.5, 3, END), generate(6, 0.5, 3, END), generate(6, 0.5, 4, END)
    for name in Population.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.workout_sets["weight_kg"].equals(c.workout_sets["weight_kg"])


def test_tables_reference_catalogue_exercises_and_kinds(pop: Population) -> None:
    kinds = {str(exercise_id(e.slug)): e.kind for e in CATALOGUE_V1}
    used = pop.workout_sets["exercise_id"].map(kinds)
    assert used.notna().all()
    assert {"strength", "bodyweight", "assisted"} <= set(used)
    bodyweight = pop.workout_sets[used == "bodyweight"]
    assert bodyweight["weight_kg"].isna().all() and (bodyweight["reps"] > 0).all()
    assert pop.workouts["id"].is_unique and pop.workout_sets["id"].is_unique
    assert set(pop.workout_sets["workout_id"]) <= set(pop.workouts["id"])
    assert set(pop.cardio_sessions["workout_id"]) <= set(pop.workouts["id"])


def test_rts_chart_matches_published_table() -> None:
    # §2b rows: 1 @10 = 100, 5 @8 = 81.1, 10 @9 = 70.7, 3 @7 = 83.7 (within 0.6 points)
    got = rts_pct([1, 5, 10, 3], [10, 8, 9, 7]) * 100
    np.testing.assert_allclose(got, [100, 81.1, 70.7, 83.7], atol=0.6)


def test_sessions_per_week_by_segment(pop: Population) -> None:
    # §7 "sessions/week": new members median ~1, committed 3–4, advanced 4–5 (lifters only;
    # breaks count as weeks, so the bands reach a little lower).
    ath = pop.athletes.set_index("user_id")
    weeks = (ath["end_day"] - ath["start_day"]) / 7
    per_week = pop.workouts.groupby("user_id").size().reindex(ath.index, fill_value=0) / weeks
    lifters = ath["modality"] == "lift"
    medians = per_week[lifters].groupby(ath.loc[lifters, "segment"]).median()
    assert 0.6 <= medians["new"] <= 1.6
    assert 2.6 <= medians["committed"] <= 4.0
    assert 3.4 <= medians["advanced"] <= 5.0


def _series(pop: Population, athlete: int) -> pd.Series:
    t = pop.truth
    assert t is not None
    rows = t[(t["athlete"] == athlete) & t["lift"].isin(MAIN_LIFTS)]
    return rows.set_index("day")["true_e1rm_kg"]


def test_first_year_novice_gain(pop: Population) -> None:
    # §1a Steele 2022 / §7: novices gain 30–50 % in their first year (median here).
    ath = pop.athletes
    n_days = 3 * 365
    novices = ath[
        (ath["status"] == "novice")
        & (ath["end_day"] - ath["start_day"] > 366)
        & (ath["start_day"] < n_days - 366)
    ]
    gains = []
    for athlete in novices["athlete"]:
        series = _series(pop, athlete)
        first = series.index.min()
        gains.append(series[first + np.timedelta64(365, "D")] / series[first] - 1)
    assert len(gains) >= 15
    assert 0.30 <= float(np.median(gains)) <= 0.50


def test_loss_after_an_eight_week_break(pop: Population) -> None:
    # §1b: −7 to −12 % after 4–8 weeks off (Izquierdo 2007); measured over 52–60-day gaps.
    s = pop.sessions.sort_values(["athlete", "day"])
    gap = s.groupby("athlete")["day"].diff().dt.days
    losses = []
    for athlete, day, days_off in zip(s["athlete"], s["day"], gap, strict=True):
        if not 52 <= days_off <= 60:
            continue
        series = _series(pop, athlete)
        before, after = day - np.timedelta64(int(days_off), "D"), day - np.timedelta64(1, "D")
        if before in series.index and after in series.index:
            losses.append(series[after] / series[before] - 1)
    assert len(losses) >= 10
    assert -0.12 <= float(np.median(losses)) <= -0.07


def test_units_rpe_failures_and_deloads(pop: Population) -> None:
    users = pop.users
    # §7 "units": lb for US and ~25 % of CA/UK ⇒ about a quarter of users.
    assert 0.15 <= (users["unit_system"] == "imperial").mean() <= 0.35
    sets = pop.workout_sets
    lb = sets[sets["weight_unit"] == "lb"]
    pounds = lb["weight_kg"] / LB_KG
    np.testing.assert_allclose(pounds, np.round(pounds / 5) * 5, atol=1e-6)
    kg = sets[sets["weight_unit"] == "kg"]["weight_kg"]
    np.testing.assert_allclose(kg, np.round(kg / 2.5) * 2.5, atol=1e-9)
    working = sets["set_type"] == "working"
    assert 0.20 <= sets.loc[working, "rpe"].isna().mean() <= 0.40  # §7: 20–40 % without RPE
    truth = pop.set_truth
    assert truth is not None
    heavy = working & (truth["target_reps"] <= 5)
    assert 0.02 <= truth.loc[heavy, "failed"].mean() <= 0.05  # §7: 2–5 % of heavy sets fail
    # §1c/§7: deload weeks cut volume 40–50 % — measured as working sets per lift session.
    per = sets[working].groupby("workout_id").size()
    lifts = pop.sessions[pop.sessions["kind"] == "lift"].assign(
        n=lambda f: f["workout_id"].map(per)
    )
    ratio = lifts.loc[lifts["deload"], "n"].mean() / lifts.loc[~lifts["deload"], "n"].mean()
    assert 0.45 <= ratio <= 0.7


def test_performance_falls_with_fatigue(pop: Population) -> None:
    t = pop.truth
    assert t is not None
    residual = t["true_e1rm_kg"] / t["trend_kg"] - 1
    x = np.column_stack([np.ones(len(t)), t["fitness"], t["fatigue"]])
    coef = np.linalg.lstsq(x, residual.to_numpy(float), rcond=None)[0]
    assert coef[2] < 0 < coef[1]


def test_heavier_block_performs_worse_than_lighter_block() -> None:
    first, weeks = END - timedelta(days=120), 4
    heavy = generate(3, 1, 5, END, block=Block(0, first, weeks, 1.8))
    light = generate(3, 1, 5, END, block=Block(0, first, weeks, 0.5))
    assert heavy.truth is not None and light.truth is not None
    window = (
        pd.Timestamp(first) + pd.Timedelta(days=10),
        pd.Timestamp(first) + pd.Timedelta(days=7 * weeks),
    )

    def mean_in_block(p: Population) -> float:
        t = p.truth
        assert t is not None
        rows = t[(t["athlete"] == 0) & (t["day"] >= window[0]) & (t["day"] < window[1])]
        return float(rows["true_e1rm_kg"].mean())

    assert mean_in_block(heavy) < 0.99 * mean_in_block(light)
    before = pd.Timestamp(first) - pd.Timedelta(days=1)
    h, lo = heavy.truth, light.truth
    assert np.allclose(
        h[(h["athlete"] == 0) & (h["day"] < before)]["true_e1rm_kg"],
        lo[(lo["athlete"] == 0) & (lo["day"] < before)]["true_e1rm_kg"],
    )  # the same athlete up to the block


def test_dst_change_day_maps_to_the_right_instant() -> None:
    local = np.array(
        ["2024-03-10T18:30", "2024-11-03T01:30", "2024-03-31T02:30"], dtype="datetime64[m]"
    )
    zones = np.array(["America/New_York", "America/New_York", "Europe/Berlin"], dtype=object)
    got = to_utc(local, zones)
    for value, zone, utc in zip(local, zones, got, strict=True):
        naive = datetime.fromisoformat(str(value))
        expected = naive.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        assert utc.to_pydatetime() == expected


def test_generated_workouts_on_dst_days_and_movers(pop: Population) -> None:
    s = pop.sessions.set_index("workout_id")
    w = pop.workouts.assign(local=lambda f: f["id"].map(s["local_start"]))
    ny = w[w["time_zone"].isin(["America/New_York", "Europe/Berlin", "Australia/Sydney"])]

    def changes_offset(day: date, zone: str) -> bool:
        tz = ZoneInfo(zone)
        morning, night = (
            datetime(day.year, day.month, day.day, 0, 0),
            datetime(day.year, day.month, day.day, 23, 59),
        )
        return morning.replace(tzinfo=tz).utcoffset() != night.replace(tzinfo=tz).utcoffset()

    days = pd.date_range(END - timedelta(days=3 * 366), END).date
    dst_days = {
        d
        for z in ("America/New_York", "Europe/Berlin", "Australia/Sydney")
        for d in days
        if changes_offset(d, z)
    }
    assert len(dst_days) >= 12  # two a year in each of three zones
    on_dst = ny[ny["local"].dt.date.isin(dst_days)]
    assert len(on_dst) >= 5
    for local, zone, utc in zip(
        on_dst["local"], on_dst["time_zone"], on_dst["started_at"], strict=True
    ):
        expected = local.to_pydatetime().replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
        assert utc.to_pydatetime() == expected
    zones_per_user = pop.workouts.groupby("user_id")["time_zone"].nunique()
    movers = zones_per_user[zones_per_user > 1].index
    assert 0.01 <= len(movers) / len(pop.users) <= 0.12
    last_zone = pop.workouts.sort_values("started_at").groupby("user_id")["time_zone"].last()
    users = pop.users.set_index("id")
    assert (users.loc[movers, "time_zone"] == last_zone[movers]).all()


def test_demo_athlete_is_rich(pop: Population) -> None:
    demo = pop.users[pop.users["email"] == "demo@forma.example"]["id"].item()
    mine = pop.workouts[pop.workouts["user_id"] == demo]
    assert mine["started_at"].max() - mine["started_at"].min() > pd.Timedelta(days=2 * 365)
    assert (pop.cardio_sessions["user_id"] == demo).sum() > 50
    sets = pop.workout_sets[pop.workout_sets["user_id"] == demo]
    assert sets["form_score"].notna().sum() > 100 and sets["detected_reps"].notna().sum() > 100

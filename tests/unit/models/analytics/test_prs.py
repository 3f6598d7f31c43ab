"""Rep-max and max-reps records: the events that raised a record and the standing records
(``models.analytics.strength.pr_events`` / ``current_prs`` through the engine's
``events`` and ``prs`` frames). Expected values are worked out by hand from DESIGN §5."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from models.analytics import EVENT_COLUMNS
from tests.support.lifts import DAY, EVENING, MORNING, evening_then_morning, lift, run, session


def test_rep_max_heaviest_per_rep_count_ties_earliest() -> None:
    early = [
        lift("squat", 100.0, 5),
        lift("squat", 95.0, 5),
        lift("squat", 120.0, 1, "failure"),
        lift("squat", 130.0, 1, "warmup"),
        lift("squat", 60.0, 15),
        lift("squat", 0.0, 3),
        lift("squat", 40.0, 12, "dropset"),
    ]
    result = run(evening_then_morning([lift("squat", 100.0, 5)], early, ids=("late", "early")))
    prs = result.prs
    assert list(prs.columns) == EVENT_COLUMNS
    assert prs["kind"].unique().tolist() == ["rep_max"]
    assert prs["reps"].tolist() == [1, 5, 12]
    assert prs["weight_kg"].tolist() == [120.0, 100.0, 40.0]
    five = prs[prs["reps"] == 5].iloc[0]
    assert five["set_id"] == "early-0"
    assert five["workout_id"] == "early"
    assert five["achieved_at"] == pd.Timestamp("2024-06-12T07:00:00Z")
    assert five["achieved_on"] == pd.Timestamp(DAY)
    # every record was first set here: no record before it; the evening's tie and the
    # lighter 95 kg × 5 after 100 kg × 5 raised nothing
    assert sorted(result.events["set_id"]) == ["early-0", "early-2", "early-6"]
    assert result.events["previous"].isna().all()


def test_max_reps_for_bodyweight_and_none_for_other_kinds() -> None:
    result = run(
        [
            session(
                "w1",
                DAY,
                lift("pullup", None, 20),
                lift("pullup", None, 40, "warmup"),
                lift("assisted_dip", 20.0, 8),
                lift("row", None, None),
                lift("squat", None, None),
                hour=MORNING,
            ),
            session("w2", DAY, lift("pullup", None, 25), hour=EVENING),
            session("w3", DAY + dt.timedelta(days=1), lift("pullup", 0.0, 25), hour=EVENING),
        ],
        kinds={"row": "timed", "squat": "cardio"},
    )
    prs = result.prs
    assert prs["exercise_id"].tolist() == ["pullup"]
    row = prs.iloc[0]
    assert row["kind"] == "max_reps"
    assert row["reps"] == 25
    assert math.isnan(row["weight_kg"])
    assert row["set_id"] == "w2-0"  # the first 25, not the one the day after
    assert row["achieved_on"] == pd.Timestamp(DAY)
    # the 20 was a record when it was done; the 25 raised it from 20
    events = result.events.sort_values("achieved_at")
    assert events["set_id"].tolist() == ["w1-0", "w2-0"]
    assert events["previous"].tolist()[1] == 20.0


def test_events_raise_records_over_time_and_the_last_one_stands() -> None:
    result = run(
        [
            session("a", dt.date(2024, 6, 3), lift("bench", 100.0, 5)),
            session("b", dt.date(2024, 6, 5), lift("bench", 97.5, 5)),  # below: no event
            session("c", dt.date(2024, 6, 10), lift("bench", 102.5, 5), lift("bench", 102.5, 5)),
            session("d", dt.date(2024, 6, 17), lift("bench", 105.0, 3)),  # another rep count
        ]
    )
    events = result.events.sort_values(["achieved_on", "set_id"])
    assert events["set_id"].tolist() == ["a-0", "c-0", "d-0"]
    previous = events["previous"].to_numpy()
    assert np.isnan(previous[0]) and previous[1] == 100.0 and np.isnan(previous[2])
    prs = result.prs
    assert prs[["reps", "weight_kg", "set_id"]].values.tolist() == [
        [3.0, 105.0, "d-0"],
        [5.0, 102.5, "c-0"],
    ]


def test_pr_tie_goes_to_the_earlier_local_day_not_the_earlier_utc_instant() -> None:
    # Production breaks ties by (local day, performed_at, position, hash of set id); the
    # old rep_max_prs by (performed_at, position, set_id). The same 100 kg × 5 twice:
    # "dubai" starts 2024-06-11 21:00 UTC, 01:00 local on the 12th; "london" starts later
    # in UTC (22:00) but on the local 11th. The earlier local day holds the record.
    result = run(
        [
            session("dubai", DAY, lift("squat", 100.0, 5), hour=-3.0),
            session("london", DAY - dt.timedelta(days=1), lift("squat", 100.0, 5), hour=22.0),
        ]
    )
    dubai_at = pd.Timestamp("2024-06-11T21:00:00Z")
    london_at = pd.Timestamp("2024-06-11T22:00:00Z")
    assert dubai_at < london_at  # the old rule would have picked "dubai"
    assert result.prs["set_id"].tolist() == ["london-0"]
    assert result.prs["achieved_on"].tolist() == [pd.Timestamp(DAY - dt.timedelta(days=1))]
    assert result.prs["achieved_at"].tolist() == [london_at]
    assert result.events["set_id"].tolist() == ["london-0"]


def test_no_qualifying_sets_give_no_records() -> None:
    result = run(
        [session("w", DAY, lift("squat", 100.0, 5, "warmup"), lift("row", 50.0, 5))],
        kinds={"row": "cardio"},
    )
    assert result.events.empty and result.prs.empty and result.e1rm.empty
    assert list(result.prs.columns) == EVENT_COLUMNS

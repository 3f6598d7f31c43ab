"""``score_rows``: the rows stored from ``score``'s frame are plain JSON-able values."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pandas as pd

from api.recommendations.repository import score_rows

USER, BENCH, SQUAT = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())


def test_model_and_rule_rows_become_plain_values():
    frame = pd.DataFrame(
        {
            "user_id": [USER, USER],
            "exercise_id": [BENCH, SQUAT],
            "exercise_name": ["Bench", "Squat"],
            "rank": np.array([0, 1], dtype=np.int64),
            "model_name": ["next_e1rm", None],
            "model_version": [3.0, np.nan],  # a float column once a rule row is in it
            "rule": [None, "no_history"],
            "predicted_e1rm_kg": [np.float64(118.25), np.nan],
            "interval_low_kg": [112.0, np.nan],
            "interval_high_kg": [124.5, np.nan],
            "unit": ["kg", "kg"],
            "sets": [
                [{"weight_kg": np.float64(95.0), "weight": 95.0, "unit": "kg",
                  "reps": np.int64(5), "target_rpe": np.float64(8.0)}],
                [{"weight_kg": None, "weight": None, "unit": "kg", "reps": 8, "target_rpe": 7.0}],
            ],
            "explanation": ["up 2 kg", "never done"],
        }
    )  # fmt: skip
    as_of = pd.Timestamp("2026-12-04 20:00", tz="UTC")
    batch = uuid.uuid4()
    rows = score_rows(frame, as_of=as_of, batch_id=batch, data_seq={USER: 17})
    model, rule = rows
    assert model["id"] != rule["id"]
    for row in rows:
        assert row["user_id"] == uuid.UUID(USER) and row["batch_id"] == batch
        assert row["data_seq"] == 17 and row["as_of"] == as_of.to_pydatetime()
    assert (model["model_name"], model["model_version"], model["rule"]) == ("next_e1rm", 3, None)
    assert type(model["model_version"]) is int and type(model["rank"]) is int
    assert (model["predicted_e1rm_kg"], model["interval_low_kg"], model["interval_high_kg"]) == (
        118.25, 112.0, 124.5,
    )  # fmt: skip
    assert (rule["model_name"], rule["model_version"], rule["rule"]) == (None, None, "no_history")
    assert (rule["predicted_e1rm_kg"], rule["interval_low_kg"], rule["interval_high_kg"]) == (
        None, None, None,
    )  # fmt: skip
    assert model["sets"] == [
        {"weight_kg": 95.0, "weight": 95.0, "unit": "kg", "reps": 5, "target_rpe": 8.0}
    ]
    assert type(model["sets"][0]["reps"]) is int
    json.dumps([model["sets"], rule["sets"]], allow_nan=False)  # storable as JSONB


def test_batches_per_athlete():
    other = str(uuid.uuid4())
    frame = pd.DataFrame(
        {
            "user_id": [USER, other], "exercise_id": [BENCH, BENCH],
            "exercise_name": ["Bench"] * 2, "rank": [0, 0], "model_name": [None, None],
            "model_version": [None, None], "rule": ["last_sets"] * 2,
            "predicted_e1rm_kg": [np.nan] * 2, "interval_low_kg": [np.nan] * 2,
            "interval_high_kg": [np.nan] * 2, "unit": ["kg", "lb"], "sets": [[], []],
            "explanation": ["again"] * 2,
        }
    )  # fmt: skip
    batches = {USER: uuid.uuid4(), other: uuid.uuid4()}
    rows = score_rows(
        frame, as_of=pd.Timestamp.now(tz="UTC"), batch_id=batches, data_seq={USER: 1, other: 9}
    )
    assert [(r["batch_id"], r["data_seq"], r["unit"]) for r in rows] == [
        (batches[USER], 1, "kg"), (batches[other], 9, "lb"),
    ]  # fmt: skip

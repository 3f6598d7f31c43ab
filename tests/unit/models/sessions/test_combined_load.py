"""The combined load on the session-RPE scale, by hand for each rule."""

from __future__ import annotations

import math

import pandas as pd

from models.sessions.load import combined_loads

NAN = math.nan


def _loads(*rows: tuple) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows,
        columns=["duration_s", "session_rpe", "cardio_load", "cardio_method", "cardio_trimp",
                 "working_sets", "mean_set_rpe"],
    )  # fmt: skip
    return combined_loads(frame)


def test_each_rule_by_hand() -> None:
    out = _loads(
        (3600.0, 7.0, NAN, None, NAN, 10, 8.0),  # rated lifting: 7 × 60 = 420
        (3000.0, NAN, 80.0, "trimp", 80.0, 0, NAN),  # HR cardio: 80 TRIMP × 3 = 240
        (3000.0, 5.0, 80.0, "trimp", 80.0, 0, NAN),  # rated cardio: 5 × 50 = 250
        (2400.0, NAN, NAN, None, NAN, 12, 8.5),  # set RPEs: 8.5 × 40 = 340
        (NAN, NAN, NAN, None, NAN, 5, NAN),  # nothing rated, no duration: 7 × 5 × 3 = 105
        (NAN, NAN, NAN, None, NAN, 0, NAN),  # nothing at all: 0
    )
    assert out["load"].tolist() == [420.0, 240.0, 250.0, 340.0, 105.0, 0.0]
    assert out["method"].tolist() == ["srpe", "trimp", "srpe", "estimated", "estimated", "none"]
    srpe = out["srpe_load"].tolist()
    assert srpe[0] == 420.0 and srpe[2] == 250.0  # measured sRPE only where rated
    assert all(math.isnan(v) for v in (srpe[1], srpe[3], srpe[4], srpe[5]))
    assert out["trimp"][1] == 80.0


def test_a_lifting_session_left_running_is_timed_by_its_sets() -> None:
    """A Strong workout never ended in the app (234 h) is charged 8 sets × 3 min, rated or
    not; a 6-hour cardio recording keeps its duration."""
    out = _loads(
        (234 * 3600.0, NAN, NAN, None, NAN, 8, 8.0),  # 8.0 × 24 min = 192
        (234 * 3600.0, 6.0, NAN, None, NAN, 8, NAN),  # 6 × 24 min = 144
        (4 * 3600.0, 6.0, NAN, None, NAN, 8, NAN),  # exactly 4 h is believed: 6 × 240
        (6 * 3600.0, 4.0, 900.0, "trimp", 300.0, 0, NAN),  # ultra run: 4 × 360 = 1,440
    )
    assert out["load"].tolist() == [192.0, 144.0, 1440.0, 1440.0]

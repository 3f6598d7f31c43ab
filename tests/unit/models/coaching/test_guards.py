"""Guards on prescriptions (``models.coaching.guards``): detraining after a break and a
mistyped session, by hand; and what ``score`` then prescribes, rule and model alike."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.coaching.guards import detraining_factor, guard, plausible_sessions
from models.coaching.scoring import score
from tests.support.coaching import BENCH, History, catalogue, fitted_coach

AS_OF = pd.Timestamp("2026-02-10T12:00", tz="UTC")


@pytest.mark.parametrize(
    ("days", "kept"),
    [
        (0, 1.0),
        (21, 1.0),  # 3 weeks: no loss
        (35, 1 - 2 * 0.0175),  # 5 weeks: 2 weeks past the grace, 1.75 % each
        (56, 1 - 5 * 0.0175),  # 8 weeks: −8.75 %, inside the −7 to −12 % reported
        (70, 1 - 0.12),  # 7 × 1.75 % = 12.25 % → the 12 % cap
        (2315, 1 - 0.12),
        (float("nan"), 1.0),
        (-3, 1.0),
    ],
)
def test_detraining_factor_by_hand(days: float, kept: float) -> None:
    assert detraining_factor(days) == pytest.approx(kept)


def test_a_session_far_above_the_ones_before_it_is_not_trusted() -> None:
    # e1RMs of 100 kg × 5 (116.7) and one typo of 1000 kg × 5 (1166.7)
    e1rm = [116.7, 116.7, 119.0, 1166.7, 117.0, 121.0]
    assert plausible_sessions(e1rm).tolist() == [True, True, True, False, True, True]
    # fewer than three sessions before it: nothing to judge by
    assert plausible_sessions([50.0, 116.7, 1166.7]).all()
    # a steady climb of 5 % a session is training, not a typo
    assert plausible_sessions(100 * 1.05 ** np.arange(20)).all()
    # 1.5 × the median of the last five is the line: at it kept, above it not
    assert plausible_sessions([100, 100, 100, 150.0, 150.01]).tolist() == [True] * 4 + [False]


def _bench(h: History, user: str, days: list[str], weights: list[float]) -> History:
    for day, kg in zip(days, weights, strict=True):
        h.add(user, f"{day}T10:00", [(BENCH, kg, 5, "working", 8.0, "kg")] * 3)
    return h


WEEKLY = [d.date().isoformat() for d in pd.date_range("2025-11-04", periods=14, freq="7D")]


def test_rule_answer_skips_a_mistyped_last_session() -> None:
    # 13 weekly sessions at 100 kg × 5, then one logged as 1000 kg × 5 (the last, 02-03)
    h = _bench(History(), "a", WEEKLY, [100.0] * 13 + [1000.0])
    out = score(None, None, h.inputs(), catalogue(), _users(), AS_OF, only=[BENCH]).iloc[0]
    assert out["rule"] == "last_sets"
    assert {s["weight_kg"] for s in out["sets"]} == {100.0}  # the session before it
    assert "2026-02-03 (1000 kg × 5)" in out["explanation"] and "typo" in out["explanation"]


def test_rule_answer_after_a_break_is_lighter_by_the_detraining_share() -> None:
    # the last bench 9 weeks before as-of
    h = _bench(History(), "a", WEEKLY[:6], [100.0] * 6)  # last 2025-12-09; 63 days to 02-10
    out = score(None, None, h.inputs(), catalogue(), _users(), AS_OF, only=[BENCH]).iloc[0]
    kept = 1 - min(0.12, (63 / 7 - 3) * 0.0175)  # 9 weeks off: 6 past the grace → 10.5 %
    assert kept == pytest.approx(0.895)
    # 100 × 0.895 = 89.5 kg, to the nearest 2.5 kg plate step: 90 (35.8 steps → 36)
    assert {s["weight_kg"] for s in out["sets"]} == {90.0}
    assert "9 weeks since you last trained it" in out["explanation"]
    assert "10% of strength lost" in out["explanation"]


def test_model_answer_caps_the_sets_but_keeps_the_models_forecast() -> None:
    coach, _ = fitted_coach(12, 1.0, 5, date(2026, 1, 1))
    h = _bench(History(), "a", WEEKLY, [100.0] * 13 + [1000.0])
    out = score(coach, ("next_e1rm", 1), h.inputs(), catalogue(), _users(), AS_OF,
                only=[BENCH]).iloc[0]  # fmt: skip
    assert out["model_name"] == "next_e1rm"
    # the model, pulled up by the typo, is overruled: at most 5 % over the last trusted
    # e1RM, 100 × (1 + 5/30) × 1.05 = 122.5 kg, the interval scaled with it
    assert out["predicted_e1rm_kg"] == pytest.approx(100 * (1 + 5 / 30) * 1.05, abs=0.01)
    assert out["interval_low_kg"] <= out["predicted_e1rm_kg"] <= out["interval_high_kg"]
    assert out["interval_high_kg"] < 200
    assert all(s["weight_kg"] <= 105.0 for s in out["sets"])  # 5 % over the 100 kg sets
    assert "typo" in out["explanation"] and "The model alone forecast" in out["explanation"]
    alone = float(out["explanation"].split("The model alone forecast ")[1].split(" kg")[0])
    assert alone > 200  # what the model said, kept in the words


def test_guard_names_nothing_for_a_recent_plausible_history() -> None:
    sessions = pd.DataFrame(
        {"day": pd.to_datetime(["2026-02-01", "2026-02-03"]), "e1rm_kg": [116.7, 119.0],
         "top_weight_kg": [100.0, 102.0], "top_reps": [5, 5]}
    )  # fmt: skip
    guarded = guard(sessions, 7.0, "kg")
    assert guarded.ceiling_e1rm_kg is None and guarded.notes == ()
    assert len(guarded.trusted) == 2


def _users() -> pd.DataFrame:
    return pd.DataFrame({"user_id": ["a"], "unit_system": [None], "time_zone": ["UTC"]})


def test_a_week_between_sessions_is_not_called_a_break() -> None:
    from models.coaching.explain import _phrase

    assert _phrase("break_days", {"break_days": 7.0}, "kg") == (
        "at most 7 days between your recent sessions"
    )
    assert _phrase("break_days", {"break_days": 21.0}, "kg") == (
        "a break of 21 days in your recent training"
    )

"""Incremental equals full: after any sequence of adds, edits and deletes, refreshing
each change from its first affected day leaves exactly the tables a full recompute
gives (``models.analytics.derive``; the replay mirrors the pipeline's store)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.analytics import derive
from tests.support.derived import EXERCISES, inputs, refresh, same, tables

BASE = date(2023, 12, 20)  # a Wednesday in December: weeks and months straddle it

set_strategy = st.tuples(
    st.sampled_from(sorted(EXERCISES)),
    st.sampled_from(["working", "working", "warmup", "failure", "dropset"]),
    st.sampled_from([None, 0.0, 20.0, 60.0, 62.5, 100.0]),
    st.sampled_from([None, 0, 1, 3, 5, 8, 12, 15]),
    st.sampled_from([None, 7.0, 8.5, 10.0]),
    st.sampled_from([None, None, 2.0]),
    st.sampled_from([None, 5]),
    st.sampled_from([None, 0.8]),
)
cardio_strategy = st.sampled_from(
    [None, None, (120.0, "trimp", 120.0, 5000.0), (50.0, "duration", 50.0, 0.0)]
)


@st.composite
def workout(draw: st.DrawFn, n: int) -> dict:
    return {
        "user": draw(st.sampled_from(["u1", "u2"])),
        "id": f"w{n}",
        "day": BASE + timedelta(days=draw(st.integers(-400, 120))),
        "hour": draw(st.integers(0, 23)),
        "duration_s": draw(st.sampled_from([None, 1800.0, 3600.0])),
        "session_rpe": draw(st.sampled_from([None, 6.0, 9.0])),
        "cardio": draw(cardio_strategy),
        "sets": draw(st.lists(set_strategy, max_size=5)),
    }


operation = st.tuples(st.sampled_from(["add", "edit", "delete"]), st.integers(0, 10_000))


@settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), ops=st.lists(operation, min_size=1, max_size=8))
def test_incremental_refresh_equals_full_recompute(data: st.DataObject, ops: list) -> None:
    counter = 0
    history = [data.draw(workout(i)) for i in range(data.draw(st.integers(0, 6)))]
    counter = len(history)
    masses = [("u1", BASE - timedelta(days=30), 80.0), ("u1", BASE + timedelta(days=10), 82.5)]
    stored = tables(derive(inputs(history, masses)))
    for kind, pick in ops:
        if kind == "add" or not history:
            new = data.draw(workout(counter))
            counter += 1
            history.append(new)
            since = {new["user"]: new["day"]}
        elif kind == "delete":
            gone = history.pop(pick % len(history))
            since = {gone["user"]: gone["day"]}
        else:
            i = pick % len(history)
            old = history[i]
            new = data.draw(workout(counter)) | {"id": old["id"], "user": old["user"]}
            history[i] = new
            since = {old["user"]: min(old["day"], new["day"])}
        stored = refresh(stored, inputs(history, masses), since)
        full = tables(derive(inputs(history, masses)))
        assert same(stored, full) == []


@settings(
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), ops=st.lists(operation, min_size=1, max_size=8))
def test_one_refresh_of_athletes_marked_from_different_days_equals_full(
    data: st.DataObject, ops: list
) -> None:
    """Changes accumulate (each athlete's mark keeps its earliest day) and one derive
    refreshes them all, each from its own day; a newcomer without derived rows yet is
    derived in the same call from 1900-01-01, as the pipeline's coalesced refresh does."""
    history = [data.draw(workout(i)) for i in range(data.draw(st.integers(0, 6)))]
    counter = len(history)
    stored = tables(derive(inputs(history)))
    since: dict[str, date] = {}
    for kind, pick in ops:
        if kind == "add" or not history:
            changed = data.draw(workout(counter))
            counter += 1
            history.append(changed)
            day = changed["day"]
        elif kind == "delete":
            changed = history.pop(pick % len(history))
            day = changed["day"]
        else:
            i = pick % len(history)
            old = history[i]
            changed = data.draw(workout(counter)) | {"id": old["id"], "user": old["user"]}
            history[i] = changed
            day = min(old["day"], changed["day"])
        since[changed["user"]] = min(since.get(changed["user"], day), day)
    newcomer = [data.draw(workout(counter + i)) | {"user": "u3"} for i in range(3)]
    everything = history + newcomer
    stored = refresh(stored, inputs(everything), since | {"u3": date(1900, 1, 1)})
    assert same(stored, tables(derive(inputs(everything)))) == []


def test_a_change_a_year_back_and_a_deletion_refresh_exactly() -> None:
    """Deterministic cases the property test may not draw: back-dating by a year into
    a long history, and deleting the athlete's last workout (the calendar shrinks)."""
    bench = ("bench", "working", 100.0, 5, 8.0, None, None, None)
    history = [
        {"user": "u1", "id": f"w{i}", "day": BASE + timedelta(days=3 * i), "sets": [bench]}
        for i in range(200)
    ]
    stored = tables(derive(inputs(history)))
    heavy = ("bench", "working", 120.0, 5, None, None, None, None)
    back = {"user": "u1", "id": "old", "day": BASE + timedelta(days=200), "sets": [heavy]}
    history.append(back)
    stored = refresh(stored, inputs(history), {"u1": back["day"]})
    assert same(stored, tables(derive(inputs(history)))) == []
    # the back-dated 120 kg × 5 is the standing 5-rep record; later 100 kg sets are not PRs
    prs = stored["prs"]
    five = prs[(prs["kind"] == "rep_max") & (prs["reps"] == 5)]
    assert five["weight_kg"].tolist() == [120.0]
    last = history.pop(199)
    stored = refresh(stored, inputs(history), {"u1": last["day"]})
    assert same(stored, tables(derive(inputs(history)))) == []
    assert stored["daily"]["date"].max().date() == BASE + timedelta(days=3 * 198)


def test_a_ten_year_history_matches_the_recursion_written_out() -> None:
    """Ten years of three sessions a week: one calendar row per day, and CTL/ATL on the
    last day equal to the recursion X_d = X_{d−1} + (L_d − X_{d−1})(1 − e^(−1/τ)) run
    day by day here, from 0 on the first day (DESIGN §5)."""
    import math

    start = date(2015, 1, 5)  # a Monday
    history, loads = [], {}
    for day in range(0, 3653):
        when = start + timedelta(days=day)
        if when.weekday() in (0, 2, 4):
            history.append(
                {"user": "u1", "id": f"w{day}", "day": when, "duration_s": 3600.0,
                 "session_rpe": 5.0 + when.weekday() / 2, "sets": []}
            )  # fmt: skip
            loads[when] = (5.0 + when.weekday() / 2) * 60.0  # sRPE = RPE × minutes
    daily = derive(inputs(history)).daily
    last = max(loads)
    assert len(daily) == (last - start).days + 1
    ctl = atl = 0.0
    for offset in range((last - start).days + 1):
        load = loads.get(start + timedelta(days=offset), 0.0)
        ctl += (load - ctl) * (1 - math.exp(-1 / 42))
        atl += (load - atl) * (1 - math.exp(-1 / 7))
    final = daily.iloc[-1]
    assert abs(final["ctl"] - ctl) < 1e-9 * ctl and abs(final["atl"] - atl) < 1e-9 * atl
    # steady state: CTL ≈ the mean daily load, (300 + 360 + 420) / 7 AU
    assert abs(final["ctl"] - 1080 / 7) < 15

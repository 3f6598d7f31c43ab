"""Forma's analytics rules written out plainly, for expected values in the tests.

Every expected figure is computed here by a plain-Python loop over the workout plans
posted (:func:`tests.support.analytics.w`) — never with ``models.*``.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from api.exercises.catalogue import CATALOGUE_V1, exercise_id
from tests.support.analytics import BENCH, PULL_UP, ROW, SQUAT, monday, s, w

CATALOGUE = {str(exercise_id(e.slug)): e for e in CATALOGUE_V1}


def working(plan: dict) -> list[dict]:
    return [x for x in plan["sets"] if x.get("set_type", "working") != "warmup"]


def volume(plan: dict) -> float:
    """Σ weight × reps over non-warm-up sets; assisted exercises add none."""
    return sum(
        (x["weight_kg"] or 0.0) * (x["reps"] or 0)
        for x in working(plan)
        if CATALOGUE[x["exercise_id"]].kind != "assisted"
    )


def session_load(plan: dict) -> float:
    """sRPE × minutes when rated; else mean working-set RPE (10 − RIR), else 7, × minutes
    (else working sets × 3 min)."""
    if plan["rpe"] is not None and plan["minutes"]:
        return plan["rpe"] * plan["minutes"]
    ratings = [
        x["rpe"] if x.get("rpe") is not None else 10 - x["rir"]
        for x in working(plan)
        if x.get("rpe") is not None or x.get("rir") is not None
    ]
    rpe = sum(ratings) / len(ratings) if ratings else 7.0
    return rpe * (plan["minutes"] or 3.0 * len(working(plan)))


def series(loads: list[float]) -> list[dict]:
    """CTL/ATL (τ 42/7), TSB, rolling and EWMA ACWR, ramp rate, flags — one day at a time."""
    k_ctl, k_atl = 1 - math.exp(-1 / 42), 1 - math.exp(-1 / 7)
    l7, l28 = 2 / (7 + 1), 2 / (28 + 1)
    ctl = atl = acute = chronic = 0.0
    out: list[dict] = []
    for i, load in enumerate(loads):
        tsb = ctl - atl  # yesterday's states (0 on the first day)
        ctl += (load - ctl) * k_ctl
        atl += (load - atl) * k_atl
        acute = l7 * load + (1 - l7) * acute
        chronic = l28 * load + (1 - l28) * chronic
        rolling = None
        if i >= 27 and sum(loads[i - 27 : i + 1]) > 0:
            rolling = (sum(loads[i - 6 : i + 1]) / 7) / (sum(loads[i - 27 : i + 1]) / 28)
        ewma = acute / chronic if chronic > 0 else None
        out.append(
            {
                "load": load, "ctl": ctl, "atl": atl, "tsb": tsb, "acwr_rolling": rolling,
                "acwr_ewma": ewma, "ramp_rate": ctl - out[i - 7]["ctl"] if i >= 7 else None,
                "acwr_high": (rolling or 0) > 1.5 or (ewma or 0) > 1.5,
                "acwr_low": rolling is not None and rolling < 0.8,
            }
        )  # fmt: skip
    return out


def expected_load_days(plans: list[dict], until: date) -> dict[date, dict]:
    """Every day from the first training day to ``until`` with its loop values."""
    first, last = min(p["day"] for p in plans), max(p["day"] for p in plans)
    days = [first + timedelta(days=i) for i in range((until - first).days + 1)]
    loads = [sum(session_load(p) for p in plans if p["day"] == d) for d in days]
    out = {}
    for day, values in zip(days, series(loads), strict=True):
        on_day = [p for p in plans if p["day"] == day]
        rated = [p["rpe"] * p["minutes"] for p in on_day if p["rpe"] and p["minutes"]]
        out[day] = {
            **values,
            "sessions": len(on_day),
            "duration_s": sum((p["minutes"] or 0) * 60.0 for p in on_day),
            "volume_load_kg": sum(volume(p) for p in on_day),
            "srpe_load": sum(rated) if rated else None,
            "trimp": None,
            "projected": day > last,
        }
    return out


def pr_days(plans: list[dict]) -> list[date]:
    """The day of every set that raised a record when done: rep-max (strength, weight > 0,
    1–12 reps, heavier than before) or max reps (bodyweight); ties do not count."""
    best: dict[tuple, float] = {}
    days = []
    for plan in sorted(plans, key=lambda p: (p["day"], p["hour"])):
        for x in working(plan):
            kind, weight, reps = CATALOGUE[x["exercise_id"]].kind, x["weight_kg"], x["reps"] or 0
            if kind == "strength" and (weight or 0) > 0 and 1 <= reps <= 12:
                key, value = (x["exercise_id"], reps), weight
            elif kind == "bodyweight" and reps > 0:
                key, value = (x["exercise_id"], "max"), reps
            else:
                continue
            if key not in best or value > best[key]:
                best[key] = value
                days.append(plan["day"])
    return days


def expected_periods(plans: list[dict], start_of) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for plan in plans:
        p = out.setdefault(
            start_of(plan["day"]).isoformat(),
            {"sessions": 0, "sets": 0, "reps": 0, "volume_load_kg": 0.0, "load": 0.0, "prs": 0},
        )
        p["sessions"] += 1
        p["sets"] += len(working(plan))
        p["reps"] += sum(x["reps"] or 0 for x in working(plan))
        p["volume_load_kg"] += volume(plan)
        p["load"] += session_load(plan)
    for day in pr_days(plans):
        out[start_of(day).isoformat()]["prs"] += 1
    return dict(sorted(out.items()))


def expected_muscles(plans: list[dict]) -> dict[str, dict[str, list[float]]]:
    """Week → muscle → [fractional sets, volume]: 1.0 per primary, 0.5 per secondary."""
    out: dict[str, dict[str, list[float]]] = {}
    for plan in plans:
        week = out.setdefault(monday(plan["day"]).isoformat(), {})
        for x in working(plan):
            entry = CATALOGUE[x["exercise_id"]]
            vol = volume({"sets": [x]})
            for muscles, share in ((entry.primary_muscles, 1.0), (entry.secondary_muscles, 0.5)):
                for m in muscles:
                    total = week.setdefault(m, [0.0, 0.0])
                    total[0] += share
                    total[1] += share * vol
    return out


def window_totals(weeks: dict[str, dict[str, list[float]]]) -> dict[tuple[str, str], float]:
    totals: dict[tuple[str, str], float] = {}
    for week in weeks.values():
        for m, (sets, vol) in week.items():
            totals[(m, "sets")] = totals.get((m, "sets"), 0.0) + sets
            totals[(m, "volume")] = totals.get((m, "volume"), 0.0) + vol
    return totals


def flat(muscles: list[dict]) -> dict[tuple[str, str], float]:
    out = {(m["muscle"], "sets"): m["sets"] for m in muscles}
    return out | {(m["muscle"], "volume"): m["volume_load_kg"] for m in muscles}


def main_plan(d0: date) -> list[dict]:
    """35 days of training ending six days ago, every load rule represented."""
    plans = [
        # day 0, two sessions: 6 × 60 min + 8 × 30 min = 360 + 240 = 600
        w(d0, 8, 60, 6, [s(BENCH, 100.0, 5), s(BENCH, 105.0, 3)]),
        w(d0, 18, 30, 8, [s(SQUAT, 140.0, 5), s(SQUAT, 140.0, 5)]),
        # day 1: rest. Day 2, unrated: working-set RPE 8, 9 and RIR 2 (→ 8), the warm-up's
        # RPE 5 ignored: (8 + 9 + 8) / 3 × 50 min = 416.67
        w(
            d0 + timedelta(2),
            10,
            50,
            None,
            [
                s(BENCH, 60.0, 10, set_type="warmup", rpe=5),
                s(BENCH, 100.0, 5, rpe=8),
                s(BENCH, 100.0, 5, rpe=9),
                s(BENCH, 100.0, 5, rir=2),
            ],
        ),  # fmt: skip
        # day 3, nothing rated: 7 × 45 min = 315
        w(d0 + timedelta(3), 10, 45, None, [s(ROW, 80.0, 8), s(ROW, 80.0, 8)]),
        # day 5, no end time: 4 working sets × 3 min × 7 = 84
        w(d0 + timedelta(5), 10, None, None, [s(SQUAT, 120.0, 5)] * 4),
    ]
    for i, offset in enumerate((7, 9, 12, 14, 16, 19, 21, 23, 26, 28, 30, 33)):
        plans.append(
            w(
                d0 + timedelta(offset),
                17,
                40 + 5 * (i % 4),
                5 + i % 4,
                [
                    s(BENCH, 100.0 + 2.5 * (i % 3), 5),
                    s(ROW, 80.0, 8),
                    s(PULL_UP, None, 8 + i % 3),
                ],
            )  # fmt: skip
        )
    # day 34, the last training day: the heaviest bench (deleted in the deletion test)
    plans.append(w(d0 + timedelta(34), 17, 60, 9, [s(BENCH, 120.0, 3), s(SQUAT, 150.0, 3)]))
    return plans

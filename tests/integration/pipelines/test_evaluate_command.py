"""``forma evaluate --history …`` on the real Strong, Hevy and FitNotes exports: both
baselines' hold-out MAE against a hand computation from each CSV, the model beside them
with its intervals, the printed verdicts, and the registry's champion named.

The hand computation reads each CSV with pandas, independently of the parsers and of
``models.coaching``: per exercise and workout, the best Epley e1RM of the non-warm-up
sets with weight > 0 and 1–12 reps (kg; FitNotes' ``Weight (lbs)`` × 0.45359237) of
exercises of kind strength; an example is a session with an earlier one of its
exercise; persistence = the previous session's value, trend = the least-squares line
through the last 6 previous sessions' values against their day, read at the session's
day (at most 28 days past the last one; their mean when they share one day). The
hold-out starts at the cut of ``models.coaching.evaluation.cut_day`` with the default
``Params`` (12 weeks before the last example's day, or earlier so that 20 % of the
examples are held out). Exercise names are resolved with the catalogue's own lookup
(its data: names and aliases → exercise and kind); a name it lacks is a custom exercise,
of kind strength when a set of it carries weight — the importers' rule.

The report rounds each figure to 4 decimals: the hand values are compared to ±5e-5.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import text

from api.exercises.catalogue import build_lookup, exercise_id, match_key
from pipelines.cli import main
from tests.conftest import REAL_DATA
from tests.support.tiny_coach import store_champion
from tests.support.training_runs import committed  # noqa: F401  # the fixture

STRONG = REAL_DATA / "strong" / "strong-kg-swedish-names.csv"
HEVY = REAL_DATA / "hevy" / "hevy-kg-supersets-dropsets.csv"
FITNOTES = REAL_DATA / "fitnotes" / "fitnotes-lbs-2017-2020.csv"
LB = 0.45359237
#: the report's figures carry 4 decimals
ROUNDED = 5e-5 + 1e-9
#: Params() defaults the cut and the trend follow
HOLDOUT_WEEKS, MIN_TEST_FRACTION, TREND_SESSIONS, TREND_HORIZON_DAYS = 12, 0.2, 6, 28
LOSES = 'loses to "same as last time"'


# --------------------------------------------------------------------------- by hand


def sets_of(path: Path) -> pd.DataFrame:
    """The file's set rows: ``workout`` (its identity), ``start``, ``name``, ``warmup``,
    ``kg``, ``reps``."""
    raw = pd.read_csv(path)
    if path == STRONG:  # classic Strong; kg (the unit passed); Set Order always a number
        return pd.DataFrame(
            {
                "workout": raw["Date"] + "|" + raw["Workout Name"],
                "start": pd.to_datetime(raw["Date"]),
                "name": raw["Exercise Name"],
                "warmup": raw["Set Order"].astype(str).isin(["W", "WARM_UP"]),
                "kg": raw["Weight"].astype(float),
                "reps": raw["Reps"].astype(float),
            }
        )
    if path == HEVY:  # set_type warmup | normal | failure | dropset; weight_kg
        return pd.DataFrame(
            {
                "workout": raw["start_time"] + "|" + raw["title"],
                "start": pd.to_datetime(raw["start_time"], format="%d %b %Y, %H:%M"),
                "name": raw["exercise_title"],
                "warmup": raw["set_type"] == "warmup",
                "kg": raw["weight_kg"].astype(float),
                "reps": raw["reps"].astype(float),
            }
        )
    # FitNotes: a day is a workout; its header says pounds, whatever --weight-unit says
    return pd.DataFrame(
        {
            "workout": raw["Date"],
            "start": pd.to_datetime(raw["Date"]),
            "name": raw["Exercise"],
            "warmup": False,
            "kg": raw["Weight (lbs)"].astype(float) * LB,
            "reps": raw["Reps"].astype(float),
        }
    )


def sessions_of(sets: pd.DataFrame) -> pd.DataFrame:
    """Per (exercise, workout) with an eligible set: ``exercise`` (catalogue id, or
    ``custom:<key>``), ``start``, ``e1rm`` (best Epley)."""
    lookup = build_lookup()
    keys = sets["name"].map(match_key)
    weighted = sets.assign(key=keys).groupby("key")["kg"].apply(lambda kg: bool((kg > 0).any()))
    known = [lookup.get(k) for k in keys]
    kinds = [
        e.kind if e is not None else ("strength" if weighted[k] else "other")
        for e, k in zip(known, keys, strict=True)
    ]
    ids = [
        str(exercise_id(e.slug)) if e is not None else f"custom:{k}"
        for e, k in zip(known, keys, strict=True)
    ]
    sets = sets.assign(kind=kinds, exercise=ids)
    ok = (
        (sets["kind"] == "strength")
        & ~sets["warmup"]
        & (sets["kg"] > 0)
        & (sets["reps"] >= 1)
        & (sets["reps"] <= 12)
    )
    work = sets[ok]
    e1rm = np.where(work["reps"] == 1, work["kg"], work["kg"] * (1 + work["reps"] / 30))
    found = work.assign(e1rm=e1rm).groupby(["exercise", "workout"], as_index=False)
    return found.agg(start=("start", "first"), e1rm=("e1rm", "max"))


def examples_of(sessions: pd.DataFrame) -> pd.DataFrame:
    """Each session with an earlier one of its exercise: ``exercise``, ``day``, ``label``,
    ``persistence``, ``trend``."""
    rows = []
    for ex, group in sessions.groupby("exercise"):
        group = group.sort_values("start", kind="stable").reset_index(drop=True)
        for _, session in group.iterrows():
            before = group[group["start"] < session["start"]]
            if before.empty:
                continue
            day = session["start"].normalize()
            recent = before.tail(TREND_SESSIONS)
            days = recent["start"].dt.normalize()
            x = (days - days.iloc[0]).dt.days.to_numpy(float)
            values = recent["e1rm"].to_numpy(float)
            ahead = x[-1] + min((day - days.iloc[-1]).days, TREND_HORIZON_DAYS)
            if len(np.unique(x)) >= 2:
                slope, intercept = np.polyfit(x, values, 1)
                trend = intercept + slope * ahead
            else:
                trend = values.mean()
            last = float(before["e1rm"].iloc[-1])
            rows.append(
                {
                    "exercise": ex,
                    "day": day,
                    "label": float(session["e1rm"]),
                    "persistence": last,
                    "trend": trend if trend > 0 else last,
                }
            )
    return pd.DataFrame(rows)


def held_out(path: Path) -> pd.DataFrame:
    """The file's hold-out examples (day on or after the cut)."""
    examples = examples_of(sessions_of(sets_of(path)))
    days = examples["day"].sort_values().reset_index(drop=True)
    by_weeks = days.max() - pd.Timedelta(weeks=HOLDOUT_WEEKS)
    by_share = days.iloc[int(len(days) * (1 - MIN_TEST_FRACTION))]
    return examples[examples["day"] >= min(by_weeks, by_share)]


def mae(rows: pd.DataFrame, baseline: str) -> float:
    return float((rows["label"] - rows[baseline]).abs().mean())


# --------------------------------------------------------------------------- checks


def evaluate(tmp_path: Path, capsys: Any, *files: Path) -> tuple[dict[str, Any], str]:
    """Run ``forma evaluate`` (no rolling origin) on ``files``; the JSON report and stdout."""
    report = tmp_path / "report.json"
    argv = ["evaluate", "--history", *map(str, files), "--weight-unit", "kg", "--rolling", "0"]
    assert main([*argv, "--json", str(report)]) == 0
    out = capsys.readouterr().out
    return json.loads(report.read_text()), out


def section(out: str, title: str) -> str:
    """The printed table whose title line starts with ``title``, up to the next blank line."""
    match = re.search(rf"^{re.escape(title)}.*?(?=\n\n|\Z)", out, re.MULTILINE | re.DOTALL)
    assert match, f"no table {title!r} in:\n{out}"
    return match.group(0)


def assert_verdicts(table: str, scored: dict[str, Any], models: set[str]) -> None:
    """Each model's row with its interval, and its verdict line saying it loses to
    persistence exactly where its MAE is not lower."""
    assert set(scored["models"]) == models | {"persistence", "trend"}, scored["models"].keys()
    persistence = scored["models"]["persistence"]["mae_kg"]["value"]
    for name in models:
        point = scored["models"][name]["mae_kg"]
        assert point["low"] <= point["value"] <= point["high"], (name, point)
        assert 0.0 < scored["coverage"][name] <= 1.0, scored["coverage"]
        assert re.search(rf"^  {re.escape(name)} +{point['value']:.2f} \[", table, re.M), table
        verdict = re.search(
            rf"^  {re.escape(name)}: [0-9.]+× persistence's MAE — (.*)$", table, re.M
        )
        assert verdict, table
        assert (LOSES in verdict.group(1)) == (point["value"] >= persistence), (name, table)


def test_evaluate_scores_both_baselines_as_computed_by_hand(tmp_path, capsys):
    files = (STRONG, HEVY, FITNOTES)
    report, out = evaluate(tmp_path, capsys, *files)
    # an empty registry: a model fitted on the synthetic past stands in, and says so
    assert "the registry has no trained model yet" in out
    assert set(report["real"]) == {f.name for f in files}
    pooled: list[pd.DataFrame] = []
    for path in files:
        rows = held_out(path)
        scored = report["real"][path.name]
        assert (scored["rows"], scored["athletes"]) == (len(rows), 1), path.name
        for baseline in ("persistence", "trend"):
            got = scored["models"][baseline]["mae_kg"]["value"]
            assert abs(got - mae(rows, baseline)) <= ROUNDED, (path.name, baseline, got)
        # the catalogue exercises listed on their own (the 10 most frequent with ≥ 5 rows)
        per = rows.groupby("exercise")
        listed = {k: v for k, v in scored["by_exercise"].items() if k in per.groups}
        assert listed, scored["by_exercise"].keys()
        for ex, part in listed.items():
            mine = per.get_group(ex)
            assert part["rows"] == len(mine), (path.name, ex)
            got = part["models"]["persistence"]["mae_kg"]["value"]
            assert abs(got - mae(mine, "persistence")) <= ROUNDED, (path.name, ex)
        table = section(out, f"real history {path.name}, hold-out")
        assert f"{len(rows):,} sessions of 1 athlete\n" in table
        assert_verdicts(table, scored, {"fitted now"})
        pooled.append(rows)
    # pooled: the three hold-outs together, the same rows
    every = pd.concat(pooled, ignore_index=True)
    together = report["real_pooled"]
    assert (together["rows"], together["athletes"]) == (len(every), 3)
    for baseline in ("persistence", "trend"):
        got = together["models"][baseline]["mae_kg"]["value"]
        assert abs(got - mae(every, baseline)) <= ROUNDED, (baseline, got)
    assert_verdicts(section(out, "all real histories pooled"), together, {"fitted now"})
    assert_verdicts(
        section(out, "synthetic population, hold-out"), report["synthetic"], {"fitted now"}
    )
    assert report["rolling_origin"] == []


def test_evaluate_names_the_registry_champion_and_latest_candidate(
    tmp_path,
    capsys,
    committed,  # noqa: F811
):
    store_champion(committed, 1)
    with committed.begin() as conn:  # a later candidate, not promoted
        conn.execute(
            text(
                "INSERT INTO model_versions (model_name, version, snapshot, code_version, "
                "params, metrics, artifact, artifact_sha256) SELECT model_name, 2, snapshot, "
                "code_version, params, metrics, artifact, artifact_sha256 FROM model_versions "
                "WHERE model_name = 'next_e1rm' AND version = 1"
            )
        )
    report, out = evaluate(tmp_path, capsys, STRONG)
    assert "the registry has no trained model yet" not in out and "fitted now" not in out
    models = {"champion v1", "latest v2"}
    scored = report["real"][STRONG.name]
    assert_verdicts(section(out, f"real history {STRONG.name}, hold-out"), scored, models)
    assert_verdicts(section(out, "synthetic population, hold-out"), report["synthetic"], models)
    rows = held_out(STRONG)
    assert scored["rows"] == len(rows)
    got = scored["models"]["persistence"]["mae_kg"]["value"]
    assert abs(got - mae(rows, "persistence")) <= ROUNDED
    assert "real_pooled" not in report  # one file: nothing to pool


def test_evaluate_refuses_an_unknown_model_and_an_unreadable_file(tmp_path, capsys):
    assert main(["evaluate", "no_such_model", "--rolling", "0"]) == 2
    assert "unknown model 'no_such_model'" in capsys.readouterr().err
    missing = tmp_path / "missing.csv"
    assert main(["evaluate", "--history", str(missing), "--rolling", "0"]) == 2
    assert str(missing) in capsys.readouterr().err
    # a classic Strong export has no unit in it: without --weight-unit it cannot be read
    assert main(["evaluate", "--history", str(STRONG), "--rolling", "0"]) == 2
    assert STRONG.name in capsys.readouterr().err

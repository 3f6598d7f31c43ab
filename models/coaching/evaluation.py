"""Judging the coach: the time split, the metrics with bootstrap intervals, the gate.

Every model is scored beside both baselines on the same hold-out rows (DESIGN §6b):
*persistence* (the last session's best e1RM) and the athlete's own *linear trend*
over their last sessions (:mod:`models.coaching.features` computes both).

Intervals: a percentile bootstrap (Efron & Tibshirani 1993, ch. 13) of 1,000
resamples. Sessions of one athlete are not independent, so with 10 or more athletes
whole athletes are resampled (the cluster bootstrap, Field & Welsh 2007, *JRSS B*
69:369); a single history resamples its sessions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from models.coaching.estimator import Params

BASELINES = ("persistence", "trend")
RESAMPLES = 1000
#: Training-age bands (research/sports-science.md §7: novice < 6 months, intermediate
#: 6 months – 3 years, advanced beyond).
AGE_BANDS = (("novice", 0, 182), ("intermediate", 182, 1096), ("advanced", 1096, 10**9))
#: Exercises listed separately in a report (the most frequent in the hold-out).
TOP_EXERCISES = 10


def cut_day(examples: pd.DataFrame, params: Params) -> pd.Timestamp:
    """The first hold-out day: ``holdout_weeks`` before the last example's day, or earlier
    so that at least ``min_test_fraction`` of the examples are held out.

    Raises
    ------
    ValueError
        When there are no examples.
    """
    if examples.empty:
        raise ValueError("no examples to split")
    days = pd.to_datetime(examples["day"])
    by_weeks = days.max().normalize() - pd.Timedelta(weeks=params.holdout_weeks)
    # min_test_fraction 0 (allowed) asks for no share: the last day, not one past it
    at = min(int(len(days) * (1 - params.min_test_fraction)), len(days) - 1)
    by_share = days.sort_values().iloc[at]
    return min(by_weeks, by_share.normalize())


def cut_after(last_day: date | pd.Timestamp, params: Params) -> pd.Timestamp:
    """The cut of a training run that builds its examples in shards: ``holdout_weeks``
    before the last day any athlete trained (known before the shards start, so every
    shard splits at the same day)."""
    return pd.Timestamp(last_day).normalize() - pd.Timedelta(weeks=params.holdout_weeks)


def split(examples: pd.DataFrame, params: Params, cut: pd.Timestamp | None = None) -> pd.Series:
    """``train`` | ``validation`` | ``test`` per example, by its local day: test from the
    cut on (:func:`cut_day` unless given), validation the ``validation_weeks`` before it,
    train everything earlier. Indexed like ``examples``."""
    cut = cut_day(examples, params) if cut is None else pd.Timestamp(cut)
    start = cut - pd.Timedelta(weeks=params.validation_weeks)
    days = pd.to_datetime(examples["day"]).to_numpy()
    labels = np.where(
        days >= cut.to_datetime64(),
        "test",
        np.where(days >= start.to_datetime64(), "validation", "train"),
    )
    return pd.Series(labels, index=examples.index, name="split")


def _interval(
    abs_err: np.ndarray, pct_err: np.ndarray, groups: np.ndarray, seed: int
) -> dict[str, dict[str, float]]:
    """MAE (kg) and MAPE (%) with their 95 % bootstrap intervals."""
    rng = np.random.default_rng(seed)
    codes, _ = pd.factorize(groups)
    clusters = codes.max() + 1 if len(codes) else 0
    if clusters >= 10:
        err_sum = np.bincount(codes, abs_err, clusters)
        pct_sum = np.bincount(codes, pct_err, clusters)
        size = np.bincount(codes, minlength=clusters).astype(float)
        draw = rng.integers(0, clusters, (RESAMPLES, clusters))
        n = size[draw].sum(axis=1)
        maes, mapes = err_sum[draw].sum(axis=1) / n, pct_sum[draw].sum(axis=1) / n
    else:
        draw = rng.integers(0, len(abs_err), (RESAMPLES, len(abs_err)))
        maes, mapes = abs_err[draw].mean(axis=1), pct_err[draw].mean(axis=1)

    def summary(point: float, samples: np.ndarray) -> dict[str, float]:
        low, high = np.quantile(samples, [0.025, 0.975])
        return {
            "value": round(point, 4),
            "low": round(float(low), 4),
            "high": round(float(high), 4),
        }

    return {
        "mae_kg": summary(float(abs_err.mean()), maes),
        "mape_pct": summary(float(pct_err.mean()), mapes),
    }


def _scores(
    labels: np.ndarray, predictions: Mapping[str, np.ndarray], groups: np.ndarray, seed: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, predicted in predictions.items():
        err = np.abs(np.asarray(predicted, float) - labels)
        out[name] = _interval(err, 100.0 * err / labels, groups, seed)
    return out


def report(
    rows: pd.DataFrame,
    predictions: Mapping[str, np.ndarray],
    *,
    seed: int = 0,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Metrics of each forecast on the same ``rows`` (labelled hold-out examples).

    ``predictions``: name → forecasts in kg, aligned with ``rows``; the baselines
    (``persistence``, ``trend``) are added from the rows. ``names``: exercise id →
    name for the per-exercise part.

    Returns
    -------
    dict
        JSON-able: ``rows``, ``athletes``, ``models`` {name: {``mae_kg``, ``mape_pct``:
        {``value``, ``low``, ``high``}}}, ``by_training_age`` {band: {``rows``, ``models``}},
        ``by_exercise`` {name: {``rows``, ``models``}}, and ``coverage`` (share of labels
        inside each model's interval, where the model gave one).

    Raises
    ------
    ValueError
        When ``rows`` is empty.
    """
    if rows.empty:
        raise ValueError("no hold-out rows to score")
    labels = rows["label_e1rm_kg"].to_numpy(float)
    groups = rows["user_id"].astype(str).to_numpy()
    every = {
        **{k: np.asarray(v, float) for k, v in predictions.items()},
        "persistence": rows["persistence_kg"].to_numpy(float),
        "trend": rows["trend_kg"].to_numpy(float),
    }
    out: dict[str, Any] = {
        "rows": len(rows),
        "athletes": int(pd.Series(groups).nunique()),
        "models": _scores(labels, every, groups, seed),
    }
    age = rows["training_age_days"].to_numpy(float)
    out["by_training_age"] = {}
    for band, low, high in AGE_BANDS:
        inside = (age >= low) & (age < high)
        if inside.sum() >= 5:
            out["by_training_age"][band] = {
                "rows": int(inside.sum()),
                "models": _scores(
                    labels[inside], {k: v[inside] for k, v in every.items()}, groups[inside], seed
                ),
            }
    out["by_exercise"] = {}
    exercise = rows["exercise_id"].astype(str).to_numpy()
    for ex_id, count in pd.Series(exercise).value_counts().head(TOP_EXERCISES).items():
        inside = exercise == ex_id
        if count >= 5:
            label = (names or {}).get(str(ex_id), str(ex_id))
            out["by_exercise"][label] = {
                "rows": int(count),
                "models": _scores(
                    labels[inside], {k: v[inside] for k, v in every.items()}, groups[inside], seed
                ),
            }
    return out


def coverage(rows: pd.DataFrame, low: np.ndarray, high: np.ndarray) -> float:
    """Share of ``rows``' labels inside [low, high]."""
    labels = rows["label_e1rm_kg"].to_numpy(float)
    return float(np.mean((labels >= low) & (labels <= high)))


def mae(report_: Mapping[str, Any], model: str) -> float:
    """A report's point MAE (kg) of one model."""
    return float(report_["models"][model]["mae_kg"]["value"])


def gate(candidate: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether the ``candidate`` model of a report may become champion, and why.

    ``candidate``: a :func:`report` holding ``candidate``, both baselines and, when a
    champion exists, ``champion`` — all on the same rows (the synthetic hold-out). The
    candidate must have a lower point MAE than each of them.
    """
    mine = mae(candidate, "candidate")
    rivals = [*BASELINES, *(["champion"] if "champion" in candidate["models"] else [])]
    worse = [r for r in rivals if mae(candidate, r) <= mine]
    figures = ", ".join(f"{r} {mae(candidate, r):.3f} kg" for r in rivals)
    if worse:
        return False, (
            f"candidate MAE {mine:.3f} kg is not lower than {' and '.join(worse)} "
            f"on the synthetic hold-out ({candidate['rows']} sessions; {figures})"
        )
    return True, (
        f"candidate MAE {mine:.3f} kg is lower than {', '.join(rivals)} on the synthetic "
        f"hold-out ({candidate['rows']} sessions; {figures})"
    )


def window(examples: pd.DataFrame, split_: pd.Series) -> tuple[date, date, date]:
    """The first and last label day of the training rows, and the cut."""
    days = pd.to_datetime(examples["day"])
    train = days[split_.to_numpy() != "test"]
    test = days[split_.to_numpy() == "test"]
    cut = test.min() if len(test) else days.max()
    return train.min().date(), train.max().date(), cut.date()

"""One training run of the coach, pure: fit, score beside the baselines and the
champion on the same hold-out rows, and decide the promotion.

The gate reads the *synthetic* population's hold-out (its cause and effect is known,
and it is the same rows for every candidate); the metrics on the database's own
hold-out (real athletes) are recorded beside it, not gating.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from models.coaching import evaluation
from models.coaching.estimator import Coach, Params, context, fit, predict


@dataclass(slots=True)
class Trained:
    """A fitted candidate, its metrics and its training window."""

    coach: Coach
    metrics: dict[str, Any]
    promote: bool
    reason: str
    trained_from: date
    trained_to: date
    cut: date


def held_out(
    examples: pd.DataFrame,
    coaches: Mapping[str, Coach],
    *,
    seed: int = 0,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any] | None:
    """Each coach's and both baselines' metrics on the ``test`` rows of ``examples``
    (which carry a ``split`` column); None when there is no test row. Every coach
    predicts from the whole frame, so its per-athlete adjustment sees the sessions
    before each test row, as it would have when serving."""
    test = examples["split"].to_numpy() == "test"
    if not test.any():
        return None
    rows = examples[test]
    forecasts = {}
    for name, coach in coaches.items():
        # only the test rows and the sessions their athlete terms read are predicted
        near = context(examples, test, int(coach["residual_window"]))
        forecasts[name] = predict(coach, examples[near])[test[near]]
    out = evaluation.report(
        rows,
        {name: f["predicted_e1rm_kg"].to_numpy(float) for name, f in forecasts.items()},
        seed=seed,
        names=names,
    )
    out["coverage"] = {
        name: round(
            evaluation.coverage(
                rows, f["interval_low_kg"].to_numpy(float), f["interval_high_kg"].to_numpy(float)
            ),
            4,
        )
        for name, f in forecasts.items()
    }
    return out


def train(
    examples: pd.DataFrame,
    params: Params,
    *,
    synthetic: pd.DataFrame,
    champion: Coach | None,
    progress: Callable[[float], None] | None = None,
    names: Mapping[str, str] | None = None,
) -> Trained:
    """Fit a candidate on ``examples`` (the run's feature table, ``split`` column
    included) and judge it.

    ``synthetic``: the synthetic population's :func:`~models.coaching.features.training_examples`
    (split here by :func:`~models.coaching.evaluation.split`). ``champion``: the current
    champion's coach, scored on the same rows. ``progress`` gets 0–1.

    Returns
    -------
    Trained
        ``metrics`` = {``synthetic``: report, ``database``: report | None, ``params``,
        ``shrinkage_k``, ``interval`` [q_low, q_high] (log-ratio)}; ``promote`` and
        ``reason`` from :func:`~models.coaching.evaluation.gate`.

    Raises
    ------
    ValueError
        Too little history to fit (see :func:`~models.coaching.estimator.fit`).
    """
    report = progress or (lambda _: None)
    coach = fit(examples, params)
    report(0.6)
    rivals: dict[str, Coach] = {"candidate": coach}
    if champion is not None:
        rivals["champion"] = champion
    database = held_out(examples, rivals, seed=params.seed, names=names)
    report(0.8)
    synthetic = synthetic.assign(split=evaluation.split(synthetic, params))
    on_synthetic = held_out(synthetic, rivals, seed=params.seed, names=names)
    report(0.95)
    if on_synthetic is None:
        raise ValueError("the synthetic population has no hold-out sessions")
    promote, reason = evaluation.gate(on_synthetic)
    trained_from, trained_to, cut = evaluation.window(examples, examples["split"])
    metrics = {
        "synthetic": on_synthetic,
        "database": database,
        "shrinkage_k": coach["shrinkage_k"],
        "interval_log_ratio": [coach["q_low"], coach["q_high"]],
        "training_rows": int(np.sum(examples["split"].to_numpy() == "train")),
        "validation_rows": int(np.sum(examples["split"].to_numpy() == "validation")),
    }
    return Trained(coach, metrics, promote, reason, trained_from, trained_to, cut)


def rolling_origin(
    examples: pd.DataFrame,
    params: Params,
    *,
    origins: int = 3,
    step_weeks: int = 8,
    names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The training procedure judged at several origins (Tashman 2000, *Int J Forecast*
    16:437): at each cut — the last ``origins`` steps of ``step_weeks`` before the last
    day — fit on everything before it and score the ``step_weeks`` after it, beside both
    baselines on the same rows.

    Returns one report (:func:`~models.coaching.evaluation.report`) per origin with
    ``origin`` (ISO date), oldest first; origins with too little history before them are
    left out.
    """
    last = pd.to_datetime(examples["day"]).max().normalize()
    out = []
    for step in range(origins, 0, -1):
        cut = last - pd.Timedelta(weeks=step * step_weeks)
        until = cut + pd.Timedelta(weeks=step_weeks)
        before = examples[pd.to_datetime(examples["day"]) < until]
        frame = before.assign(split=evaluation.split(before, params, cut))
        try:
            coach = fit(frame, params)
        except ValueError:
            continue
        scored = held_out(frame, {"candidate": coach}, seed=params.seed, names=names)
        if scored is not None:
            out.append({"origin": cut.date().isoformat(), **scored})
    return out

"""Tiny fitted coach artifacts for the registry's tests: a dict shaped like the one
``models.coaching.estimator.fit`` returns, with small seeded ``HistGradientBoostingRegressor``s."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

FEATURES = ["recent_e1rm_kg", "slope_6_sessions", "days_since"]


def examples(seed: int = 0, rows: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """A seeded design matrix (``rows`` × 3) and a target with a known linear part."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, len(FEATURES)))
    y = 0.02 * x[:, 0] - 0.01 * x[:, 2] + rng.normal(scale=0.005, size=rows)
    return x, y


def tiny_coach(seed: int = 0) -> dict[str, Any]:
    """A fitted coach dict: point model (squared error), two quantile models and numbers."""
    x, y = examples(seed)

    def fitted(**kwargs: Any) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(max_iter=8, random_state=seed, **kwargs).fit(x, y)

    return {
        "kind": "forma.next_e1rm/1",
        "features": list(FEATURES),
        "point": fitted(),
        "low": fitted(loss="quantile", quantile=0.1),
        "high": fitted(loss="quantile", quantile=0.9),
        "params": {"max_iter": 8, "learning_rate": 0.1, "loss": "squared_error"},
        "shrinkage_k": 20.0,
        "q_low": -0.05,
        "q_high": 0.05,
        "residual_scale": float(np.std(y)),
        "athlete_offsets": {"a": 0.01, "b": -0.02},
        "offset_counts": np.array([3, 14], dtype=np.int64),
    }

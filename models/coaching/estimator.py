"""The coach's estimator: a global gradient-boosted model of the next session's e1RM,
a per-athlete adjustment shrunk toward zero, and an 80 % prediction interval.

The target is ``ln(label ÷ level)``: the log-ratio of the next session's best e1RM to
the last one's (persistence predicts 0), so one model serves a 40 kg curl and a 250 kg
deadlift. scikit-learn's ``HistGradientBoostingRegressor`` fits it (NaN features go
down a learned branch, so a lifter who never logs RPE needs no imputation).

Per-athlete adjustment: the mean of the athlete's last :attr:`Params.residual_window`
residuals of the global model on sessions strictly before the query, shrunk by
``n ÷ (n + k)`` (a normal–normal posterior mean with ``k`` = residual variance ÷
between-athlete variance, chosen on the validation weeks): an athlete with three
sessions keeps almost nothing of their own bias, one with sixty most of it.

Interval: split-conformal (Vovk et al. 2005; Lei et al. 2018, *JASA* 113:1094): the
10th and 90th percentiles of the adjusted model's log residuals on the validation
weeks, which training never saw, added to the forecast.

The fitted coach is a plain ``dict`` (what :mod:`models.coaching.artifact` stores).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from models.coaching.features import FEATURES

Coach = dict[str, Any]
KIND = "forma.next_e1rm/1"
#: Log-ratios beyond ±this are data errors (a 1.6× jump between sessions), not signal.
TARGET_CLIP = 0.5
#: Days off after which strength is lost, not kept (research/sports-science.md §1b:
#: Bosquet et al. 2013, 103 studies — maximal strength not reduced within about 4 weeks,
#: then 7–12 % down by 4–8 weeks, Izquierdo et al. 2007).
BREAK_DAYS = 28
_SHRINKAGE_GRID = (2.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 1e9)
#: Sessions of the athlete's own errors that move their interval scale halfway from 1.
SCALE_K = 20.0
#: 1e9: the model alone (the athlete's own record never moves the weight)
_BLEND_GRID = (5.0, 10.0, 20.0, 40.0, 1e9)


@dataclass(frozen=True, slots=True)
class Params:
    """Hyper-parameters of a training run (``forma train NAME --set key=value``)."""

    max_iter: int = 300
    learning_rate: float = 0.05
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 40
    l2_regularization: float = 1.0
    #: the per-athlete adjustment: residuals averaged and the shrinkage pseudo-count
    #: (0 = chosen on the validation weeks)
    residual_window: int = 30
    shrinkage_k: float = 0.0
    #: the blend with persistence: sessions of the athlete's own errors it takes to move
    #: the weight halfway from the model to their own evidence (0 = chosen on validation)
    blend_k: float = 0.0
    interval: float = 0.8
    #: the time split: test = the last ``holdout_weeks`` (or the last
    #: ``min_test_fraction`` of the examples, whichever starts earlier); validation = the
    #: ``validation_weeks`` before the cut
    holdout_weeks: int = 12
    min_test_fraction: float = 0.2
    validation_weeks: int = 8
    #: the fit reads at most this many training rows (a seeded sample)
    max_train_rows: int = 2_000_000
    #: share of training athletes whose body mass / RPE features are blanked (0.3 made
    #: no difference on the real exports tried, so it is off by default)
    missing_share: float = 0.0
    seed: int = 0
    #: OpenMP threads of the fit and of predictions (the results do not depend on it):
    #: one per worker process, since busy-waiting threads on a shared, loaded machine
    #: made a fit 2–9× slower than one thread (measured on the 2-core CI machine)
    threads: int = 1

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, str]) -> Params:
        """Defaults with ``key → value`` strings applied.

        Raises
        ------
        ValueError
            Naming the key when it is unknown, its value does not parse as the field's
            type, or it is out of range.
        """
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in overrides.items():
            if key not in known:
                raise ValueError(f"unknown parameter {key!r}; known: {', '.join(sorted(known))}")
            kind = int if known[key].type in ("int", int) else float
            try:
                values[key] = kind(str(raw).strip())
            except ValueError:
                raise ValueError(f"parameter {key!r}: {raw!r} is not {kind.__name__}") from None
        params = replace(cls(), **values)
        params.check()
        return params

    def check(self) -> None:
        """Raises ValueError naming the first out-of-range parameter."""
        rules = {
            "max_iter": 1 <= self.max_iter <= 5000,
            "learning_rate": 0 < self.learning_rate <= 1,
            "max_leaf_nodes": 2 <= self.max_leaf_nodes <= 1024,
            "min_samples_leaf": 1 <= self.min_samples_leaf <= 100_000,
            "l2_regularization": 0 <= self.l2_regularization <= 1e6,
            "residual_window": 1 <= self.residual_window <= 1000,
            "shrinkage_k": 0 <= self.shrinkage_k <= 1e9,
            "blend_k": 0 <= self.blend_k <= 1e9,
            "interval": 0.5 <= self.interval < 1,
            "holdout_weeks": 1 <= self.holdout_weeks <= 520,
            "min_test_fraction": 0 <= self.min_test_fraction < 1,
            "validation_weeks": 1 <= self.validation_weeks <= 520,
            "max_train_rows": 100 <= self.max_train_rows <= 100_000_000,
            "missing_share": 0 <= self.missing_share <= 1,
            "seed": 0 <= self.seed < 2**32,
            "threads": 1 <= self.threads <= 256,
        }
        for name, ok in rules.items():
            if not ok:
                raise ValueError(f"parameter {name!r} is out of range: {getattr(self, name)}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def target(frame: pd.DataFrame) -> np.ndarray:
    """``ln(label ÷ level)`` of labelled rows, clipped to ±:data:`TARGET_CLIP`."""
    ratio = frame["label_e1rm_kg"].to_numpy(float) / frame["level_kg"].to_numpy(float)
    return np.clip(np.log(ratio), -TARGET_CLIP, TARGET_CLIP)


#: Features a user's data often lacks (no scale, no RPE logged): blanked for a share of
#: the training athletes (:attr:`Params.missing_share`) so the trees learn where such an
#: athlete belongs instead of sending them down whichever branch had the most rows.
OFTEN_MISSING: tuple[tuple[str, ...], ...] = (
    ("body_mass_kg", "relative_level"),
    ("rpe_last", "rpe_drift", "rir_last"),
)


def _with_gaps(frame: pd.DataFrame, names: list[str], params: Params) -> np.ndarray:
    """The training matrix with each :data:`OFTEN_MISSING` group blanked for a seeded
    ``missing_share`` of the athletes."""
    values = _matrix(frame, names)
    if not values.flags.writeable:  # pandas (copy-on-write) may hand out a read-only view
        values = values.copy()
    # a feature nobody has (no body mass in the whole database) is a constant the trees
    # never split on; all-NaN, it would break the binning
    empty = np.isnan(values).all(axis=0)
    values[:, empty] = 0.0
    if params.missing_share <= 0:
        return values
    athletes, codes = np.unique(frame["user_id"].astype(str).to_numpy(), return_inverse=True)
    rng = np.random.default_rng(params.seed + 1)
    for group in OFTEN_MISSING:
        blank = rng.random(len(athletes)) < params.missing_share
        columns = [names.index(name) for name in group]
        rows = blank[codes]
        values[np.ix_(rows, columns)] = np.nan
    return values


def _matrix(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    return frame[names].to_numpy(dtype=np.float64)


def _residual_sums(
    frame: pd.DataFrame, residual: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the sum and count of the athlete's last ``window`` residuals strictly
    before the row's ``as_of`` (NaN residuals — unlabelled rows — count for nothing)."""
    n = len(frame)
    users = pd.factorize(frame["user_id"].astype(str))[0]
    moments = pd.to_datetime(frame["as_of"], utc=True).astype("datetime64[ns, UTC]").array.asi8
    order = np.lexsort((moments, users))
    u, t = users[order], moments[order]
    known = ~np.isnan(residual[order])
    value = np.where(known, residual[order], 0.0)
    # per athlete, the known residuals numbered 1, 2, … in time order
    total = np.cumsum(value)
    count = np.cumsum(known.astype(np.int64))
    first = np.r_[True, u[1:] != u[:-1]] if n else np.zeros(0, bool)
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else np.zeros(0, int)
    base_t = np.where(start > 0, total[np.maximum(start - 1, 0)], 0.0)
    base_c = np.where(start > 0, count[np.maximum(start - 1, 0)], 0)
    # the rows strictly before a row: its athlete's rows up to the first with its as_of
    before = _first_equal(u, t) - 1
    has = before >= start
    s_sum = np.where(has, total[np.maximum(before, 0)] - base_t, 0.0)
    s_cnt = np.where(has, count[np.maximum(before, 0)] - base_c, 0)
    # the last `window` known residuals: subtract what lies before them
    cut = s_cnt - window
    drop = cut > 0
    # position of the cut-th known residual of the athlete: searchsorted on count
    target_count = base_c + np.maximum(cut, 0)
    at = np.searchsorted(count, target_count, side="left")
    dropped = np.where(drop, total[np.minimum(at, n - 1)] - base_t, 0.0)
    sums = np.empty(n)
    counts = np.empty(n)
    sums[order] = s_sum - dropped
    counts[order] = np.minimum(s_cnt, window)
    return sums, counts


def _first_equal(users: np.ndarray, moments: np.ndarray) -> np.ndarray:
    """Index of the first row with the same (athlete, as_of) as each row (sorted input)."""
    n = len(users)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.r_[True, (users[1:] != users[:-1]) | (moments[1:] != moments[:-1])]
    return np.maximum.accumulate(np.where(new, np.arange(n), 0))


def _global(coach: Coach, frame: pd.DataFrame) -> np.ndarray:
    with threadpool_limits(int(coach["params"].get("threads", 1))):
        predicted = coach["point"].predict(_matrix(frame, coach["features"]))
    return np.asarray(predicted, dtype=float)


def _residuals(coach: Coach, frame: pd.DataFrame) -> np.ndarray:
    """The global model's log residual of each labelled row (NaN for queries)."""
    labelled = frame["label_e1rm_kg"].notna().to_numpy()
    residual = np.full(len(frame), np.nan)
    if labelled.any():
        residual[labelled] = target(frame[labelled]) - _global(coach, frame[labelled])
    return residual


def adjustments(coach: Coach, frame: pd.DataFrame) -> np.ndarray:
    """Per row, the athlete's shrunk mean residual (log-ratio) from the labelled rows of
    ``frame`` strictly before it (``label_e1rm_kg`` NaN: a query, adds nothing)."""
    sums, counts = _residual_sums(frame, _residuals(coach, frame), int(coach["residual_window"]))
    return sums / (counts + coach["shrinkage_k"])


def context(frame: pd.DataFrame, needed: np.ndarray, window: int) -> np.ndarray:
    """The rows whose forecasts the ``needed`` rows' athlete terms read: for each
    athlete with a needed row, their rows from ``4 × window`` before their first needed
    one on (adjustment, blend and scale each look ``window`` labelled sessions back, and
    sessions sharing an as-of stretch a window by at most one more). Predicting on these
    rows instead of the whole frame gives the needed rows the same forecasts (tested),
    and a run over millions of examples skips most of them."""
    users = pd.factorize(frame["user_id"].astype(str))[0]
    moments = pd.to_datetime(frame["as_of"], utc=True).astype("datetime64[ns, UTC]").array.asi8
    order = np.lexsort((moments, users))
    rank = np.empty(len(frame), dtype=np.int64)
    rank[order] = np.arange(len(frame)) - np.searchsorted(users[order], users[order])
    first = (
        pd.Series(np.where(needed, rank, np.iinfo(np.int64).max)).groupby(users).transform("min")
    )
    return rank >= first.to_numpy() - 4 * window


def _athlete_terms(
    coach: Coach, frame: pd.DataFrame, g: np.ndarray | None = None
) -> dict[str, Any]:
    """Per row (all with a ``level_kg``): the model's log-ratio after the athlete's own
    record — the shrunk adjustment, then the blend with persistence — and the interval
    scale.

    Blend: Bates & Granger (1969, *Oper Res Q* 20:451) inverse-MSE weights of the
    adjusted model and persistence (log-ratio 0) over the athlete's last
    ``residual_window`` sessions before the row, shrunk toward the model alone by
    ``n ÷ (n + blend_k)``. Scale: the athlete's RMS error of that blend over the same
    sessions ÷ the validation RMS (:data:`coach["rms"]`), shrunk toward 1 the same way
    (normalised conformal intervals: Papadopoulos et al. 2008, *JAIR* 22:815).
    """
    window = int(coach["residual_window"])
    g = _global(coach, frame) if g is None else g
    y = np.full(len(frame), np.nan)
    labelled = frame["label_e1rm_kg"].notna().to_numpy()
    y[labelled] = target(frame[labelled])
    sums, counts = _residual_sums(frame, y - g, window)
    adjustment = sums / (counts + coach["shrinkage_k"])
    model = g + adjustment
    sq_model, n = _residual_sums(frame, (y - model) ** 2, window)
    sq_same, _ = _residual_sums(frame, y**2, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.where(sq_model + sq_same > 0, sq_same / (sq_model + sq_same), 1.0)
    k = float(coach.get("blend_k", 1e9))
    weight = (n * own + k) / (n + k)
    shift = weight * model
    sq_blend, _ = _residual_sums(frame, (y - shift) ** 2, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        rms_own = np.where(n > 0, np.sqrt(sq_blend / np.maximum(n, 1)), 0.0)
    rms = float(coach.get("rms", 1.0))
    scale = (n * rms_own / rms + SCALE_K) / (n + SCALE_K)
    return {
        "shift": shift,
        "adjustment": adjustment,
        "weight": weight,
        "scale": np.clip(scale, 0.25, 4.0),
    }


def fit(examples: pd.DataFrame, params: Params) -> Coach:
    """Fit the coach on ``examples`` (features, labels, a ``split`` column).

    The global model learns from the ``train`` rows; the shrinkage (when
    ``params.shrinkage_k`` is 0) and the interval are set on the ``validation`` rows.
    Deterministic for the same rows and ``params.seed``.

    Raises
    ------
    ValueError
        When there are fewer than 100 training rows or no validation row.
    """
    train = examples[examples["split"].to_numpy() == "train"]
    validation = examples[examples["split"].to_numpy() == "validation"]
    if len(train) < 100 or validation.empty:
        raise ValueError(
            f"not enough history to train: {len(train)} training and {len(validation)} "
            "validation examples (need ≥ 100 and ≥ 1)"
        )
    if len(train) > params.max_train_rows:
        rng = np.random.default_rng(params.seed)
        keep = np.sort(rng.choice(len(train), params.max_train_rows, replace=False))
        train = train.iloc[keep]
    names = list(FEATURES)
    model = HistGradientBoostingRegressor(
        loss="squared_error",
        max_iter=params.max_iter,
        learning_rate=params.learning_rate,
        max_leaf_nodes=params.max_leaf_nodes,
        min_samples_leaf=params.min_samples_leaf,
        l2_regularization=params.l2_regularization,
        early_stopping=False,
        random_state=params.seed,
    )
    with threadpool_limits(params.threads):
        model.fit(_with_gaps(train, names, params), target(train))
    coach: Coach = {
        "kind": KIND,
        "features": names,
        "point": model,
        "params": params.as_dict(),
        "residual_window": int(params.residual_window),
        "shrinkage_k": float(params.shrinkage_k),
        "blend_k": float(params.blend_k),
        "rms": 1.0,
        "q_low": 0.0,
        "q_high": 0.0,
        "reference": _reference(train, names),
    }
    # the athlete terms read every labelled row before a validation row (train included)
    known = examples[examples["split"].to_numpy() != "test"]
    # the validation rows and the sessions before them their athlete terms read
    known = known[context(known, known["split"].to_numpy() == "validation", params.residual_window)]
    in_validation = known["split"].to_numpy() == "validation"
    y = target(known)[in_validation]
    g = _global(coach, known)
    residual = target(known) - g
    sums, counts = _residual_sums(known, residual, params.residual_window)
    sums, counts, left = sums[in_validation], counts[in_validation], residual[in_validation]
    if params.shrinkage_k <= 0:
        errors = {k: float(np.mean(np.abs(left - sums / (counts + k)))) for k in _SHRINKAGE_GRID}
        coach["shrinkage_k"] = min(errors, key=lambda k: (errors[k], k))
    if params.blend_k <= 0:
        errors = {}
        for k in _BLEND_GRID:
            terms = _athlete_terms({**coach, "blend_k": k}, known, g)
            errors[k] = float(np.mean(np.abs(y - terms["shift"][in_validation])))
        coach["blend_k"] = min(errors, key=lambda k: (errors[k], -k))
    # the scale is relative to the validation RMS error of the blended forecast
    unscaled = y - _athlete_terms(coach, known, g)["shift"][in_validation]
    coach["rms"] = max(float(np.sqrt(np.mean(unscaled**2))), 1e-6)
    terms = _athlete_terms(coach, known, g)
    tail = (1 - params.interval) / 2
    spread = (y - terms["shift"][in_validation]) / terms["scale"][in_validation]
    coach["q_low"], coach["q_high"] = (float(q) for q in np.quantile(spread, [tail, 1 - tail]))
    return coach


def _reference(frame: pd.DataFrame, names: list[str]) -> dict[str, list[float]]:
    """Each feature's 10th, 50th and 90th percentile on the training rows (what the
    explanation calls typical)."""
    values = _matrix(frame, names)
    out: dict[str, list[float]] = {}
    for i, name in enumerate(names):
        column = values[:, i][~np.isnan(values[:, i])]
        out[name] = [float(v) for v in np.quantile(column, [0.1, 0.5, 0.9])] if len(column) else []
    return out


def predict(coach: Coach, frame: pd.DataFrame) -> pd.DataFrame:
    """Forecasts for the rows of ``frame`` that have a ``level_kg``.

    ``frame``: :func:`models.coaching.features.build` output with ``user_id``,
    ``as_of`` and ``label_e1rm_kg`` (NaN for the queries). Labelled rows of the same
    athletes (their past sessions) feed the per-athlete adjustment of later rows.

    Returns
    -------
    DataFrame
        Indexed like ``frame``: ``predicted_e1rm_kg``, ``interval_low_kg``,
        ``interval_high_kg`` (kg; NaN where ``level_kg`` is NaN), ``adjustment`` (the
        athlete's log-ratio shift).
    """
    if coach.get("kind") != KIND:
        raise ValueError(f"not a coach of kind {KIND}: {coach.get('kind')!r}")
    out = pd.DataFrame(index=frame.index)
    for column in (
        "predicted_e1rm_kg",
        "interval_low_kg",
        "interval_high_kg",
        "adjustment",
        "model_weight",
    ):
        out[column] = np.nan
    known = frame["level_kg"].notna().to_numpy()
    if not known.any():
        return out
    rows = frame[known]
    terms = _athlete_terms(coach, rows)
    level = rows["level_kg"].to_numpy(float)
    shift, scale = terms["shift"], terms["scale"]
    # after a break no gain: trees extrapolate flat beyond the breaks they saw, and a
    # lifter back from more than BREAK_DAYS off is weaker, not stronger; the whole
    # forecast distribution moves down with its point
    back = rows["days_since"].to_numpy(float) > BREAK_DAYS
    shift = np.where(back, np.minimum(shift, 0.0), shift)
    out.loc[known, "predicted_e1rm_kg"] = level * np.exp(shift)
    out.loc[known, "interval_low_kg"] = level * np.exp(shift + coach["q_low"] * scale)
    out.loc[known, "interval_high_kg"] = level * np.exp(shift + coach["q_high"] * scale)
    out.loc[known, "adjustment"] = terms["adjustment"]
    out.loc[known, "model_weight"] = terms["weight"]
    return out

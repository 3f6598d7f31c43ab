"""Strength-training math on a table of logged sets: e1RM, rep-max PRs, weekly volume.

Pure pandas/numpy, vectorised over sets. Definitions follow DESIGN.md §5; sources
and their accuracy are summarised in ``research/sports-science.md`` §2.

Every table function takes one frame with a row per set and the columns in
:data:`SET_COLUMNS` (``rpe`` and ``rir`` may be absent: they are then unknown):

=============== ================================================================
``set_id``      str, the set's uuid
``workout_id``  str
``exercise_id`` str
``exercise_kind`` ``strength`` | ``bodyweight`` | ``assisted`` | ``timed`` | ``cardio``
``day``         the athlete's local calendar day (``datetime.date`` or datetime64)
``performed_at`` tz-aware timestamp of the workout start (converted to UTC)
``position``    int, order of the set inside its workout
``set_type``    ``working`` | ``warmup`` | ``dropset`` | ``failure``
``weight_kg``   float kg, NaN = none
``reps``        whole number of reps, NaN = none
``rpe``         float 1–10 (RIR-based scale), NaN = not logged
``rir``         float ≥ 0 reps in reserve, NaN = not logged
=============== ================================================================

"Earliest" always means the smallest ``(performed_at, position)``; ``set_id`` breaks
any remaining tie so that results are deterministic. Day columns in results hold
``datetime.date`` objects.
"""

from __future__ import annotations

from typing import Any, Final, Literal, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "E1RM_SET_TYPES",
    "EXERCISE_KINDS",
    "FORMULAS",
    "MAX_REPS",
    "MIN_REPS",
    "SET_COLUMNS",
    "SET_TYPES",
    "best_e1rm_by_day",
    "brzycki",
    "e1rm",
    "empty_sets_frame",
    "epley",
    "rep_max_prs",
    "weekly_volume",
]

Formula = Literal["epley", "brzycki"]
FloatArray = npt.NDArray[np.float64]

SET_COLUMNS: Final[tuple[str, ...]] = (
    "set_id",
    "workout_id",
    "exercise_id",
    "exercise_kind",
    "day",
    "performed_at",
    "position",
    "set_type",
    "weight_kg",
    "reps",
    "rpe",
    "rir",
)
EXERCISE_KINDS: Final = frozenset({"strength", "bodyweight", "assisted", "timed", "cardio"})
SET_TYPES: Final = frozenset({"working", "warmup", "dropset", "failure"})
#: Set types that may carry an e1RM or a PR: every type but the warm-up.
E1RM_SET_TYPES: Final = frozenset({"working", "dropset", "failure"})
FORMULAS: Final[tuple[str, ...]] = ("epley", "brzycki")
#: Rep range inside which the e1RM formulas are trusted (DESIGN §5).
MIN_REPS: Final = 1
MAX_REPS: Final = 12

_OPTIONAL: Final = ("rpe", "rir")
_REQUIRED: Final = tuple(c for c in SET_COLUMNS if c not in _OPTIONAL)
# e1RMs closer than this many kg are ties: w·(1 + r/30) is not exact in binary
# floating point, so 80 kg × 10 and 100 kg × 2 (both 106 2/3 kg) differ in the last bit.
_TIE_DECIMALS: Final = 6
_EARLIEST: Final = ["performed_at", "position", "set_id"]

_DTYPES: Final[dict[str, Any]] = {
    "set_id": "str",
    "workout_id": "str",
    "exercise_id": "str",
    "exercise_kind": "str",
    "kind": "str",
    "day": object,
    "achieved_on": object,
    "week_start": object,
    "performed_at": "datetime64[ns, UTC]",
    "achieved_at": "datetime64[ns, UTC]",
    "position": "int64",
    "set_type": "str",
    "weight_kg": "float64",
    "reps": "int64",
    "rpe": "float64",
    "rir": "float64",
    "e1rm_kg": "float64",
    "volume_load_kg": "float64",
    "sets": "int64",
}
_BEST_COLUMNS: Final = [
    "exercise_id",
    "day",
    "e1rm_kg",
    "weight_kg",
    "reps",
    "set_id",
    "workout_id",
]
_PR_COLUMNS: Final = [
    "exercise_id",
    "kind",
    "reps",
    "weight_kg",
    "achieved_on",
    "achieved_at",
    "set_id",
    "workout_id",
]
_VOLUME_COLUMNS: Final = ["week_start", "volume_load_kg", "sets", "reps"]


def _empty(columns: list[str] | tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=_DTYPES[c]) for c in columns})


def empty_sets_frame() -> pd.DataFrame:
    """Return an empty sets frame with the columns of :data:`SET_COLUMNS` and their dtypes.

    Returns
    -------
    pandas.DataFrame
        Zero rows; ``day`` is an object column (``datetime.date``), ``performed_at``
        ``datetime64[ns, UTC]``, ``reps`` ``float64`` (NaN = none), ids and labels ``str``.
    """
    frame = _empty(SET_COLUMNS)
    return frame.astype({"reps": "float64"})


# --------------------------------------------------------------------------- formulas


def _epley_raw(w: FloatArray, r: FloatArray) -> FloatArray:
    # A single is the 1RM itself; the bare formula would give 1.033·w.
    return np.where(r == 1, w, w * (1.0 + r / 30.0))


def _brzycki_raw(w: FloatArray, r: FloatArray) -> FloatArray:
    # The formula has a pole at 37 reps and turns negative beyond it.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r < 37, w * 36.0 / (37.0 - r), np.nan)


def _bounded(raw: FloatArray, r: FloatArray) -> FloatArray:
    return np.where((r >= MIN_REPS) & (r <= MAX_REPS), raw, np.nan)


def _apply(func: Any, weight_kg: Any, reps: Any) -> Any:
    w = np.asarray(weight_kg, dtype="float64")
    r = np.asarray(reps, dtype="float64")
    out = _bounded(func(w, r), r)
    for arg in (weight_kg, reps):
        if isinstance(arg, pd.Series):
            return pd.Series(out, index=arg.index, dtype="float64")
    if out.ndim == 0:
        return float(out)
    return out


@overload
def epley(weight_kg: float, reps: float) -> float: ...
@overload
def epley(weight_kg: pd.Series, reps: Any) -> pd.Series: ...
@overload
def epley(weight_kg: Any, reps: pd.Series) -> pd.Series: ...
@overload
def epley(weight_kg: npt.ArrayLike, reps: npt.ArrayLike) -> Any: ...
def epley(weight_kg: Any, reps: Any) -> Any:
    """Estimated one-repetition maximum by Epley: ``w·(1 + r/30)``, with ``r = 1 → w``.

    Source: Epley B. (1985) *Poundage Chart*. Boyd Epley Workout, Lincoln, NE.
    The single is special-cased so that a true 1RM is returned unchanged.

    Parameters
    ----------
    weight_kg : float or array_like
        Load lifted, kg. Taken as given (the ``weight > 0`` rule lives in :func:`e1rm`).
    reps : float or array_like
        Repetitions completed; broadcast against ``weight_kg``.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        e1RM in kg; NaN where ``reps`` is outside ``1 ≤ r ≤ 12`` or an input is NaN.
        A float for two scalars, a Series (same index) when either input is a Series,
        else an array of the broadcast shape.
    """
    return _apply(_epley_raw, weight_kg, reps)


@overload
def brzycki(weight_kg: float, reps: float) -> float: ...
@overload
def brzycki(weight_kg: pd.Series, reps: Any) -> pd.Series: ...
@overload
def brzycki(weight_kg: Any, reps: pd.Series) -> pd.Series: ...
@overload
def brzycki(weight_kg: npt.ArrayLike, reps: npt.ArrayLike) -> Any: ...
def brzycki(weight_kg: Any, reps: Any) -> Any:
    """Estimated one-repetition maximum by Brzycki: ``w·36/(37 − r)`` (``r = 1 → w``).

    Source: Brzycki M. (1993) Strength testing — predicting a one-rep max from
    reps-to-fatigue. *JOPERD* 64(1):88–90.

    Parameters
    ----------
    weight_kg : float or array_like
        Load lifted, kg.
    reps : float or array_like
        Repetitions completed; broadcast against ``weight_kg``.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        e1RM in kg; NaN where ``reps`` is outside ``1 ≤ r ≤ 12`` or an input is NaN.
        Same container rules as :func:`epley`.
    """
    return _apply(_brzycki_raw, weight_kg, reps)


# --------------------------------------------------------------------------- input


def _bad(what: str, frame: pd.DataFrame, mask: npt.NDArray[np.bool_]) -> ValueError:
    ids = frame["set_id"].to_numpy()[mask][:5].tolist()
    return ValueError(f"{what}: {int(mask.sum())} set(s), e.g. set_id {ids}")


def _floats(frame: pd.DataFrame, column: str) -> FloatArray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    values = pd.to_numeric(frame[column], errors="raise")
    return values.to_numpy(dtype="float64", na_value=np.nan)


def _check_columns(sets: pd.DataFrame) -> None:
    missing = [c for c in _REQUIRED if c not in sets.columns]
    if missing:
        raise ValueError(f"sets frame is missing column(s) {missing}")


def _prepare(sets: pd.DataFrame) -> pd.DataFrame:
    """Validate ``sets`` and return a clean copy on a RangeIndex (same row order).

    The copy has ``_day`` (datetime64, midnight of the local day), ``performed_at`` in
    UTC, and ``weight_kg``, ``reps``, ``rpe``, ``rir`` as float64 (NaN = none).
    """
    ids = ("set_id", "workout_id", "exercise_id")
    for c in ids:
        if sets[c].isna().any():
            raise ValueError(f"column {c!r} has missing values")
    out = pd.DataFrame({c: sets[c].astype("str").to_numpy() for c in ids})
    for column, allowed in (("exercise_kind", EXERCISE_KINDS), ("set_type", SET_TYPES)):
        values = sets[column]
        unknown = ~values.isin(allowed).to_numpy()
        if unknown.any():
            found = sorted({str(v) for v in values.to_numpy()[unknown]})
            raise _bad(f"{column} must be one of {sorted(allowed)}, got {found}", out, unknown)
        out[column] = values.astype("str").to_numpy()

    day = pd.to_datetime(sets["day"]).reset_index(drop=True)
    if isinstance(day.dtype, pd.DatetimeTZDtype):
        day = day.dt.tz_localize(None)  # keep the wall-clock date: it is already local
    if day.isna().any():
        raise _bad("day is missing", out, day.isna().to_numpy())
    out["_day"] = day.dt.normalize()

    performed = pd.to_datetime(sets["performed_at"]).reset_index(drop=True)
    if not isinstance(performed.dtype, pd.DatetimeTZDtype):
        raise ValueError("performed_at must be tz-aware (UTC)")
    if performed.isna().any():
        raise _bad("performed_at is missing", out, performed.isna().to_numpy())
    out["performed_at"] = performed.dt.tz_convert("UTC").dt.as_unit("ns")
    out["position"] = pd.to_numeric(sets["position"], errors="raise").to_numpy()

    for column in ("weight_kg", "reps", "rpe", "rir"):
        out[column] = _floats(sets, column)
    w, r, rpe, rir = (out[c].to_numpy() for c in ("weight_kg", "reps", "rpe", "rir"))
    checks = (
        ("weight_kg must be finite and >= 0", ~np.isnan(w) & ~((w >= 0) & np.isfinite(w))),
        ("reps must be a whole number >= 0", ~np.isnan(r) & ~((r >= 0) & (r == np.floor(r)))),
        ("rpe must be within 1..10", ~np.isnan(rpe) & ~((rpe >= 1) & (rpe <= 10))),
        ("rir must be finite and >= 0", ~np.isnan(rir) & ~((rir >= 0) & np.isfinite(rir))),
    )
    for message, bad in checks:
        if bad.any():
            raise _bad(message, out, bad)
    return out


def _earliest_first(
    frame: pd.DataFrame, keys: list[str], best: str, descending: bool
) -> pd.DataFrame:
    """Sort so that, inside each ``keys`` group, the best row comes first, ties → earliest."""
    order = [*keys, best, *_EARLIEST]
    ascending = [True] * len(keys) + [not descending] + [True] * len(_EARLIEST)
    return frame.sort_values(order, ascending=ascending, kind="stable")


def _finish(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame[columns].reset_index(drop=True).astype({c: _DTYPES[c] for c in columns})


# --------------------------------------------------------------------------- e1RM


def _e1rm_values(frame: pd.DataFrame, formula: str, rir_adjusted: bool) -> FloatArray:
    if formula not in FORMULAS:
        raise ValueError(f"formula must be one of {list(FORMULAS)}, got {formula!r}")
    w = frame["weight_kg"].to_numpy()
    r = frame["reps"].to_numpy()
    eligible = (
        frame["set_type"].isin(E1RM_SET_TYPES).to_numpy()
        & (frame["exercise_kind"] == "strength").to_numpy()
        & (w > 0)
        & (r >= MIN_REPS)
        & (r <= MAX_REPS)
    )
    effective = r
    if rir_adjusted:
        rir = frame["rir"].to_numpy()
        rir = np.where(np.isnan(rir), 10.0 - frame["rpe"].to_numpy(), rir)
        effective = r + np.nan_to_num(rir, nan=0.0)
    raw = _epley_raw(w, effective) if formula == "epley" else _brzycki_raw(w, effective)
    return np.where(eligible, raw, np.nan)


def e1rm(sets: pd.DataFrame, formula: Formula = "epley", rir_adjusted: bool = False) -> pd.Series:
    """Estimated one-repetition maximum of every set (DESIGN §5).

    A set gets an e1RM only if its ``set_type`` is working, dropset or failure, its
    ``exercise_kind`` is ``strength`` (bodyweight, assisted, timed and cardio never
    do), ``weight_kg > 0`` and ``1 ≤ reps ≤ 12``.

    With ``rir_adjusted`` the formula is fed the effective reps ``r + RIR``, the reps
    the set would have reached at failure. RIR is the set's ``rir`` when logged, else
    ``10 − rpe`` on the RIR-based RPE scale (Zourdos et al. 2016, *J Strength Cond Res*
    30(1):267–275; Helms et al. 2016, *Strength Cond J* 38(4):42–49), else 0. The
    1–12 bound applies to the logged reps ``r``, not to ``r + RIR``.

    Parameters
    ----------
    sets : pandas.DataFrame
        One row per set, columns :data:`SET_COLUMNS` (``rpe``/``rir`` optional).
    formula : {"epley", "brzycki"}
        :func:`epley` (Epley 1985) or :func:`brzycki` (Brzycki 1993).
    rir_adjusted : bool
        Use ``r + RIR`` instead of ``r``.

    Returns
    -------
    pandas.Series
        float64 e1RM in kg named ``e1rm_kg``, aligned to ``sets.index``; NaN where the
        set does not qualify.

    Raises
    ------
    ValueError
        Unknown ``formula``, a missing column, an unknown kind or set type, a naive
        ``performed_at``, or a value out of range (negative weight, fractional or
        negative reps, RPE outside 1–10, negative RIR).
    """
    _check_columns(sets)
    if formula not in FORMULAS:
        raise ValueError(f"formula must be one of {list(FORMULAS)}, got {formula!r}")
    if sets.empty:
        return pd.Series([], index=sets.index, dtype="float64", name="e1rm_kg")
    values = _e1rm_values(_prepare(sets), formula, rir_adjusted)
    return pd.Series(values, index=sets.index, dtype="float64", name="e1rm_kg")


def best_e1rm_by_day(sets: pd.DataFrame, formula: Formula = "epley") -> pd.DataFrame:
    """The best e1RM of each exercise on each local day.

    Ties (equal to 1e-6 kg, so that 80 kg × 10 and 100 kg × 2 tie under Epley despite
    floating-point rounding) go to the earliest set by ``(performed_at, position)``.
    Days without a qualifying set (see :func:`e1rm`) have no row.

    Parameters
    ----------
    sets : pandas.DataFrame
        One row per set, columns :data:`SET_COLUMNS`.
    formula : {"epley", "brzycki"}
        Passed to :func:`e1rm` (not RIR-adjusted).

    Returns
    -------
    pandas.DataFrame
        Sorted by ``exercise_id, day``; columns ``exercise_id`` (str), ``day``
        (``datetime.date``, local), ``e1rm_kg`` (float, kg), ``weight_kg`` (float, kg)
        and ``reps`` (int) of the best set, its ``set_id`` and ``workout_id`` (str).

    Raises
    ------
    ValueError
        As :func:`e1rm`.
    """
    _check_columns(sets)
    if formula not in FORMULAS:
        raise ValueError(f"formula must be one of {list(FORMULAS)}, got {formula!r}")
    if sets.empty:
        return _empty(_BEST_COLUMNS)
    frame = _prepare(sets)
    frame["e1rm_kg"] = _e1rm_values(frame, formula, rir_adjusted=False)
    frame = frame[frame["e1rm_kg"].notna()]
    frame = frame.assign(_rank=frame["e1rm_kg"].round(_TIE_DECIMALS))
    best = _earliest_first(frame, ["exercise_id", "_day"], "_rank", descending=True)
    best = best.drop_duplicates(["exercise_id", "_day"], keep="first")
    best = best.assign(day=best["_day"].dt.date)
    return _finish(best, _BEST_COLUMNS)


# --------------------------------------------------------------------------- PRs


def rep_max_prs(sets: pd.DataFrame) -> pd.DataFrame:
    """Current rep-max records of every exercise (DESIGN §5).

    * ``kind == "rep_max"`` — strength exercises: for each exact rep count
      ``r = 1…12``, the heaviest ``weight_kg > 0`` lifted for exactly ``r`` reps on a
      non-warm-up set. Weights are compared exactly, as logged; ties → the earliest.
    * ``kind == "max_reps"`` — bodyweight exercises: the most reps (> 0) in one
      non-warm-up set, whatever the weight (added load is ignored); ties → the earliest.

    Assisted exercises get none yet: there less assistance is better, so "heaviest"
    would be the wrong record — left for later. Timed and cardio get none.

    Parameters
    ----------
    sets : pandas.DataFrame
        One row per set, columns :data:`SET_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``exercise_id, kind, reps``; columns ``exercise_id`` (str), ``kind``
        (str), ``reps`` (int: the exact reps, or the record count for ``max_reps``),
        ``weight_kg`` (float kg; for ``max_reps`` the weight of that set, may be NaN),
        ``achieved_on`` (``datetime.date``, local day), ``achieved_at``
        (``datetime64[ns, UTC]``, workout start), ``set_id``, ``workout_id`` (str).

    Raises
    ------
    ValueError
        As :func:`e1rm` (input validation).
    """
    _check_columns(sets)
    if sets.empty:
        return _empty(_PR_COLUMNS)
    frame = _prepare(sets)
    counted = frame["set_type"].isin(E1RM_SET_TYPES).to_numpy()
    kind = frame["exercise_kind"].to_numpy()
    w = frame["weight_kg"].to_numpy()
    r = frame["reps"].to_numpy()

    lifts = frame[counted & (kind == "strength") & (w > 0) & (r >= MIN_REPS) & (r <= MAX_REPS)]
    lifts = _earliest_first(lifts, ["exercise_id", "reps"], "weight_kg", descending=True)
    lifts = lifts.drop_duplicates(["exercise_id", "reps"], keep="first").assign(kind="rep_max")

    body = frame[counted & (kind == "bodyweight") & (r > 0)]
    body = _earliest_first(body, ["exercise_id"], "reps", descending=True)
    body = body.drop_duplicates(["exercise_id"], keep="first").assign(kind="max_reps")

    if lifts.empty and body.empty:
        return _empty(_PR_COLUMNS)
    prs = pd.concat([part for part in (lifts, body) if not part.empty], ignore_index=True)
    prs = prs.assign(achieved_on=prs["_day"].dt.date, achieved_at=prs["performed_at"])
    prs = prs.sort_values(["exercise_id", "kind", "reps"], kind="stable")
    return _finish(prs, _PR_COLUMNS)


# --------------------------------------------------------------------------- volume


def weekly_volume(sets: pd.DataFrame) -> pd.DataFrame:
    """Volume load, set count and reps per local ISO week (Monday first).

    Volume load is Σ ``weight_kg × reps`` over non-warm-up sets (DESIGN §5; the
    tonnage measure reviewed in Haff 2010, *Prof Strength Cond* 19:31–40). A set
    adds to it only when both are present, so bodyweight sets without added load
    add 0 kg. Assisted sets add 0 kg too: their weight is assistance, not load.
    Every non-warm-up set, of any kind, counts in ``sets`` and adds its reps.

    Parameters
    ----------
    sets : pandas.DataFrame
        One row per set, columns :data:`SET_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        One row per week holding at least one non-warm-up set (no gap filling),
        sorted by ``week_start``; columns ``week_start`` (``datetime.date``, the
        Monday of the athlete's local ISO 8601 week), ``volume_load_kg`` (float,
        kg·reps), ``sets`` (int) and ``reps`` (int).

    Raises
    ------
    ValueError
        As :func:`e1rm` (input validation).
    """
    _check_columns(sets)
    if sets.empty:
        return _empty(_VOLUME_COLUMNS)
    frame = _prepare(sets)
    frame = frame[frame["set_type"].isin(E1RM_SET_TYPES).to_numpy()]
    if frame.empty:
        return _empty(_VOLUME_COLUMNS)
    reps = frame["reps"].fillna(0.0)
    load = frame["weight_kg"].where(frame["exercise_kind"] != "assisted").fillna(0.0)
    day = frame["_day"]
    grouped = (
        pd.DataFrame(
            {
                "week_start": day - pd.to_timedelta(day.dt.day_of_week, unit="D"),
                "volume_load_kg": load * reps,
                "sets": 1,
                "reps": reps,
            }
        )
        .groupby("week_start", sort=True, as_index=False)
        .sum()
    )
    grouped["week_start"] = grouped["week_start"].dt.date
    return _finish(grouped, _VOLUME_COLUMNS)

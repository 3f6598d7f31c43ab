"""Training balance: fractional sets per muscle group and the push/pull and upper/lower
ratios — pure numpy.

Muscle groups count a set fully for each *primary* muscle and half for each
*secondary* one (the usual "fractional sets" convention, e.g. Pelland et al. 2024's
direct/indirect set counting). Warm-ups never count. Groups use the vocabulary of
``api.exercises.catalogue.MUSCLE_GROUPS`` (repeated here: ``models`` imports nothing
of the API).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

PRIMARY_SHARE: Final = 1.0
SECONDARY_SHARE: Final = 0.5

PUSH = frozenset({"chest", "front_delts", "side_delts", "triceps"})
PULL = frozenset({"lats", "upper_back", "rear_delts", "biceps", "traps"})
UPPER = frozenset(
    {"chest", "upper_back", "lats", "traps", "front_delts", "side_delts", "rear_delts",
     "biceps", "triceps", "forearms", "neck"}
)  # fmt: skip
LOWER = frozenset(
    {"quads", "hamstrings", "glutes", "adductors", "abductors", "calves", "hip_flexors"}
)
#: Each ratio's numerator and denominator muscle groups.
RATIOS: Final = {"push_pull": (PUSH, PULL), "upper_lower": (UPPER, LOWER)}


def ratios(
    muscles: npt.ArrayLike, sets: npt.ArrayLike, groups: npt.ArrayLike | None = None, count: int = 1
) -> dict[str, npt.NDArray[np.float64]]:
    """Push ÷ pull and upper ÷ lower fractional sets of each group of rows.

    Parameters
    ----------
    muscles, sets
        One row per muscle group and period: its name and its fractional sets.
    groups
        Each row's group code (0 … count − 1, int); default: all rows one group.
    count
        How many groups.

    Returns
    -------
    dict
        ``push_pull`` and ``upper_lower``: one float per group, NaN where the
        denominator's sets are 0.
    """
    names = np.asarray(muscles, dtype=object)
    values = np.asarray(sets, dtype=float)
    codes = np.zeros(len(names), dtype=np.int64) if groups is None else np.asarray(groups)
    out = {}
    for name, (top, bottom) in RATIOS.items():
        num, den = (
            np.bincount(codes, weights=np.where(np.isin(names, list(group)), values, 0.0),
                        minlength=count)
            for group in (top, bottom)
        )  # fmt: skip
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = np.where(den > 0, num / den, np.nan)
    return out

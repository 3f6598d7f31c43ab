"""The RPE/%1RM chart: how heavy a set of ``r`` reps at an RPE is, as a share of 1RM.

Tuchscherer's RTS chart (research/sports-science.md §2b) through the continuous fit
OpenPowerlifting's rpe-calc ships; the synthetic population lifts by it and the coach
prescribes by it. RPE on the RIR-based scale (Zourdos et al. 2016): RPE 10 = no rep left.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def rts_pct(reps: npt.ArrayLike, rpe: npt.ArrayLike) -> FloatArray:
    """%1RM (fraction) for ``reps`` at ``rpe``: the RTS chart of §2b.

    The continuous fit OpenPowerlifting's rpe-calc ships (x = 10 − RPE + reps − 1;
    x ≤ 2.92: 0.347619x² − 4.60714x + 99.9667, else −2.64249x + 97.0955), which reproduces
    the Tuchscherer table within 0.6 points [C]. Below 50 % the line is extended
    (push-ups at 40–60 % of a bench e1RM) instead of flooring at 50 %.
    """
    x = 10.0 - np.asarray(rpe, dtype=float) + np.asarray(reps, dtype=float) - 1.0
    pct = np.where(x <= 2.92, 0.347619 * x**2 - 4.60714 * x + 99.9667, -2.64249 * x + 97.0955)
    return np.asarray(pct / 100.0, dtype=float)


def rts_x(pct: npt.ArrayLike) -> FloatArray:
    """Inverse of :func:`rts_pct`: x = (reps − 1) + RIR at a %1RM (fraction); < 0 = impossible."""
    p = np.asarray(pct, dtype=float) * 100.0
    a, b = 0.347619, -4.60714
    disc = np.maximum(b * b - 4 * a * (99.9667 - p), 0.0)
    quadratic = (-b - np.sqrt(disc)) / (2 * a)
    linear = (97.0955 - p) / 2.64249
    return np.asarray(np.where(p >= 89.4, quadratic, linear), dtype=float)

"""The RPE/%1RM chart (``models.coaching.chart``) against the RTS table of
research/sports-science.md §2b."""

from __future__ import annotations

import numpy as np
import pytest

from models.coaching.chart import rts_pct, rts_x

# research/sports-science.md §2b, %1RM by RPE (rows) and reps 1–12 (columns), copied
# from the table (not from the code)
TABLE: dict[float, list[float]] = {
    10.0: [100, 95.5, 92.2, 89.2, 86.3, 83.7, 81.1, 78.6, 76.2, 73.9, 70.7, 68.0],
    9.5: [97.8, 93.9, 90.7, 87.8, 85.0, 82.4, 79.9, 77.4, 75.1, 72.3, 69.4, 66.7],
    9.0: [95.5, 92.2, 89.2, 86.3, 83.7, 81.1, 78.6, 76.2, 73.9, 70.7, 68.0, 65.3],
    8.5: [93.9, 90.7, 87.8, 85.0, 82.4, 79.9, 77.4, 75.1, 72.3, 69.4, 66.7, 64.0],
    8.0: [92.2, 89.2, 86.3, 83.7, 81.1, 78.6, 76.2, 73.9, 70.7, 68.0, 65.3, 62.6],
    7.5: [90.7, 87.8, 85.0, 82.4, 79.9, 77.4, 75.1, 72.3, 69.4, 66.7, 64.0, 61.3],
    7.0: [89.2, 86.3, 83.7, 81.1, 78.6, 76.2, 73.9, 70.7, 68.0, 65.3, 62.6, 59.9],
}
#: §2b: the continuous fit "reproduces the table within ≤ 0.6 points"
TOLERANCE = 0.6
CELLS = [(reps, rpe) for rpe in TABLE for reps in range(1, 11)]


@pytest.mark.parametrize(("reps", "rpe"), CELLS)
def test_chart_reproduces_the_rts_table_within_its_fit_tolerance(reps: int, rpe: float) -> None:
    assert abs(float(rts_pct(reps, rpe)) * 100 - TABLE[rpe][reps - 1]) <= TOLERANCE


def test_chart_takes_arrays_and_is_monotone() -> None:
    reps = np.arange(1, 13)
    at8 = rts_pct(reps, 8.0)
    assert at8.shape == (12,)
    assert np.all(np.diff(at8) < 0)  # more reps at the same RPE: lighter
    rpes = np.arange(6.5, 10.01, 0.5)
    assert np.all(np.diff(rts_pct(5, rpes)) > 0)  # harder at the same reps: heavier
    # the same x = (reps − 1) + (10 − RPE) is the same load: 5 @ 8 = 7 @ 10 = 3 @ 6
    assert float(rts_pct(5, 8)) == pytest.approx(float(rts_pct(7, 10)))


def test_five_reps_at_rpe_8_is_81_1_percent() -> None:
    # by hand: x = 10 − 8 + 5 − 1 = 6 > 2.92 → −2.64249·6 + 97.0955 = 81.24056 %
    assert float(rts_pct(5, 8)) == pytest.approx(0.8124056, abs=1e-9)
    assert abs(float(rts_pct(5, 8)) * 100 - 81.1) <= TOLERANCE


@pytest.mark.parametrize("rpe", [6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0])
def test_rts_x_inverts_the_chart(rpe: float) -> None:
    reps = np.arange(1, 13)
    x = rts_x(rts_pct(reps, rpe))
    np.testing.assert_allclose(x, (reps - 1) + (10 - rpe), atol=1e-9)


def test_rts_x_of_the_table_lands_near_its_cell() -> None:
    # the table's own percentages (not the fit's) map back within half a rep
    for rpe, row in TABLE.items():
        for reps, pct in enumerate(row[:10], start=1):
            assert abs(float(rts_x(pct / 100)) - ((reps - 1) + (10 - rpe))) < 0.5

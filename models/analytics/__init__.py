"""The analytics engine: every derived table of a group of athletes, from their raw sets,
workouts, muscle shares and body mass (DESIGN.md §5).

* :mod:`~models.analytics.engine` — :func:`derive`, full or incremental (the rule).
* :mod:`~models.analytics.frames` — the input and output frames and their types.
* :mod:`~models.analytics.strength` — e1RM (Epley, Brzycki, RIR-adjusted), rep-max PRs,
  exercise days, weekly muscle-group volume.
* :mod:`~models.analytics.training_load` — session load, the daily load series: CTL,
  ATL, TSB, both ACWRs, ramp rate; Foster's monotony.
* :mod:`~models.analytics.periods` — weekly and monthly summaries (monotony, strain,
  balance ratios per week).
* :mod:`~models.analytics.balance` — muscle groups, push/pull and upper/lower ratios.
* :mod:`~models.analytics.habits` — streak, sessions per week, usual days and hours.
* :mod:`~models.analytics.progress` — plateaus and weekly pose-detection quality.
"""

from models.analytics.engine import derive
from models.analytics.frames import (
    DAILY_COLUMNS,
    EVENT_COLUMNS,
    SCHEMA,
    Derived,
    Inputs,
    Previous,
    read_from,
    typed,
)
from models.analytics.strength import current_prs

__all__ = [
    "DAILY_COLUMNS", "EVENT_COLUMNS", "SCHEMA", "Derived", "Inputs", "Previous",
    "current_prs", "derive", "read_from", "typed",
]  # fmt: skip

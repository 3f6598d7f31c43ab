"""Every table, imported in one place so that metadata (Alembic, workers) sees them all.

Importing a feature's ``tables`` module registers all of its tables on ``Base.metadata``,
so a table added to one of these modules needs no line here.
"""

from api.analytics import tables as analytics
from api.auth import tables as auth
from api.body_metrics import tables as body_metrics
from api.cardio import tables as cardio
from api.coaching import tables as coaching
from api.datasets import tables as datasets
from api.db import Base
from api.exercises import tables as exercises
from api.idempotency import tables as idempotency
from api.imports import tables as imports
from api.recommendations import tables as recommendations
from api.users import tables as users
from api.workouts import tables as workouts

#: the modules that define Forma's tables, each imported for its effect on ``Base.metadata``
TABLE_MODULES = (
    analytics,
    auth,
    body_metrics,
    cardio,
    coaching,
    datasets,
    exercises,
    idempotency,
    imports,
    recommendations,
    users,
    workouts,
)

__all__ = ["Base", "TABLE_MODULES"]

"""The built-in exercise catalogue as the coach's frames: the rows scoring reads and the
muscle shares the features read (primary 1, secondary ½, as the analytics engine)."""

from __future__ import annotations

from functools import cache

import pandas as pd

from api.exercises.catalogue import CATALOGUE_V1, exercise_id
from models.analytics.balance import PRIMARY_SHARE, SECONDARY_SHARE


@cache
def catalogue_frame() -> pd.DataFrame:
    """The built-in catalogue as the coach reads it: ``exercise_id`` (str), ``name``,
    ``kind``, ``equipment``, ``primary_muscles``, ``secondary_muscles``."""
    return pd.DataFrame(
        [
            {
                "exercise_id": str(exercise_id(e.slug)),
                "name": e.name,
                "kind": e.kind,
                "equipment": e.equipment,
                "primary_muscles": list(e.primary_muscles),
                "secondary_muscles": list(e.secondary_muscles),
            }
            for e in CATALOGUE_V1
        ]
    )


def muscles_frame(catalogue: pd.DataFrame) -> pd.DataFrame:
    """``exercise_id``, ``muscle``, ``share`` (primary 1, secondary ½: as the engine)."""
    rows = [
        (row.exercise_id, muscle, share)
        for row in catalogue.itertuples()
        for muscles, share in (
            (row.primary_muscles, PRIMARY_SHARE),
            (row.secondary_muscles, SECONDARY_SHARE),
        )
        for muscle in muscles
    ]
    return pd.DataFrame(rows, columns=["exercise_id", "muscle", "share"])

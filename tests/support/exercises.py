"""Catalogue exercises the tests name, and custom exercises made through the API."""

from __future__ import annotations

from typing import Any

import httpx

from api.exercises.catalogue import CATALOGUE_V1, exercise_id
from tests.support.http import json_of

BENCH = next(e for e in CATALOGUE_V1 if e.name == "Bench Press (Barbell)")
BENCH_ID = str(exercise_id(BENCH.slug))
SQUAT_ID = str(exercise_id(next(e for e in CATALOGUE_V1 if e.name == "Squat (Barbell)").slug))

# A custom exercise's full body: the name's padding is trimmed on the way in.
LANDMINE = {
    "name": "  Half-Kneeling Landmine Jab ",
    "kind": "strength",
    "equipment": "barbell",
    "primary_muscles": ["front_delts"],
    "secondary_muscles": ["triceps", "obliques"],
    "aliases": ["Landmine Jab"],
}


async def create_exercise(
    http: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    """``POST /v1/exercises`` with ``body``; the created exercise (201 asserted)."""
    return json_of(await http.post("/v1/exercises", headers=headers, json=body), 201)


async def edit_merge_delete(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    exercise_id: str,
    *,
    patch: dict[str, Any],
    into: str,
) -> list[httpx.Response]:
    """A PATCH with ``patch``, a merge into ``into`` and a DELETE of one exercise, in order."""
    url = f"/v1/exercises/{exercise_id}"
    return [
        await http.patch(url, headers=headers, json=patch),
        await http.post(f"{url}/merge", headers=headers, json={"into": into}),
        await http.delete(url, headers=headers),
    ]

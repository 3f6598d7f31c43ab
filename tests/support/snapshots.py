"""Helpers of the dataset snapshot tests: staff accounts on the committed tier, a small
history of sets, and reading the served files back."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from sqlalchemy import text

from tests.support.http import register


async def staff(http: httpx.AsyncClient, sync_engine: Any, role: str) -> tuple[dict[str, str], str]:
    """A fresh committed user with ``role``: its bearer header and e-mail."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    headers = await register(http, email)
    if role != "athlete":
        with sync_engine.begin() as conn:
            conn.execute(
                text("UPDATE users SET role = :r WHERE email = :e"), {"r": role, "e": email}
            )
    return headers, email


def workout_body(start: datetime, sets: list[tuple[str, float, int]]) -> dict[str, Any]:
    """A workout in UTC starting at ``start``, an hour long, of ``(exercise_id, kg, reps)``."""
    return {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=1)).isoformat(),
        "time_zone": "UTC",
        "sets": [{"exercise_id": e, "weight_kg": kg, "reps": r} for e, kg, r in sets],
    }


async def put_workout(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    start: datetime,
    sets: list[tuple[str, float, int]],
    workout_id: str | None = None,
) -> str:
    """``PUT /v1/workouts/{id}`` (a new id unless given: then it is an edit)."""
    workout_id = workout_id or str(uuid.uuid4())
    response = await http.put(
        f"/v1/workouts/{workout_id}", json=workout_body(start, sets), headers=headers
    )
    assert response.status_code in (200, 201), response.text
    return workout_id


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def read_table(content: bytes, fmt: str) -> pa.Table:
    """A served file read back with pyarrow (CSV: every column as text)."""
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(content))
    if fmt == "arrow":
        return ipc.open_stream(io.BytesIO(content)).read_all()
    return pa_csv.read_csv(
        io.BytesIO(content),
        convert_options=pa_csv.ConvertOptions(
            column_types={}, strings_can_be_null=False, auto_dict_encode=False
        ),
    )


def rows_of(table: pa.Table, *columns: str) -> list[tuple[Any, ...]]:
    """The table's ``columns`` as sorted tuples."""
    data = table.select(list(columns)).to_pylist()
    return sorted((tuple(r[c] for c in columns) for r in data), key=repr)

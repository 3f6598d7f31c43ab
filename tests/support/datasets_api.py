"""The datasets API in the committed tier: accounts with a role, workouts through the
phone API, the rows no API writes (cardio summaries, a training run's feature table, a
prescription and its answer) inserted directly, and exports read back with pyarrow.

Pseudonyms are computed here with :mod:`hmac` from the settings' secret, never by the
code under test.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from sqlalchemy import text

from api.exercises.catalogue import exercise_id
from models.coaching.features import FEATURES
from tests.support.http import PASSWORD

BENCH = exercise_id("bench-press-barbell")
SQUAT = exercise_id("squat-barbell")


@dataclass
class Person:
    headers: dict[str, str]
    email: str
    id: uuid.UUID


def by_hand(settings: Any, user_id: uuid.UUID) -> tuple[str, float]:
    """``(pseudonym, bucket)`` of ``user_id``: HMAC-SHA256 of its 16 bytes under the key
    derived from the secret key (or the configured pseudonym key)."""
    if settings.pseudonym_key is not None:
        key = settings.pseudonym_key.get_secret_value().encode()
    else:
        key = hmac.new(
            settings.secret_key.encode(), b"forma pseudonym key", hashlib.sha256
        ).digest()
    digest = hmac.new(key, user_id.bytes, hashlib.sha256).hexdigest()
    return "a" + digest[:24], int(digest[:13], 16) / 16**13


@asynccontextmanager
async def live_app(settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a whole app (lifespan and all) built from ``settings``."""
    from api.main import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def person(
    http: httpx.AsyncClient, engine: Any, role: str = "athlete", tz: str = "Europe/Oslo"
) -> Person:
    """A fresh committed account with ``role``: its bearer header, e-mail and id."""
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
    created = await http.post(
        "/v1/auth/register", json={"email": email, "password": PASSWORD, "time_zone": tz}
    )
    assert created.status_code == 201, created.text
    user_id = uuid.UUID(created.json()["id"])
    if role != "athlete":
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE users SET role = :r WHERE id = :id"), {"r": role, "id": user_id}
            )
    token = await http.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return Person({"Authorization": f"Bearer {token.json()['access_token']}"}, email, user_id)


def a_set(exercise: uuid.UUID, weight: float | None, reps: int | None, **extra: Any) -> dict:
    return {"exercise_id": str(exercise), "weight_kg": weight, "reps": reps, **extra}


async def workout(
    http: httpx.AsyncClient,
    who: Person,
    start: datetime,
    sets: list[dict[str, Any]],
    *,
    tz: str = "Europe/Oslo",
    minutes: float = 60,
    **fields: Any,
) -> uuid.UUID:
    """``PUT`` a workout starting at the aware ``start``, lasting ``minutes``; its id."""
    workout_id = uuid.uuid4()
    body = {
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=minutes)).isoformat(),
        "time_zone": tz,
        "sets": sets,
        **fields,
    }
    response = await http.put(f"/v1/workouts/{workout_id}", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return workout_id


async def fetch(
    http: httpx.AsyncClient, who: Person, name: str, fmt: str = "parquet", **params: Any
) -> httpx.Response:
    """``GET /v1/datasets/{name}?format=fmt&…`` as ``who``; asserts a 200."""
    response = await http.get(
        f"/v1/datasets/{name}", params={"format": fmt, **params}, headers=who.headers
    )
    assert response.status_code == 200, response.text
    return response


def table_of(response: httpx.Response, fmt: str = "parquet") -> pa.Table:
    """The rows of an export, read back with pyarrow (CSV: every cell as text)."""
    body = io.BytesIO(response.content)
    if fmt == "parquet":
        return pq.read_table(body)
    if fmt == "arrow":
        return ipc.open_stream(body).read_all()
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, data = rows[0], rows[1:]
    return pa.table({h: [r[i] for r in data] for i, h in enumerate(header)})


def rows_of(response: httpx.Response, fmt: str = "parquet") -> list[dict[str, Any]]:
    return table_of(response, fmt).to_pylist()


def cardio(engine: Any, who: Person, workout_id: uuid.UUID, **values: Any) -> None:
    """A cardio summary for an existing workout (as an import would write it)."""
    row = {"sport": "run", "distance_m": 5000.0, "elapsed_s": 1500.0, "avg_hr": 150.0, "load": 60.0}
    row |= values
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO cardio_sessions (workout_id, user_id, sport, distance_m, elapsed_s, "
                "avg_hr, load, load_assumptions, device, source_id) VALUES (:w, :u, :sport, "
                ":distance_m, :elapsed_s, :avg_hr, :load, CAST(:a AS jsonb), "
                "CAST(:d AS jsonb), :src)"
            ),
            {
                **row,
                "w": workout_id,
                "u": who.id,
                "a": json.dumps(["hr_rest"]),
                # what an analyst must never see, stored where a careless SELECT would find it
                "d": json.dumps({"owner": who.email, "user": str(who.id)}),
                "src": f"{who.email}/{who.id.hex}",
            },
        )


def feature_run(engine: Any, athletes: list[Person], *, version: int | None = 1) -> uuid.UUID:
    """A succeeded training run with one feature row per athlete (bench, 2025-03-10),
    and, unless ``version`` is None, the model version it produced; the run's id."""
    run = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO model_runs (id, model_name, status, requested_by, finished_at, "
                "examples) VALUES (:id, 'next_e1rm', 'succeeded', 'beat', now(), :n)"
            ),
            {"id": run, "n": len(athletes)},
        )
        names = ", ".join(FEATURES)
        values = ", ".join(f":{f}" for f in FEATURES)
        for i, who in enumerate(athletes):
            conn.execute(
                text(
                    "INSERT INTO model_features (run_id, user_id, exercise_id, as_of, day, split, "
                    f"label_e1rm_kg, persistence_kg, trend_kg, {names}) VALUES (:run, :u, :e, "
                    f":as_of, :day, :split, :label, :persistence, :trend, {values})"
                ),
                {
                    "run": run,
                    "u": who.id,
                    "e": BENCH,
                    "as_of": datetime(2025, 3, 10, 7, tzinfo=UTC),
                    "day": date(2025, 3, 10),
                    "split": ("train", "test")[i % 2],
                    "label": 120.0 + i,
                    "persistence": 118.0,
                    "trend": 119.5,
                    **{f: float(j) - 3.5 for j, f in enumerate(FEATURES)},
                },
            )
        if version is not None:
            conn.execute(
                text(
                    "INSERT INTO model_versions (model_name, version, run_id, snapshot, "
                    "code_version, params, metrics, artifact, artifact_sha256) VALUES "
                    "('next_e1rm', :v, :run, '{}', 'test', '{}', '{}', :blob, 'x')"
                ),
                {"v": version, "run": run, "blob": b"not a model"},
            )
    return run


def answered(engine: Any, who: Person, outcome: str = "changed") -> uuid.UUID:
    """A prescription of bench (3 × 5 at 100 kg, model version 1) and the athlete's answer."""
    rec = uuid.uuid4()
    prescribed = [
        {"weight_kg": 100.0, "weight": 100.0, "unit": "kg", "reps": 5, "target_rpe": 8}
    ] * 3
    done = [{"weight_kg": 97.5, "reps": 5, "rpe": 8}, {"weight_kg": 95.0, "reps": 5, "rpe": 9}]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO recommendations (id, user_id, exercise_id, batch_id, as_of, data_seq, "
                "rank, model_name, model_version, predicted_e1rm_kg, interval_low_kg, "
                "interval_high_kg, unit, sets, explanation) VALUES (:id, :u, :e, :b, "
                ":as_of, 1, 0, 'next_e1rm', 1, 117.0, 110.0, 124.0, 'kg', CAST(:s AS jsonb), "
                ":x)"
            ),
            {
                "id": rec,
                "u": who.id,
                "e": BENCH,
                "b": uuid.uuid4(),
                "as_of": datetime(2025, 3, 10, tzinfo=UTC),
                "s": json.dumps(prescribed),
                "x": "level 110 kg",
            },
        )
        conn.execute(
            text(
                "INSERT INTO recommendation_feedback (recommendation_id, user_id, outcome, sets, "
                "created_at) VALUES (:r, :u, :o, CAST(:s AS jsonb), :at)"
            ),
            {
                "r": rec,
                "u": who.id,
                "o": outcome,
                "s": json.dumps(done if outcome == "changed" else None),
                "at": datetime(2025, 3, 11, 18, tzinfo=UTC),
            },
        )
    return rec

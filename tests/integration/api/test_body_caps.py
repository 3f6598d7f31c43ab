"""The JSON body caps against the documented field limits: the largest legal bodies fit.

"Largest" is the body as a JSON encoder writes it (compact separators, shortest
round-trip numbers, printable ASCII text): every field present at its longest legal
value. Insignificant whitespace and escaped or multi-byte text make any body longer;
such a body over the cap is answered 413 (split the batch).
"""

from __future__ import annotations

import json
import uuid
import zoneinfo
from typing import Any

from api.body_limit import MAX_BATCH_BYTES, MAX_JSON_BYTES
from api.schemas import MAX_DATETIME_CHARS
from api.workouts.batch import MAX_ITEMS
from api.workouts.write_schemas import MAX_SETS
from tests.support.http import assert_error, register
from tests.support.workouts import BENCH, a_workout

# 17 significant digits and a three-digit exponent: no float's shortest repr is longer.
LONGEST_FLOAT = 1.2345678901234567e-300
LONGEST_ZONE = max(sorted(zoneinfo.available_timezones() - {"localtime"}), key=len)
IF_MATCH_CHARS = 255


def compact(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def longest_set() -> dict[str, Any]:
    return {
        "exercise_id": BENCH,
        "set_type": "working",  # as long as dropset and failure
        "weight_kg": LONGEST_FLOAT,
        "weight_unit": "kg",
        "reps": 1000,
        "duration_s": LONGEST_FLOAT,
        "distance_m": LONGEST_FLOAT,
        "distance_unit": "km",
        "rpe": 10.0,
        "rir": LONGEST_FLOAT,
        "detected_reps": 1000,
        "form_score": LONGEST_FLOAT,
        "tempo": "10-10-10-10",
        "notes": "n" * 2000,
    }


def longest_workout(**extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        # nanoseconds and a -23:59 offset: the longest date-time the API takes
        "started_at": "2025-03-03T07:00:00.123456789-23:59",
        "ended_at": "2025-03-03T08:00:00.123456789-23:59",
        "time_zone": LONGEST_ZONE,
        "title": "t" * 200,
        "notes": "w" * 10_000,
        "session_rpe": LONGEST_FLOAT,
        "sets": [longest_set() for _ in range(MAX_SETS)],
        **extra,
    }


def test_the_longest_values_are_as_long_as_claimed():
    assert len(json.dumps(LONGEST_FLOAT)) == 23
    assert len("2025-03-03T07:00:00.123456789-23:59") == MAX_DATETIME_CHARS
    assert len(LONGEST_ZONE) == 32  # America/Argentina/ComodRivadavia


async def test_the_largest_legal_workout_fits_the_json_cap(client):
    headers = await register(client)
    body = longest_workout()
    size = len(compact(body))
    assert 400_000 < size <= MAX_JSON_BYTES, size
    response = await client.put(
        f"/v1/workouts/{body['id']}",
        content=compact(body),
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 201, response.text[:500]
    stored = response.json()["sets"]
    assert len(stored) == MAX_SETS and stored[-1]["notes"] == "n" * 2000


async def test_the_largest_legal_batch_is_accepted_and_stored(client):
    headers = await register(client)
    ids = [str(uuid.uuid4()) for _ in range(MAX_ITEMS)]
    first = await client.post(
        "/v1/workouts/batch",
        json={"items": [{**a_workout(), "id": i} for i in ids]},
        headers=headers,
    )
    assert first.status_code == 200, first.text[:500]
    assert {r["status"] for r in first.json()["results"]} == {"created"}
    # `*` matches any current version; the rest pads the tag list to its longest.
    if_match = ("*" + ", x" * IF_MATCH_CHARS)[:IF_MATCH_CHARS]
    items = [longest_workout(id=i, if_match=if_match) for i in ids]
    raw = compact({"items": items})
    assert len(raw) <= MAX_BATCH_BYTES
    # The cap is the largest legal batch rounded up to a whole MiB, not a guess far above it.
    assert MAX_BATCH_BYTES - len(raw) < 1024 * 1024, len(raw)
    response = await client.post(
        "/v1/workouts/batch",
        content=raw,
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text[:500]
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["replaced"] * MAX_ITEMS, results[:2]
    last = await client.get(f"/v1/workouts/{ids[-1]}", headers=headers)
    assert len(last.json()["sets"]) == MAX_SETS
    assert last.json()["notes"] == "w" * 10_000


async def test_a_batch_one_byte_over_the_cap_is_413(client):
    headers = await register(client)
    raw = compact({"items": [{**a_workout(), "id": str(uuid.uuid4())}]})
    padded = raw[:-1] + b" " * (MAX_BATCH_BYTES + 1 - len(raw)) + raw[-1:]  # still valid JSON
    assert len(padded) == MAX_BATCH_BYTES + 1
    response = await client.post(
        "/v1/workouts/batch",
        content=padded,
        headers={**headers, "content-type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large")
    at_cap = raw[:-1] + b" " * (MAX_BATCH_BYTES - len(raw)) + raw[-1:]
    accepted = await client.post(
        "/v1/workouts/batch",
        content=at_cap,
        headers={**headers, "content-type": "application/json"},
    )
    assert accepted.status_code == 200, accepted.text[:300]


async def test_other_json_bodies_keep_the_one_mebibyte_cap(client):
    headers = await register(client)
    body = longest_workout()
    raw = compact(body)
    padded = raw[:-1] + b" " * (MAX_JSON_BYTES + 1 - len(raw)) + raw[-1:]
    response = await client.put(
        f"/v1/workouts/{body['id']}",
        content=padded,
        headers={**headers, "content-type": "application/json"},
    )
    assert_error(response, 413, "payload_too_large")

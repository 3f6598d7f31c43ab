"""Teaching the fuzzer Forma's rules that a JSON Schema cannot state.

Schemathesis's positive cases are valid against the OpenAPI document, but some of
Forma's rules span fields or need the database: an exercise id must exist, `ended_at`
follows `started_at`, `max_hr` exceeds `resting_hr`, a new password differs from the
old, a cursor or an ETag is one the server issued, an IANA zone name is a real one, an
e-mail domain is deliverable, an upload is a file Forma reads. The documented answer to
breaking them is 404, 412 or 422 — correct, but not what
`positive_data_acceptance` expects of valid data. So positive cases are repaired to
follow these rules before they are sent; negative cases go out as generated.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from schemathesis import GenerationMode

from api.exercises.catalogue import normalise_name
from tests.support.workouts import BENCH

ZONE = "Europe/Oslo"
START, END = "2025-03-03T07:00:00+00:00", "2025-03-03T08:00:00+00:00"
MAX_RANGE_DAYS = 3660  # analytics ranges (api/analytics/dates.py)
STRONG_CSV = (
    b"Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,"
    b"Notes,Workout Notes,RPE\n"
    b'2024-01-01 08:00:00,"Legs",1h,"Squat (Barbell)",1,120,5,0,0,,,\n'
)


def _workout(body: dict[str, Any]) -> None:
    if "started_at" in body:
        body["started_at"] = START
    if body.get("ended_at") is not None:
        body["ended_at"] = END
    if body.get("time_zone") is not None:
        body["time_zone"] = ZONE
    for item in body.get("sets") or []:
        if isinstance(item, dict):
            item["exercise_id"] = BENCH


def _heart_rates(body: dict[str, Any]) -> None:
    # resting below max, also against the values a profile already holds
    if body.get("resting_hr") is not None or body.get("max_hr") is not None:
        body["resting_hr"], body["max_hr"] = 50, 190


def _body_metric(body: dict[str, Any]) -> None:
    if body.get("body_mass") is not None:  # 20–400 kg once converted: unit-dependent
        body["body_mass"], body["body_mass_unit"] = 70.0, "kg"
    else:
        body.pop("body_mass_unit", None)  # a unit without a mass
        if body.get("resting_hr") is None and body.get("max_hr") is None:
            body["resting_hr"] = 50  # at least one measurement
    if not "1900-01-01" <= body.get("measured_on", "2024-05-01") <= date.today().isoformat():
        body["measured_on"] = "2024-05-01"
    _heart_rates(body)


def _date_range(query: Any) -> None:
    # `from` strictly before `to` (a whole day apart, as dates or times), at most 3660 days
    today = date.today().isoformat()
    end = query.get("to")
    if end is not None and end[:10] > today:
        del query["to"]
        end = None
    start = query.get("from")
    if start is not None:
        days = (date.fromisoformat((end or today)[:10]) - date.fromisoformat(start[:10])).days
        if not 1 <= days <= MAX_RANGE_DAYS:
            del query["from"]


def repair(case: Any) -> Any:
    """A positive case made to follow the cross-field and database rules; others unchanged."""
    meta = case.meta  # stateful steps carry none: they are positive
    if meta is not None and meta.generation.mode is not GenerationMode.POSITIVE:
        return case
    path, method = case.operation.path, case.method.upper()
    query, headers, body = case.query, case.headers, case.body
    if query:
        query.pop("cursor", None)  # only a previous page's `next_cursor` is one
        if path == "/v1/workouts":
            query.pop("updated_since", None)
        _date_range(query)
    if headers:
        headers.pop("If-Match", None)  # a made-up ETag is a stale one: 412
        if headers.get("Idempotency-Key") is not None:  # a reused key with another body: 422
            headers["Idempotency-Key"] = uuid.uuid4().hex
    if not isinstance(body, dict):
        return case
    if path.startswith("/v1/workouts"):
        for item in body.get("items", [body]):
            if isinstance(item, dict):
                _workout(item)
                item.pop("if_match", None)
        if method == "PUT":
            body.pop("id", None)  # it must equal the path's id
    elif path == "/v1/body-metrics":
        _body_metric(body)
    elif path in ("/v1/users/me", "/v1/auth/register"):
        if body.get("time_zone") is not None:
            body["time_zone"] = ZONE
        if "email" in body:  # deliverable domains only (no .test, .local …)
            body["email"] = f"fuzz-{uuid.uuid4().hex[:12]}@example.com"
        _heart_rates(body)
    elif path == "/v1/auth/password":
        if body.get("new_password") == body.get("current_password"):
            body["new_password"] = f"{body['new_password']}!"  # must differ
    elif path.startswith("/v1/exercises") and not path.endswith("/merge"):
        # a name must keep a character once dashes and spaces are normalised away
        if isinstance(body.get("name"), str) and not normalise_name(body["name"]):
            body["name"] = "Fuzz Press"
        if isinstance(body.get("aliases"), list):
            body["aliases"] = [
                a if not isinstance(a, str) or normalise_name(a) else f"alias {i}"
                for i, a in enumerate(body["aliases"])
            ]
    elif path.endswith("/merge"):
        body["into"] = BENCH  # an existing exercise (a random id is an unknown one: 404)
    elif path == "/v1/imports":
        body["file"] = STRONG_CSV
        for field in [k for k, v in body.items() if v is None]:
            del body[field]  # a multipart form has no null: the field is left out
        if "time_zone" in body:
            body["time_zone"] = ZONE
    return case

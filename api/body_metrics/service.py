"""Rules for body metrics: units, bounds, one row per user and local date, analytics staleness.

Body mass feeds relative strength and the heart rates feed TRIMP, so every write
marks the user's analytics stale from the measurement's date in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import service as analytics_service
from api.body_metrics import repository
from api.body_metrics.schemas import BodyMetricCreate, BodyMetricPage, BodyMetricRead
from api.body_metrics.tables import BodyMetric
from api.errors import NotFound, Unprocessable
from api.pagination import encode_cursor, read_cursor, split_page
from api.users.tables import User

# Exact by definition (international yard and pound agreement, 1959).
LB_TO_KG = 0.45359237
MASS_KG_MIN, MASS_KG_MAX = 20.0, 400.0
UNIT_OF_SYSTEM = {"metric": "kg", "imperial": "lb"}
FUTURE_SLACK = timedelta(days=1)


def _invalid(field: str, msg: str, kind: str) -> Unprocessable:
    """A 422 in the same shape as request validation, naming the field."""
    return Unprocessable(
        "the request is not valid",
        code="validation_error",
        details=[{"loc": ["body", field], "msg": msg, "type": kind}],
    )


def local_today(time_zone: str) -> date:
    """Today's date in ``time_zone``."""
    return datetime.now(ZoneInfo(time_zone)).date()


def _mass_kg(data: BodyMetricCreate, user: User) -> tuple[float | None, str | None]:
    """Body mass in kg and its unit: the request's, else the profile's; never a guess."""
    if data.body_mass is None:
        return None, None
    unit = data.body_mass_unit or UNIT_OF_SYSTEM.get(user.unit_system or "")
    if unit is None:
        raise _invalid(
            "body_mass_unit",
            "give body_mass_unit (kg or lb) or set unit_system on your profile",
            "unit_required",
        )
    kg = data.body_mass * LB_TO_KG if unit == "lb" else data.body_mass
    if not MASS_KG_MIN <= kg <= MASS_KG_MAX:
        raise _invalid(
            "body_mass",
            f"must be {MASS_KG_MIN:g}–{MASS_KG_MAX:g} kg; {data.body_mass:g} {unit} is {kg:.6g} kg",
            "out_of_range",
        )
    return kg, unit


async def record(
    session: AsyncSession, *, user: User, data: BodyMetricCreate
) -> tuple[BodyMetric, bool]:
    """Create or replace the user's measurements for ``data.measured_on``; True when created.

    A replace sets every value from the request: a measurement left out becomes null.
    """
    latest = local_today(user.time_zone) + FUTURE_SLACK
    if data.measured_on > latest:
        raise _invalid(
            "measured_on",
            f"must not be after {latest.isoformat()} (tomorrow in {user.time_zone})",
            "date_in_future",
        )
    mass_kg, mass_unit = _mass_kg(data, user)
    values: dict[str, Any] = {
        "body_mass_kg": mass_kg,
        "body_mass_unit": mass_unit,
        "resting_hr": data.resting_hr,
        "max_hr": data.max_hr,
    }
    row, created = await repository.upsert(
        session, user_id=user.id, measured_on=data.measured_on, values=values
    )
    await analytics_service.mark_stale(session, user_id=user.id, since_day=data.measured_on)
    return row, created


async def list_metrics(
    session: AsyncSession,
    *,
    user: User,
    start: date | None,
    end: date | None,
    limit: int,
    cursor: str | None,
) -> BodyMetricPage:
    """A page of the user's measurements, newest date first, dated in [start, end]."""
    if start is not None and end is not None and end < start:
        raise Unprocessable("`to` must not be before `from`", code="invalid_range")
    before = read_cursor(cursor, size=1, parse=lambda raw: date.fromisoformat(str(raw)))
    rows, more = split_page(
        await repository.page(
            session, user_id=user.id, start=start, end=end, limit=limit + 1, before=before
        ),
        limit,
    )
    return BodyMetricPage(
        items=[BodyMetricRead.model_validate(r) for r in rows],
        next_cursor=encode_cursor([rows[-1].measured_on.isoformat()]) if more else None,
    )


async def get_metric(session: AsyncSession, *, user: User, metric_id: uuid.UUID) -> BodyMetric:
    """One of the user's measurements; 404 for anyone else's."""
    row = await repository.get(session, user_id=user.id, metric_id=metric_id)
    if row is None:
        raise NotFound("body metric not found")
    return row


async def delete_metric(session: AsyncSession, *, user: User, metric_id: uuid.UUID) -> None:
    """Hard-delete one of the user's measurements (404 for anyone else's); analytics go stale."""
    measured_on = await repository.delete_one(session, user_id=user.id, metric_id=metric_id)
    if measured_on is None:
        raise NotFound("body metric not found")
    await analytics_service.mark_stale(session, user_id=user.id, since_day=measured_on)

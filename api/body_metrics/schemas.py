"""Body-metric schemas: what a phone sends (one day's measurements) and what it reads back."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from api.schemas import InputModel, IsoDate, OutputModel

MassUnit = Literal["kg", "lb"]
EARLIEST = date(1900, 1, 1)


class BodyMetricCreate(InputModel):
    """One day's measurements. At least one of body mass, resting HR and max HR."""

    measured_on: IsoDate = Field(
        ge=EARLIEST,
        description="the athlete's local date of the measurement (ISO 8601, `2024-05-01`); "
        "from 1900 to one day after today in the user's time zone",
    )
    body_mass: float | None = Field(
        None,
        description="body mass in `body_mass_unit`; 20–400 kg once converted to kg",
    )
    body_mass_unit: MassUnit | None = Field(
        None,
        description="`kg` or `lb`; default: the user's `unit_system` (metric → kg, "
        "imperial → lb). Required when the profile has no unit system",
    )
    resting_hr: int | None = Field(None, ge=20, le=150, description="resting heart rate, bpm")
    max_hr: int | None = Field(
        None, ge=80, le=250, description="maximum heart rate, bpm; above `resting_hr`"
    )

    @field_validator("body_mass_unit")
    @classmethod
    def _unit_needs_a_mass(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("body_mass") is None:
            raise ValueError("body_mass_unit given without body_mass")
        return value

    @field_validator("max_hr")
    @classmethod
    def _max_above_resting(cls, value: int | None, info: ValidationInfo) -> int | None:
        resting = info.data.get("resting_hr")
        if value is not None and resting is not None and resting >= value:
            raise ValueError("max_hr must be above resting_hr")
        return value

    @model_validator(mode="after")
    def _at_least_one_measurement(self) -> BodyMetricCreate:
        if self.body_mass is None and self.resting_hr is None and self.max_hr is None:
            raise ValueError("give at least one of body_mass, resting_hr, max_hr")
        return self


class BodyMetricRead(OutputModel):
    id: uuid.UUID = Field(description="body-metric id")
    measured_on: date = Field(description="the athlete's local date of the measurement")
    body_mass_kg: float | None = Field(description="body mass, kg (converted exactly from lb)")
    body_mass_unit: MassUnit | None = Field(description="the unit the body mass arrived in")
    resting_hr: int | None = Field(description="resting heart rate, bpm")
    max_hr: int | None = Field(description="maximum heart rate, bpm")
    created_at: datetime = Field(description="first stored at, UTC")
    updated_at: datetime = Field(description="last replaced at, UTC")


class BodyMetricPage(BaseModel):
    items: list[BodyMetricRead] = Field(description="measurements, newest date first")
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )

"""User schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from api.schemas import InputModel, OutputModel, TimeZoneName, omit_or_value

UnitSystem = Literal["metric", "imperial"]
Sex = Literal["female", "male"]


class UserRead(OutputModel):
    id: uuid.UUID = Field(description="the user's id")
    email: str = Field(description="login e-mail, case-folded")
    role: str = Field(description="athlete, analyst or admin")
    time_zone: str = Field(description="IANA time zone used for zone-less imports and local days")
    unit_system: UnitSystem | None = Field(description="metric or imperial; null = not chosen")
    sex: Sex | None = Field(description="used by the TRIMP formula")
    birth_year: int | None = Field(description="used to estimate max HR when unknown")
    resting_hr: int | None = Field(description="resting heart rate, bpm")
    max_hr: int | None = Field(description="maximum heart rate, bpm")
    created_at: datetime = Field(description="when the account was created (UTC)")


class UserUpdate(InputModel):
    """Profile fields a user may change. ``role`` and ``email`` are not among them."""

    time_zone: TimeZoneName | None = Field(
        None,
        json_schema_extra=omit_or_value,
        description="IANA time zone, e.g. Europe/Oslo; leave out to keep (null is refused)",
    )
    unit_system: UnitSystem | None = Field(None, description="metric or imperial")
    sex: Sex | None = Field(None, description="female or male")
    birth_year: int | None = Field(None, ge=1900, le=2030, description="four-digit year")
    resting_hr: int | None = Field(None, ge=20, le=150, description="bpm")
    max_hr: int | None = Field(None, ge=80, le=250, description="bpm")

    @model_validator(mode="after")
    def _resting_below_max(self) -> UserUpdate:
        if (
            self.resting_hr is not None
            and self.max_hr is not None
            and self.resting_hr >= self.max_hr
        ):
            raise ValueError("resting_hr must be below max_hr")
        return self


Role = Literal["athlete", "analyst", "admin"]


class RoleGrant(InputModel):
    """Whom to give which role (``PUT /v1/admin/users/role``)."""

    email: str = Field(min_length=1, max_length=320, description="the user's login e-mail")
    role: Role = Field(description="athlete, analyst or admin")


class RoleGrantRead(OutputModel):
    email: str = Field(description="the user's login e-mail, case-folded")
    role: Role = Field(description="the role the user has now")
    previous_role: Role = Field(description="the role the user had before")

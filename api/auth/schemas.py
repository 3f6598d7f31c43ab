"""Auth schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from api.schemas import InputModel, OutputModel, TimeZoneName
from api.users.schemas import UnitSystem

# A password is used exactly as typed: InputModel strips strings, but the login form
# does not, so a stripped password with surrounding spaces could never log in.
Password = Annotated[str, StringConstraints(strip_whitespace=False)]


class RegisterRequest(InputModel):
    email: EmailStr = Field(description="login e-mail (case-insensitive)")
    password: Password = Field(min_length=8, max_length=256, description="8–256 characters")
    time_zone: TimeZoneName = Field("UTC", description="IANA time zone, e.g. Europe/Stockholm")
    unit_system: UnitSystem | None = Field(None, description="metric or imperial")


class TokenResponse(OutputModel):
    access_token: str = Field(description="HS256 JWT, valid 15 minutes")
    refresh_token: str = Field(description="opaque token, rotated on use")
    token_type: str = Field("bearer", description="always `bearer`")

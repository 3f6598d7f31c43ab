"""Auth schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints, ValidationInfo, field_validator

from api.schemas import InputModel, OutputModel, TimeZoneName
from api.users.schemas import UnitSystem

# A password is used exactly as typed: InputModel strips strings, but the login form
# does not, so a stripped password with surrounding spaces could never log in.
Password = Annotated[str, StringConstraints(strip_whitespace=False)]

# The longest password accepted anywhere (registration, password change, login): argon2
# hashes any length, so without a cap a login would hash megabytes for nothing.
PASSWORD_MAX_LENGTH = 256

# Refresh tokens are 43 URL-safe characters; the cap only keeps junk out of the hash.
RefreshTokenValue = Annotated[str, StringConstraints(min_length=1, max_length=512)]


class RegisterRequest(InputModel):
    email: EmailStr = Field(description="login e-mail (case-insensitive)")
    password: Password = Field(
        min_length=8, max_length=PASSWORD_MAX_LENGTH, description="8–256 characters"
    )
    time_zone: TimeZoneName = Field("UTC", description="IANA time zone, e.g. Europe/Stockholm")
    unit_system: UnitSystem | None = Field(None, description="metric or imperial")


class TokenResponse(OutputModel):
    access_token: str = Field(description="HS256 JWT, valid 15 minutes")
    refresh_token: str = Field(description="opaque token, rotated on use")
    token_type: str = Field("bearer", description="always `bearer`")


class RefreshRequest(InputModel):
    """Exchange a refresh token for a new access token and a new refresh token."""

    refresh_token: RefreshTokenValue = Field(
        description="the refresh token from the last token response; it works once"
    )


class LogoutRequest(InputModel):
    """End one session: the refresh token's whole rotation family is revoked."""

    refresh_token: RefreshTokenValue = Field(
        description="the session's current (or any earlier) refresh token"
    )


class PasswordChange(InputModel):
    """Change the caller's password; every session has to log in again afterwards."""

    current_password: Password = Field(
        min_length=1,
        max_length=PASSWORD_MAX_LENGTH,
        description="the password in use now, exactly as typed",
    )
    new_password: Password = Field(
        min_length=8,
        max_length=PASSWORD_MAX_LENGTH,
        description="8–256 characters, different from the current",
    )

    @field_validator("new_password")
    @classmethod
    def _differs_from_current(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("current_password"):
            raise ValueError("new_password must differ from current_password")
        return value

"""Shared dependency aliases: settings, the current user, roles."""

from __future__ import annotations

import uuid
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from api.auth.security import decode_access_token, password_version
from api.config import Settings
from api.db import SessionDep
from api.errors import Forbidden, Unauthorized
from api.users import repository as user_repository
from api.users.tables import User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_current_user(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    """The user behind a valid access token; 401 for a missing, expired or forged one."""
    if not token:
        raise Unauthorized("missing bearer token")
    try:
        claims = decode_access_token(settings, token)
        user_id = uuid.UUID(claims["sub"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("access token expired", code="token_expired") from exc
    except (jwt.InvalidTokenError, ValueError, KeyError) as exc:
        raise Unauthorized("invalid access token", code="invalid_token") from exc
    user = await user_repository.get(session, user_id)
    if user is None:
        raise Unauthorized("invalid access token", code="invalid_token")
    if claims.get("pwv") != password_version(user.password_changed_at):
        raise Unauthorized("access token predates a password change", code="invalid_token")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: str):  # noqa: ANN201 - returns a dependency
    async def _check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden(f"requires role {' or '.join(roles)}")
        return user

    return _check

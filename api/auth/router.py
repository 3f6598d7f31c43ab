"""``/v1/auth``: register, the OAuth2 token endpoint, refresh, logout, password change."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.auth import service
from api.auth.dependencies import TokenFormDep
from api.auth.schemas import (
    LogoutRequest,
    PasswordChange,
    RefreshRequest,
    RegisterRequest,
    TokenResponse,
)
from api.db import SessionDep
from api.deps import CurrentUser, SettingsDep
from api.errors import error_responses
from api.users import service as user_service
from api.users.schemas import UserRead

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post(
    "/register",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409, 422),
)
async def register(body: RegisterRequest, session: SessionDep) -> object:
    """Create an athlete account."""
    return await user_service.register(
        session,
        email=body.email,
        password=body.password,
        time_zone=body.time_zone,
        unit_system=body.unit_system,
    )


@router.post("/token", response_model=TokenResponse, responses=error_responses(401, 422))
async def token(form: TokenFormDep, session: SessionDep, settings: SettingsDep) -> TokenResponse:
    """OAuth2 token endpoint.

    Password grant (the default): form fields ``username`` (the e-mail) and ``password``;
    401 ``invalid_credentials`` when they do not match. Refresh grant:
    ``grant_type=refresh_token`` and ``refresh_token``, answered exactly like
    ``POST /v1/auth/refresh``.
    """
    if form.grant_type == "refresh_token":
        access, refresh = await service.refresh(
            session, settings=settings, refresh_token=form.refresh_token
        )
    else:
        user = await service.authenticate(session, email=form.username, password=form.password)
        access, refresh = await service.issue_tokens(session, settings=settings, user=user)
    return TokenResponse(access_token=access, refresh_token=refresh, token_type="bearer")


@router.post("/refresh", response_model=TokenResponse, responses=error_responses(401, 422))
async def refresh(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """Exchange a refresh token for a new access token and a new refresh token.

    The presented token is spent: presenting it again answers 401
    ``refresh_token_reused`` and ends the session (every token of its family, including
    the newest). Unknown, expired or revoked tokens answer 401 ``invalid_refresh_token``.
    """
    access, new_refresh = await service.refresh(
        session, settings=settings, refresh_token=body.refresh_token
    )
    return TokenResponse(access_token=access, refresh_token=new_refresh, token_type="bearer")


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 422),
)
async def logout(body: LogoutRequest, user: CurrentUser, session: SessionDep) -> None:
    """End the session the refresh token belongs to (its whole family is revoked).

    Always 204 for a valid bearer: a token that is unknown, already revoked or another
    user's is left alone and not reported. The caller's access token stays valid until
    it expires (at most 15 minutes).
    """
    await service.logout(session, user=user, refresh_token=body.refresh_token)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403, 422),
)
async def change_password(body: PasswordChange, user: CurrentUser, session: SessionDep) -> None:
    """Change the caller's password and end every session of the account.

    403 ``wrong_password`` when ``current_password`` is wrong. On success all refresh
    tokens are revoked and access tokens issued before the change stop working, so
    every device (this one included) logs in again with the new password.
    """
    await service.change_password(
        session,
        user=user,
        current_password=body.current_password,
        new_password=body.new_password,
    )

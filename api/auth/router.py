"""``/v1/auth``: register, the OAuth2 token endpoint, refresh, logout, password change."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.auth import service
from api.auth.dependencies import PasswordsDep, TokenFormDep
from api.auth.limits import LoginLimits
from api.auth.schemas import (
    LogoutRequest,
    PasswordChange,
    RefreshRequest,
    RegisterRequest,
    TokenResponse,
)
from api.db import SessionDep
from api.deps import CurrentUser, SettingsDep
from api.errors import Unauthorized, error_responses
from api.ratelimit import RateLimitsDep, rate_limited_response
from api.users import service as user_service
from api.users.schemas import UserRead

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post(
    "/register",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    responses={**error_responses(409, 422, 503), **rate_limited_response()},
)
async def register(
    body: RegisterRequest, session: SessionDep, passwords: PasswordsDep, limits: RateLimitsDep
) -> object:
    """Create an athlete account.

    Limited per address (``FORMA_RATE_LIMIT_REGISTER_ADDRESS``) and per e-mail
    (``FORMA_RATE_LIMIT_REGISTER_ACCOUNT``): 429 ``rate_limited`` with ``Retry-After``.
    """
    await limits.count(
        (limits.rules.register_address, limits.address),
        (limits.rules.register_account, user_service.normalise_email(body.email)),
    )
    return await user_service.register(
        session,
        passwords=passwords,
        email=body.email,
        password=body.password,
        time_zone=body.time_zone,
        unit_system=body.unit_system,
    )


@router.post(
    "/token",
    response_model=TokenResponse,
    responses={**error_responses(401, 422, 503), **rate_limited_response()},
)
async def token(
    form: TokenFormDep,
    limits: RateLimitsDep,
    session: SessionDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
) -> TokenResponse:
    """OAuth2 token endpoint.

    Password grant (the default): form fields ``username`` (the e-mail) and ``password``;
    401 ``invalid_credentials`` when they do not match. Refresh grant:
    ``grant_type=refresh_token`` and ``refresh_token``, answered exactly like
    ``POST /v1/auth/refresh``.

    429 ``rate_limited`` (with ``Retry-After``) after too many attempts from one address
    (``FORMA_RATE_LIMIT_LOGIN_ADDRESS``) or too many wrong passwords for one account
    (``FORMA_RATE_LIMIT_LOGIN_ACCOUNT``, then even the right password waits), and
    (``Retry-After: 1``) while another login for the same account is being checked:
    an account's passwords are checked one at a time.
    503 ``overloaded`` (``Retry-After: 1``) when too many password checks are queued.
    """
    if form.grant_type == "refresh_token":
        await limits.count((limits.rules.refresh_address, limits.address))
        access, refresh = await service.refresh(
            session, settings=settings, refresh_token=form.refresh_token
        )
    else:
        async with LoginLimits(limits, email=form.username) as login:
            try:
                user = await service.authenticate(
                    session, passwords=passwords, email=form.username, password=form.password
                )
            except Unauthorized:
                await login.failed()
                raise
        access, refresh = await service.issue_tokens(session, settings=settings, user=user)
    return TokenResponse(access_token=access, refresh_token=refresh, token_type="bearer")


@router.post(
    "/refresh",
    response_model=TokenResponse,
    responses={**error_responses(401, 422), **rate_limited_response()},
)
async def refresh(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep, limits: RateLimitsDep
) -> TokenResponse:
    """Exchange a refresh token for a new access token and a new refresh token.

    The presented token is spent: presenting it again answers 401
    ``refresh_token_reused`` and ends the session (every token of its family, including
    the newest). Unknown, expired or revoked tokens answer 401 ``invalid_refresh_token``.
    Limited per address (``FORMA_RATE_LIMIT_REFRESH_ADDRESS``): 429 ``rate_limited``.
    """
    await limits.count((limits.rules.refresh_address, limits.address))
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
    responses=error_responses(401, 403, 409, 422, 503),
)
async def change_password(
    body: PasswordChange, user: CurrentUser, session: SessionDep, passwords: PasswordsDep
) -> None:
    """Change the caller's password and end every session of the account.

    403 ``wrong_password`` when ``current_password`` is wrong, including when another
    change of the same account committed first (of concurrent changes, one succeeds);
    401 ``invalid_token`` when the password was changed after the access token was
    issued. On success all refresh tokens are revoked and access tokens issued before
    the change stop working, so every device (this one included) logs in again with
    the new password.
    """
    await service.change_password(
        session,
        passwords=passwords,
        user=user,
        current_password=body.current_password,
        new_password=body.new_password,
    )

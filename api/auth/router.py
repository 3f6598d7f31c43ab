"""``/v1/auth``: register and the OAuth2 password flow."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import service
from api.auth.schemas import RegisterRequest, TokenResponse
from api.db import SessionDep
from api.deps import SettingsDep
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
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenResponse:
    """OAuth2 password flow: form fields ``username`` (the e-mail) and ``password``."""
    user = await service.authenticate(session, email=form.username, password=form.password)
    access, refresh = await service.issue_tokens(session, settings=settings, user=user)
    return TokenResponse(access_token=access, refresh_token=refresh, token_type="bearer")

"""``/v1/users``: the caller's own profile."""

from __future__ import annotations

from fastapi import APIRouter

from api.db import SessionDep
from api.deps import CurrentUser
from api.errors import error_responses
from api.users import service
from api.users.schemas import UserRead, UserUpdate

router = APIRouter(prefix="/v1/users", tags=["users"], responses=error_responses(401))


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser) -> object:
    """The caller's profile."""
    return user


@router.patch("/me", response_model=UserRead, responses=error_responses(422))
async def update_me(changes: UserUpdate, user: CurrentUser, session: SessionDep) -> object:
    """Change time zone, unit system, sex, birth year or heart rates (never role)."""
    return await service.update_profile(session, user=user, changes=changes)

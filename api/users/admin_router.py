"""``/v1/admin/users``: operator actions on other users' accounts, for admins only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.db import SessionDep
from api.deps import require_role
from api.errors import error_responses
from api.users import service
from api.users.schemas import RoleGrant, RoleGrantRead
from api.users.tables import User

router = APIRouter(
    prefix="/v1/admin/users", tags=["admin"], responses=error_responses(401, 403, 422)
)

Admin = Annotated[User, Depends(require_role("admin"))]


@router.put("/role", response_model=RoleGrantRead, responses=error_responses(404, 409))
async def put_role(body: RoleGrant, _: Admin, session: SessionDep) -> RoleGrantRead:
    """Give the user with ``email`` the ``role`` (as ``forma users grant`` does); 404 for
    an unknown e-mail, 409 ``last_admin`` when it would leave no admin."""
    change = await service.grant_role(session, email=body.email, role=body.role)
    return RoleGrantRead(
        email=change.user.email, role=change.user.role, previous_role=change.previous_role
    )

"""Rules for users: registration, profile updates, role grants."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.security import PasswordWorkers
from api.errors import Conflict, NotFound, Unprocessable
from api.users import repository
from api.users.schemas import UserUpdate
from api.users.tables import ROLES, User


def normalise_email(email: str) -> str:
    return email.strip().casefold()


async def register(
    session: AsyncSession,
    *,
    passwords: PasswordWorkers,
    email: str,
    password: str,
    time_zone: str = "UTC",
    unit_system: str | None = None,
) -> User:
    """Create an athlete; 409 ``email_taken`` when the e-mail has an account."""
    email = normalise_email(email)
    if await repository.get_by_email(session, email) is not None:
        raise Conflict("an account with this e-mail exists", code="email_taken")
    user = User(
        email=email,
        password_hash=await passwords.hash(password),
        role="athlete",
        time_zone=time_zone,
        unit_system=unit_system,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict("an account with this e-mail exists", code="email_taken") from exc
    return user


async def update_profile(session: AsyncSession, *, user: User, changes: UserUpdate) -> User:
    """Apply the fields present in ``changes``; rejects a resting HR not below max HR."""
    data = changes.model_dump(exclude_unset=True)
    for field, value in data.items():
        if value is None and field == "time_zone":
            raise Unprocessable("time_zone cannot be null", code="invalid_field")
        setattr(user, field, value)
    if user.resting_hr is not None and user.max_hr is not None and user.resting_hr >= user.max_hr:
        raise Unprocessable("resting_hr must be below max_hr", code="invalid_field")
    await session.flush()
    await session.refresh(user)
    return user


@dataclass(frozen=True, slots=True)
class RoleChange:
    """A role grant's outcome: the user (with the new role) and the role they had."""

    user: User
    previous_role: str


async def grant_role(session: AsyncSession, *, email: str, role: str) -> RoleChange:
    """Set a user's role (``forma users grant`` and ``PUT /v1/admin/users/role``).

    Raises 422 ``invalid_role`` for a role outside :data:`ROLES`, 404 for an unknown
    e-mail and 409 ``last_admin`` when it would leave no admin. The admins' rows are
    locked first, so two concurrent demotions cannot each leave the other as the last.
    """
    if role not in ROLES:
        raise Unprocessable(f"role must be one of {', '.join(ROLES)}", code="invalid_role")
    user = await repository.get_by_email(session, normalise_email(email))
    if user is None:
        raise NotFound(f"no user with e-mail {email!r}")
    previous = user.role
    if previous == "admin" and role != "admin":
        if await repository.lock_admin_ids(session) == [user.id]:
            raise Conflict(
                f"{user.email} is the last admin; make another admin first", code="last_admin"
            )
    user.role = role
    await session.flush()
    return RoleChange(user=user, previous_role=previous)

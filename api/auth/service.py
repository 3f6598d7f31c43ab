"""Rules for authentication: password login and refresh-token issuance."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.security import create_access_token, new_refresh_token, verify_password
from api.auth.tables import RefreshToken
from api.config import Settings
from api.errors import Unauthorized
from api.users import repository as user_repository
from api.users.service import normalise_email
from api.users.tables import User


async def authenticate(session: AsyncSession, *, email: str, password: str) -> User:
    """The user with this e-mail and password; 401 ``invalid_credentials`` otherwise."""
    user = await user_repository.get_by_email(session, normalise_email(email))
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise Unauthorized("wrong e-mail or password", code="invalid_credentials")
    return user


async def issue_tokens(
    session: AsyncSession, *, settings: Settings, user: User, family_id: uuid.UUID | None = None
) -> tuple[str, str]:
    """A new access token and a new refresh token (stored as its digest)."""
    token, digest = new_refresh_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=digest,
            expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_days),
        )
    )
    await session.flush()
    return create_access_token(settings, user_id=user.id, role=user.role), token

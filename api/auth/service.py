"""Rules for authentication: password login, refresh-token rotation, logout, password change.

Refresh tokens (DESIGN §6) are opaque, stored as SHA-256 digests and grouped in
rotation families: one family per login. Each refresh spends the presented token
(``used_at``) and issues its successor in the same family. A spent token presented
again means two parties hold the family (RFC 9700 §4.14.2), so the
whole family is revoked and everyone holding it has to log in again.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import repository
from api.auth.security import (
    PasswordWorkers,
    create_access_token,
    new_refresh_token,
    refresh_token_digest,
)
from api.config import Settings
from api.errors import Conflict, Forbidden, Unauthorized
from api.users import repository as user_repository
from api.users.service import normalise_email
from api.users.tables import User

logger = logging.getLogger("forma.auth")


def _invalid_refresh_token() -> Unauthorized:
    # One answer for unknown, expired and revoked tokens: which one it was is of no use
    # to a client (it must log in again either way) and of some use to a guesser.
    return Unauthorized("the refresh token is not valid", code="invalid_refresh_token")


async def authenticate(
    session: AsyncSession, *, passwords: PasswordWorkers, email: str, password: str
) -> User:
    """The user with this e-mail and password; 401 ``invalid_credentials`` otherwise."""
    user = await user_repository.get_by_email(session, normalise_email(email))
    if not await passwords.verify(password, user.password_hash if user else None) or user is None:
        raise Unauthorized("wrong e-mail or password", code="invalid_credentials")
    return user


async def issue_tokens(
    session: AsyncSession, *, settings: Settings, user: User, family_id: uuid.UUID | None = None
) -> tuple[str, str]:
    """A new access token and a new refresh token (stored as its digest).

    Without ``family_id`` the refresh token starts a new family (a login).
    """
    token, digest = new_refresh_token()
    await repository.add(
        session,
        user_id=user.id,
        family_id=family_id or uuid.uuid4(),
        token_hash=digest,
        expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_days),
    )
    return create_access_token(
        settings, user_id=user.id, role=user.role, password_changed_at=user.password_changed_at
    ), token


async def refresh(
    session: AsyncSession, *, settings: Settings, refresh_token: str
) -> tuple[str, str]:
    """Rotate a refresh token: a new access token and its successor in the same family.

    Raises 401 ``invalid_refresh_token`` for an unknown, expired or revoked token and
    401 ``refresh_token_reused`` for a spent one, after revoking its family for good.
    """
    digest = refresh_token_digest(refresh_token)
    user_id = await repository.user_id_for(session, token_hash=digest)
    if user_id is None:
        raise _invalid_refresh_token()
    # The per-user lock (see the repository), then the row itself FOR UPDATE: of two
    # requests presenting the same token, the second waits until the first commits and
    # then reads ``used_at`` set, so at most one rotation succeeds.
    await repository.lock_user_tokens(session, user_id=user_id)
    token = await repository.get_for_update(session, token_hash=digest)
    if token is None or token.revoked_at is not None:
        raise _invalid_refresh_token()
    if token.used_at is not None:
        revoked = await repository.revoke_family(session, family_id=token.family_id)
        logger.warning(
            "refresh token reused: revoked family %s of user %s (%d live tokens)",
            token.family_id,
            token.user_id,
            revoked,
        )
        # The revocation is the point of detecting reuse, so it must be stored even though
        # the answer is a 401. The request's session dependency rolls back when the route
        # raises, so this is the one place in the service layer that commits (on purpose,
        # against STYLE rule 6): nothing else is pending in this session, and raising keeps
        # the one error path and shape. In the rolled-back test tier this commit only
        # releases the request's savepoint.
        await session.commit()
        raise Unauthorized(
            "this refresh token was already used; the session has been ended",
            code="refresh_token_reused",
        )
    if token.expires_at <= datetime.now(UTC):
        raise _invalid_refresh_token()
    user = await user_repository.get(session, token.user_id)
    if user is None:  # deleted meanwhile (its tokens go with it, by cascade)
        raise _invalid_refresh_token()
    await repository.mark_used(session, token_id=token.id)
    return await issue_tokens(session, settings=settings, user=user, family_id=token.family_id)


async def logout(session: AsyncSession, *, user: User, refresh_token: str) -> None:
    """Revoke the family of the caller's refresh token.

    A token that is unknown, already revoked or another user's changes nothing and is
    not reported: logout is idempotent, and its answer must not tell whether a token
    exists.
    """
    await repository.lock_user_tokens(session, user_id=user.id)
    await repository.revoke_family_of(
        session, user_id=user.id, token_hash=refresh_token_digest(refresh_token)
    )


async def change_password(
    session: AsyncSession,
    *,
    passwords: PasswordWorkers,
    user: User,
    current_password: str,
    new_password: str,
) -> None:
    """Set a new password and end every session; 403 ``wrong_password`` otherwise.

    All refresh tokens are revoked here. Access tokens carry the password version
    (``pwv``) they were issued under; the bearer check refuses any other version.

    Of concurrent changes given the same current password, one succeeds: each takes
    the per-user lock first and then reads the password again, so a change waiting
    for the lock sees the one that committed before it, and its current password is
    no longer current (403); a change arriving while another is being checked answers
    409 ``password_change_in_progress`` with ``Retry-After`` at once. A change whose
    password is right but whose access token was issued before that other change
    answers 401 ``invalid_token``, as the bearer check would have a moment later.
    """
    # The advisory lock, not the ``users`` row (see lock_user_tokens): holding the row
    # through two argon2 runs would hold up the account's workout writes meanwhile.
    # Every password change takes it, so this is the only writer of the password while
    # it is held.
    # Tried, not waited for: concurrent changes would queue behind two argon2 runs each
    # and run into the statement timeout (503); the one that gets the lock decides, the
    # others are told to try again (409), and on retry their password is no longer current.
    if not await repository.try_lock_user_tokens(session, user_id=user.id):
        raise Conflict(
            "another change to this account's password or sessions is in progress; "
            "try again in a moment",
            code="password_change_in_progress",
            headers={"Retry-After": "1"},
        )
    issued_under = user.password_changed_at
    await session.refresh(user, attribute_names=["password_hash", "password_changed_at"])
    if not await passwords.verify(current_password, user.password_hash):
        # 403, not 401: the bearer token is fine, and a 401 would send clients into
        # their refresh-and-retry path instead of asking the person again.
        raise Forbidden("the current password is wrong", code="wrong_password")
    if user.password_changed_at != issued_under:
        raise Unauthorized("access token predates a password change", code="invalid_token")
    user.password_hash = await passwords.hash(new_password)
    user.password_changed_at = datetime.now(UTC)
    await session.flush()
    await repository.revoke_all(session, user_id=user.id)

"""Password hashing (argon2 via pwdlib) and access tokens (HS256 JWT via PyJWT)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from api.config import Settings, available_cores, get_settings
from api.errors import FormaError

T = TypeVar("T")


@functools.cache
def _hashing() -> tuple[PasswordHash, str]:
    """The argon2id hasher of the settings' cost, and a fixed hash to verify against when
    the e-mail is unknown (so the response time does not tell which e-mails have
    accounts). Built once per process; a hash records its own cost, so hashes made at
    another cost still verify."""
    settings = get_settings()
    hasher = PasswordHash(
        (Argon2Hasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib),)
    )
    return hasher, hasher.hash("forma-dummy-password")


def hash_password(password: str) -> str:
    """An argon2id hash (blocking: about 0.2 s of CPU at the default cost; async code uses
    PasswordWorkers)."""
    return _hashing()[0].hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when ``password`` matches; always spends one argon2 verification."""
    hasher, dummy = _hashing()
    if password_hash is None:
        hasher.verify(password, dummy)
        return False
    return hasher.verify(password, password_hash)


def default_password_workers(api_processes: int = 1) -> int:
    """One thread fewer than the cores, shared by ``api_processes`` API processes; at least one.

    ``forma up`` runs one API process per core but one: each gets its share, at least one,
    so that the hashing threads of all of them together leave a core free.
    """
    return max(1, (available_cores() - 1) // max(1, api_processes))


class PasswordsBusy(FormaError, status_code=503, code="overloaded"):
    """503: too many password checks are waiting; ``Retry-After`` says when to retry."""


class PasswordWorkers:
    """argon2 off the event loop, in a small pool of its own.

    Each hash or verification is about 0.2 s of CPU. On the event loop a burst of
    logins would stall every other request; in the default thread pool it could take
    every core. argon2-cffi releases the GIL while it works, so a dedicated pool of
    ``cores - 1`` threads hashes in parallel and always leaves a core for the loop.
    At most ``max_waiting`` calls wait for a thread; past that the request answers 503
    at once, because each waiting login holds a database connection and the queue
    would otherwise grow until the connection pool ran dry for every other request.
    Built and shut down by the app's lifespan.
    """

    def __init__(self, workers: int | None = None, *, max_waiting: int = 16) -> None:
        self.workers = workers or default_password_workers()
        self.max_waiting = max_waiting
        self._in_flight = 0
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="argon2")

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._in_flight >= self.workers + self.max_waiting:
            raise PasswordsBusy(
                "too many logins at once; try again shortly", headers={"Retry-After": "1"}
            )
        self._in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        finally:
            self._in_flight -= 1

    async def hash(self, password: str) -> str:
        """:func:`hash_password` in the pool; 503 ``overloaded`` when the queue is full."""
        return await self._run(hash_password, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """:func:`verify_password` in the pool; 503 ``overloaded`` when the queue is full."""
        return await self._run(verify_password, password, password_hash)

    def close(self) -> None:
        """Stop the threads; queued work is dropped (its requests are gone at shutdown)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def password_version(changed_at: datetime) -> int:
    """The password's version stamped in access tokens: its change time in microseconds."""
    return round(changed_at.timestamp() * 1_000_000)


def create_access_token(
    settings: Settings, *, user_id: uuid.UUID, role: str, password_changed_at: datetime
) -> str:
    """An HS256 JWT with claims ``sub exp iat iss aud jti``, the role and ``pwv``.

    ``pwv`` is the password version the token was issued under: a password change
    makes every older token invalid at once, with no whole-second window.
    """
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "role": role,
        "pwv": password_version(password_changed_at),
        "iat": now,
        "exp": now + timedelta(minutes=settings.access_token_minutes),
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


def decode_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """Verified claims; raises ``jwt.InvalidTokenError`` on any defect.

    Only HS256 is accepted, so ``alg: none`` and algorithm-confusion tokens fail.
    ``iat``, ``nbf`` and ``exp`` are checked with ``FORMA_JWT_LEEWAY_S`` of clock skew.
    A token living longer than ``FORMA_ACCESS_TOKEN_MINUTES`` (``exp − iat``) is refused:
    shortening the setting takes effect at once, not when the long tokens expire.
    """
    claims: dict[str, Any] = jwt.decode(
        token,
        settings.secret_key,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        options={"require": ["sub", "exp", "iat", "iss", "aud", "jti"]},
        # Replicas' clocks differ by a second or two: without leeway a token minted by
        # a server running ahead has ``iat`` in the future here and is refused.
        leeway=settings.jwt_leeway_s,
    )
    lifetime = float(claims["exp"]) - float(claims["iat"])
    if lifetime > settings.access_token_minutes * 60 + settings.jwt_leeway_s:
        raise jwt.InvalidTokenError(
            f"the token lives {lifetime:.0f} s, more than {settings.access_token_minutes} min"
        )
    return claims


def new_refresh_token() -> tuple[str, bytes]:
    """An opaque refresh token and the SHA-256 digest that is stored in its place."""
    token = secrets.token_urlsafe(32)
    return token, refresh_token_digest(token)


def refresh_token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()

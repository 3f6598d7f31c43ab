"""Rate-limit rules and quotas: what a limit is, where an identity stands, the 429.

Pure values, no Redis: :class:`Rule` (one named moving window), :class:`Rules` (every
limit Forma applies, from Settings), :class:`Quota` (one identity against one rule after a
request), and how quotas answer over HTTP (the ``RateLimit-*`` headers and the 429
``rate_limited`` with ``Retry-After``). The limiter that counts in Redis is
:mod:`api.ratelimit`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from limits import RateLimitItem
from limits import parse as parse_rate_limit

from api.config import Settings
from api.errors import FormaError


@dataclass(frozen=True)
class Rule:
    """One named limit, e.g. ``login_account`` = 5 per minute."""

    name: str
    item: RateLimitItem

    @classmethod
    def parse(cls, name: str, text: str) -> Rule:
        """A rule from a ``10/minute``-style string (see ``limits.parse``)."""
        return cls(name=name, item=parse_rate_limit(text))

    @property
    def window_s(self) -> int:
        """The window's length in seconds."""
        return int(self.item.get_expiry())

    @property
    def policy(self) -> str:
        """The rule as an IETF ``RateLimit-Policy`` item: ``<limit>;w=<seconds>``."""
        return f"{self.item.amount};w={self.window_s}"


@dataclass(frozen=True)
class Quota:
    """Where one identity stands against one rule."""

    rule: Rule
    remaining: int
    """Requests the window still allows after this one (0 when this one was the last)."""
    reset_s: float
    """Seconds until the oldest counted request leaves the window (a slot frees)."""
    refused: bool
    """True when this request is over the limit."""


class RateLimited(FormaError, status_code=429, code="rate_limited"):
    """429: a limit is used up; ``Retry-After`` says when to try again."""


def quota_headers(quotas: list[Quota]) -> dict[str, str]:
    """The IETF draft's ``RateLimit-*`` headers (draft-ietf-httpapi-ratelimit-headers-07).

    ``RateLimit-Limit``/``-Remaining``/``-Reset`` describe the rule closest to its end
    (fewest requests left, then the longest wait); ``RateLimit-Policy`` lists every rule
    that applied. ``Reset`` is in whole seconds, rounded up so a client that waits that
    long is never early.
    """
    if not quotas:
        return {}
    closest = min(quotas, key=lambda q: (q.remaining, -q.reset_s))
    return {
        "RateLimit-Limit": str(closest.rule.item.amount),
        "RateLimit-Remaining": str(closest.remaining),
        "RateLimit-Reset": str(math.ceil(closest.reset_s)),
        "RateLimit-Policy": ", ".join(q.rule.policy for q in quotas),
    }


def refuse_if_exhausted(quotas: list[Quota]) -> None:
    """Raise 429 with ``Retry-After`` (the longest wait of the used-up rules), if any is."""
    exhausted = [q for q in quotas if q.refused]
    if not exhausted:
        return
    # Rounded up, and at least 1: ``Retry-After: 0`` would invite an immediate retry
    # that could land a moment before the slot frees.
    wait = max(1, *(math.ceil(q.reset_s) for q in exhausted))
    headers = {**quota_headers(quotas), "Retry-After": str(wait)}
    raise RateLimited(
        f"too many requests; try again in {wait} s",
        details={"limits": sorted(q.rule.name for q in exhausted), "retry_after_s": wait},
        headers=headers,
    )


@dataclass(frozen=True)
class Rules:
    """Every limit Forma applies, read from Settings."""

    login_account: Rule
    login_address: Rule
    register_account: Rule
    register_address: Rule
    refresh_address: Rule
    imports_account: Rule
    imports_address: Rule

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        """Parse the ``FORMA_RATE_LIMIT_*`` strings."""
        return cls(
            login_account=Rule.parse("login_account", settings.rate_limit_login_account),
            login_address=Rule.parse("login_address", settings.rate_limit_login_address),
            register_account=Rule.parse("register_account", settings.rate_limit_register_account),
            register_address=Rule.parse("register_address", settings.rate_limit_register_address),
            refresh_address=Rule.parse("refresh_address", settings.rate_limit_refresh_address),
            imports_account=Rule.parse("imports_account", settings.rate_limit_imports_account),
            imports_address=Rule.parse("imports_address", settings.rate_limit_imports_address),
        )

"""Login rate limits: every attempt counted per address, failures per account."""

from __future__ import annotations

from types import TracebackType

from api.ratelimit import Claim, RequestLimits
from api.ratelimit_rules import Quota, RateLimited, quota_headers
from api.users.service import normalise_email

# The account's in-flight token, and the name a 429 gives it while another attempt holds
# it (``details.limits``); such an attempt is told to retry after this many seconds.
IN_FLIGHT = "login_in_flight"
IN_FLIGHT_RETRY_S = 1


class LoginLimits:
    """A login's rate limits: every attempt counts per address, failures per account.

    Only failures count against the account, in a short moving window
    (``FORMA_RATE_LIMIT_LOGIN_ACCOUNT``, 5 per minute by default): a slow brute force
    gets a few guesses a minute whatever addresses it comes from, while the owner, who
    logs in successfully, never uses the quota up, and an attacker who locks an account
    out holds it only while still failing, never more than one window after.
    Once the account's quota is used up even the right password answers 429; answering
    it would tell the guesser which password was right. Unknown e-mails are counted
    like real ones, so the answers do not reveal which e-mails have accounts.

    A failure is counted only once its password has been checked, so the quota is read
    before the check and written after it. Concurrent attempts on one account would all
    read it before any of them wrote it, and all be checked. So an attempt holds the
    account's in-flight token (:meth:`RateLimiter.claim`) from before it reads the quota
    until after its failure is counted: an account's passwords are checked one at a
    time, each against every failure before it, and never more than the quota per
    window whatever the concurrency. An attempt that finds the token held answers 429
    at once with ``Retry-After: 1``; it never waits for the password pool, so an
    account under attack answers 429, not 503. Use as ``async with``: entering checks
    (and may raise 429), leaving gives the token back.
    """

    def __init__(self, limits: RequestLimits, *, email: str) -> None:
        self._limits = limits
        self._account = normalise_email(email)
        self._claim: Claim | None = None

    async def __aenter__(self) -> LoginLimits:
        await self.check()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()

    async def check(self) -> None:
        """Count the attempt per address, take the account's in-flight token and refuse
        (429) if either quota is used up or another attempt on the account is in flight."""
        rules = self._limits.rules
        limiter = self._limits.limiter
        quotas: list[Quota] = []
        if address := await limiter.hit(rules.login_address, self._limits.address):
            quotas.append(address)
        try:
            if address is None or not address.refused:
                self._claim = await limiter.claim(
                    IN_FLIGHT, self._account, ttl_s=limiter.login_in_flight_s
                )
            # Read after the token is taken: every failure counted by an attempt that
            # held it before is in the window now.
            if account := await limiter.peek(rules.login_account, self._account):
                quotas.append(account)
            self._limits.answer(quotas)
            if self._claim is not None and self._claim.busy:
                raise RateLimited(
                    "another login for this account is being checked; "
                    f"try again in {IN_FLIGHT_RETRY_S} s",
                    details={"limits": [IN_FLIGHT], "retry_after_s": IN_FLIGHT_RETRY_S},
                    headers={**quota_headers(quotas), "Retry-After": str(IN_FLIGHT_RETRY_S)},
                )
        except BaseException:
            await self.release()
            raise

    async def failed(self) -> None:
        """Count a wrong password against the account (before the token is given back)."""
        await self._limits.limiter.hit(self._limits.rules.login_account, self._account)

    async def release(self) -> None:
        """Give the account's in-flight token back, if this attempt holds it."""
        if self._claim is not None:
            claim, self._claim = self._claim, None
            await self._limits.limiter.release(claim)

"""Login rate limits: every attempt counted per address, failures per account."""

from __future__ import annotations

from api.ratelimit import Quota, RequestLimits
from api.users.service import normalise_email


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
    """

    def __init__(self, limits: RequestLimits, *, email: str) -> None:
        self._limits = limits
        self._account = normalise_email(email)

    async def check(self) -> None:
        """Count the attempt per address and refuse (429) if either quota is used up."""
        rules = self._limits.rules
        limiter = self._limits.limiter
        quotas: list[Quota] = []
        if address := await limiter.hit(rules.login_address, self._limits.address):
            quotas.append(address)
        if account := await limiter.peek(rules.login_account, self._account):
            quotas.append(account)
        self._limits.answer(quotas)

    async def failed(self) -> None:
        """Count a wrong password against the account."""
        await self._limits.limiter.hit(self._limits.rules.login_account, self._account)

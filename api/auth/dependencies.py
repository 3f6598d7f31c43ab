"""Auth dependencies: the token endpoint's form (password or refresh-token grant), the
password workers and the login limits."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator

from api.auth.security import PasswordWorkers
from api.ratelimit import Quota, RateLimitsDep, RequestLimits
from api.schemas import check_text
from api.users.service import normalise_email

# Form fields get the rule JSON bodies get (api.schemas.InputModel): no NUL, no other
# control characters, no lone surrogates — PostgreSQL would refuse them with a 500.
FormText = Annotated[str, AfterValidator(check_text)]

GrantType = Literal["password", "refresh_token"]


class TokenForm:
    """``POST /v1/auth/token`` form fields (RFC 6749 §4.3 and §6).

    Like FastAPI's ``OAuth2PasswordRequestForm`` (which this replaces), ``grant_type``
    may be left out and then means ``password``. Which other fields are required depends
    on it, which a flat form cannot declare, so missing ones are reported here with the
    same 422 items FastAPI would produce.
    """

    def __init__(
        self,
        *,
        grant_type: Annotated[
            GrantType | None,
            Form(description="`password` (the default when absent) or `refresh_token`"),
        ] = None,
        username: Annotated[
            FormText | None, Form(description="the account's e-mail; required for `password`")
        ] = None,
        password: Annotated[
            FormText | None,
            Form(
                description="the password, exactly as typed; required for `password`",
                json_schema_extra={"format": "password"},
            ),
        ] = None,
        refresh_token: Annotated[
            FormText | None,
            Form(
                max_length=512,
                description="the current refresh token; required for `refresh_token`",
            ),
        ] = None,
    ) -> None:
        self.grant_type: GrantType = grant_type or "password"
        given = {"username": username, "password": password, "refresh_token": refresh_token}
        required = (
            ("refresh_token",) if self.grant_type == "refresh_token" else ("username", "password")
        )
        missing = [name for name in required if not given[name]]
        if missing:
            raise RequestValidationError(
                [
                    {"type": "missing", "loc": ("body", name), "msg": "Field required"}
                    for name in missing
                ]
            )
        self.username = username or ""
        self.password = password or ""
        self.refresh_token = refresh_token or ""


TokenFormDep = Annotated[TokenForm, Depends()]


def get_password_workers(request: Request) -> PasswordWorkers:
    """The app's argon2 pool (built in the lifespan)."""
    workers: PasswordWorkers = request.app.state.password_workers
    return workers


PasswordsDep = Annotated[PasswordWorkers, Depends(get_password_workers)]


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


async def login_limits(form: TokenFormDep, limits: RateLimitsDep) -> LoginLimits | None:
    """Apply the token endpoint's limits: login ones, or the refresh one for that grant."""
    if form.grant_type == "refresh_token":
        await limits.count((limits.rules.refresh_address, limits.address))
        return None
    login = LoginLimits(limits, email=form.username)
    await login.check()
    return login


LoginLimitsDep = Annotated[LoginLimits | None, Depends(login_limits)]

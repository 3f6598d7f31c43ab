"""Auth dependencies: the token endpoint's form (password or refresh-token grant) and
the password workers."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator

from api.auth.schemas import PASSWORD_MAX_LENGTH
from api.auth.security import PasswordWorkers
from api.schemas import check_text

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
                # Registration and password change accept at most 256 characters, so a
                # longer one matches no account: refused here, before it is hashed.
                max_length=PASSWORD_MAX_LENGTH,
                description="the password, exactly as typed (at most 256 characters); "
                "required for `password`",
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

"""One error base class and one JSON error shape: ``{"error": {code, message, details}}``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

logger = logging.getLogger("forma.api")


class FormaError(Exception):
    """An expected failure with its HTTP status, a stable code and optional details.

    A subclass names its status and code in its header, ``class NotFound(FormaError,
    status_code=404, code="not_found")``; an instance may override either.
    """

    status_code = 400
    code = "bad_request"

    def __init_subclass__(
        cls, *, status_code: int | None = None, code: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if status_code is not None:
            cls.status_code = status_code
        if code is not None:
            cls.code = code

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.details = details
        self.headers = headers


class NotFound(FormaError, status_code=404, code="not_found"):
    """404: no such resource, or not the caller's."""


class Unauthorized(FormaError, status_code=401, code="unauthorized"):
    """401: no valid credentials; answered with ``WWW-Authenticate: Bearer``."""

    def __init__(self, message: str = "not authenticated", **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class Forbidden(FormaError, status_code=403, code="forbidden"):
    """403: the caller may not do this."""


class Conflict(FormaError, status_code=409, code="conflict"):
    """409: the request clashes with the resource's current state."""


class Unprocessable(FormaError, status_code=422, code="unprocessable"):
    """422: well-formed, but against a rule of the domain."""


class Overloaded(FormaError, status_code=503, code="overloaded"):
    """503: the server cannot take the request now (no database connection came free in
    time, the database too slow or away); ``Retry-After`` says when to try again."""


class ClientGone(FormaError, status_code=499, code="client_closed_request"):
    """The client closed the connection before the work began: nobody will read an answer.

    Answered with nginx's 499 for the access log; the server sends nothing on a closed
    connection, so no client ever sees it (and the API does not declare it).
    """


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine-readable error code")
    message: str = Field(description="what went wrong, for a person")
    details: Any = Field(None, description="validation items `{loc, msg, type}` or extra context")


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` mapping that declares a route's 4xx in the OpenAPI schema."""
    return {status: {"model": ErrorResponse} for status in statuses}


def _body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def clean_validation(errors: Sequence[Any]) -> list[dict[str, Any]]:
    # pydantic puts the offending input and exception objects in ctx; they may not be
    # JSON-serialisable (NaN, bytes) and must not be echoed back.
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in errors
    ]


UNREADABLE_BODY = {
    "loc": ["body"],
    "msg": "the body could not be read: not UTF-8 JSON or form data, or nested too deeply",
    "type": "body_unreadable",
}


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at the request's path (the 405 ``Allow``).

    Starlette answers 405 from the first route whose path matches, naming only its methods;
    ``/v1/workouts`` has GET and POST on two routes. Each method is tried against the
    whole routing table, included routers too.
    """
    allowed = []
    for method in HTTP_METHODS:
        probe = {
            "type": "http",
            "method": method,
            "path": request.scope["path"],
            "root_path": request.scope.get("root_path", ""),
            "headers": [],
        }
        if any(route.matches(probe)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one JSON shape."""

    @app.exception_handler(FormaError)
    async def _forma(_: Request, exc: FormaError) -> JSONResponse:
        return JSONResponse(
            _body(exc.code, exc.message, exc.details),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            _body("validation_error", "the request is not valid", clean_validation(exc.errors())),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # Forma raises FormaError, never a bare 400: this is FastAPI failing to read the
            # body (bytes that are not UTF-8, JSON nested past the parser's depth, a broken
            # form). The body is invalid input like any other: 422 in the one shape.
            return JSONResponse(
                _body("validation_error", "the request is not valid", [UNREADABLE_BODY]),
                status_code=422,
            )
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(
            exc.status_code, "http_error"
        )
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JSONResponse(
            _body(code, str(exc.detail)),
            status_code=exc.status_code,
            headers=headers or None,
        )

    @app.exception_handler(ClientDisconnect)
    async def _disconnected(request: Request, _: ClientDisconnect) -> JSONResponse:
        # The client went away before its body ended (a phone losing its network mid-upload):
        # expected, not a server error. The session has rolled back by now; one line, no
        # traceback, and an answer nobody will read (the server drops it).
        logger.info(
            "client disconnected before the request body ended: %s %s",
            request.method,
            request.url.path,
        )
        return JSONResponse(
            _body("client_disconnected", "the client disconnected before the body ended"),
            status_code=400,
            headers={"Connection": "close"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return JSONResponse(_body("internal_error", "internal error"), status_code=500)

"""HTTP helpers shared by the integration and end-to-end tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

PASSWORD = "correct horse battery"


async def register(
    http: httpx.AsyncClient, email: str | None = None, **extra: Any
) -> dict[str, str]:
    """Register a fresh athlete and return its bearer header."""
    email = email or f"athlete-{uuid.uuid4().hex[:8]}@example.com"
    password = PASSWORD
    response = await http.post(
        "/v1/auth/register", json={"email": email, "password": password, **extra}
    )
    assert response.status_code == 201, response.text
    token = await http.post("/v1/auth/token", data={"username": email, "password": password})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def user_id_of(http: httpx.AsyncClient, headers: dict[str, str]) -> uuid.UUID:
    """The id of the user whose bearer header ``headers`` is."""
    return uuid.UUID((await http.get("/v1/users/me", headers=headers)).json()["id"])


def json_of(response: httpx.Response, status: int) -> Any:
    """``response``'s JSON body, once its status is ``status`` (else the test fails, showing
    the body)."""
    assert response.status_code == status, response.text
    return response.json()


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The one error shape ``{"error": {"code", "message", "details"}}`` with ``status``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def assert_validation(response: httpx.Response, *loc: str) -> dict[str, Any]:
    """422 ``validation_error``, every detail ``{loc, msg, type}``, one of them at ``loc``
    (e.g. ``"body", "email"``) when given; the error."""
    error = assert_error(response, 422, "validation_error")
    details = error["details"]
    assert isinstance(details, list) and details, error
    for item in details:
        assert set(item) == {"loc", "msg", "type"}, item
    if loc:
        assert [*loc] in [item["loc"] for item in details], error
    return error


def client_from(app: Any, address: str) -> httpx.AsyncClient:
    """An httpx client on the ASGI ``app`` whose requests come from ``address`` (port 40000)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


class Clients:
    """Clients opened on ASGI apps, each from its own address; :meth:`aclose` closes them all."""

    def __init__(self) -> None:
        self._opened: list[httpx.AsyncClient] = []

    def opener(self, app: Any) -> Callable[[str], httpx.AsyncClient]:
        """``open_from(address)``: a client on ``app`` whose requests come from ``address``."""

        def open_from(address: str) -> httpx.AsyncClient:
            self._opened.append(client_from(app, address))
            return self._opened[-1]

        return open_from

    async def aclose(self) -> None:
        """Close every client this opened."""
        for http in self._opened:
            await http.aclose()

"""The HTTP session: bearer tokens, one refresh on 401, and errors raised as FormaError."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from forma_client.errors import FormaError

#: seconds to wait for a connection and between bytes; a large export streams for minutes,
#: but never stays silent that long (the server sends each row group as it is written)
DEFAULT_TIMEOUT = 60.0


class Session:
    """An ``httpx.Client`` on ``base_url`` that signs every request with the access token.

    When a request answers 401 and a refresh token is known, the session exchanges it
    (``POST /v1/auth/refresh``; the refresh token works once, so the new one replaces it)
    and sends the request once more. Any other 4xx/5xx raises :class:`FormaError`.
    """

    def __init__(
        self,
        base_url: str,
        *,
        access_token: str | None = None,
        refresh_token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "forma-client"},
        )
        self.access_token = access_token
        self.refresh_token = refresh_token
        # two threads that both see a 401 must not both spend the one-use refresh token
        self._refreshing = threading.Lock()

    # ------------------------------------------------------------------ tokens

    def login(self, email: str, password: str) -> None:
        """Log in with the password grant; keeps both tokens. 401 ``invalid_credentials``."""
        response = self.http.post("/v1/auth/token", data={"username": email, "password": password})
        self._keep_tokens(response)

    def refresh(self) -> None:
        """Exchange the refresh token for new tokens (401 ``invalid_refresh_token`` when it
        is unknown, expired, revoked or already spent)."""
        if self.refresh_token is None:
            raise FormaError(401, "no_refresh_token", "no refresh token to renew the session")
        response = self.http.post("/v1/auth/refresh", json={"refresh_token": self.refresh_token})
        self._keep_tokens(response)

    def _keep_tokens(self, response: httpx.Response) -> None:
        if response.is_error:
            raise FormaError.from_response(response)
        body = response.json()
        self.access_token = body["access_token"]
        self.refresh_token = body.get("refresh_token", self.refresh_token)

    def _refresh_after_401(self, token_used: str | None) -> bool:
        """Renew the tokens once for a request signed with ``token_used``; False when there
        is nothing to renew with. Another thread may have renewed them meanwhile."""
        with self._refreshing:
            if self.access_token != token_used:
                return True
            if self.refresh_token is None:
                return False
            self.refresh()
            return True

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.access_token is not None:
            headers["Authorization"] = f"Bearer {self.access_token}"
        return headers

    # ------------------------------------------------------------------ requests

    def request(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send a request; its response when 2xx/3xx, else :class:`FormaError`."""
        for attempt in (1, 2):
            token = self.access_token
            response = self.http.request(method, path, headers=self._headers(headers), **kwargs)
            if response.status_code == 401 and attempt == 1 and self._refresh_after_401(token):
                continue
            if response.is_error:
                raise FormaError.from_response(response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON body of a successful request."""
        return self.request(method, path, **kwargs).json()

    @contextmanager
    def stream(
        self, method: str, path: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Iterator[httpx.Response]:
        """A streamed response whose body has not been read yet (2xx only; the error's
        body is read to raise :class:`FormaError`)."""
        for attempt in (1, 2):
            token = self.access_token
            with self.http.stream(
                method, path, headers=self._headers(headers), **kwargs
            ) as response:
                if response.status_code == 401 and attempt == 1:
                    response.read()
                    if self._refresh_after_401(token):
                        continue
                if response.is_error:
                    response.read()
                    raise FormaError.from_response(response)
                yield response
                return
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close the connections."""
        self.http.close()

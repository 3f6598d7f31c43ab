"""The one exception the client raises for an answer the API refused."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx


class FormaError(Exception):
    """An error answer from Forma, parsed from its ``{"error": {code, message, details}}``.

    Attributes
    ----------
    status : int
        The HTTP status (401, 403, 404, 409, 422, 429, 503, …). For a job that ended
        ``failed`` (:meth:`Forma.snapshot`, :meth:`Forma.train` with ``wait=True``) it is
        the status of the poll that reported it (200).
    code : str
        The API's stable error code, e.g. ``forbidden``, ``dataset_not_found``,
        ``validation_error``; ``http_<status>`` when the body was not Forma's error shape
        (a proxy's HTML page).
    message : str
        What went wrong, for a person.
    details : Any
        Validation items ``[{loc, msg, type}]`` for 422 (``loc`` names the parameter), or
        extra context (a failed job's whole record); often ``None``.
    retry_after : float or None
        Seconds to wait before trying again, from ``Retry-After`` (429 and 503).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"FormaError(status={self.status}, code={self.code!r}, message={self.message!r}, "
            f"details={self.details!r}, retry_after={self.retry_after!r})"
        )

    @classmethod
    def from_response(cls, response: httpx.Response) -> FormaError:
        """The error ``response`` carries; its body must have been read."""
        code, message, details = f"http_{response.status_code}", "", None
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            code = str(error.get("code") or code)
            message = str(error.get("message") or "")
            details = error.get("details")
        else:
            message = response.text[:500].strip()
        return cls(
            response.status_code,
            code,
            message or response.reason_phrase,
            details,
            retry_after=retry_after(response.headers.get("Retry-After")),
        )


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)

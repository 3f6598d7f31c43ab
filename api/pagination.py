"""Opaque keyset cursors, the page shape ``{"items": [...], "next_cursor": …}`` and the
list query parameters (page size, cursor, the ``from``/``to`` range)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query

from api.errors import Unprocessable

K = TypeVar("K")
R = TypeVar("R")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")
]
CursorQuery = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` from the previous page")
]


def from_query(description: str) -> Any:
    """The ``from`` query parameter: the first day or instant of a list's range."""
    return Query(alias="from", description=description)


def to_query(description: str) -> Any:
    """The ``to`` query parameter: the last day or instant (or the end) of a list's range."""
    return Query(alias="to", description=description)


def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor for the keyset ``values`` (JSON-serialisable)."""
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, size: int) -> list[Any]:
    """The keyset inside ``cursor``; 422 ``invalid_cursor`` when it was not made by Forma."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except ValueError as exc:
        raise Unprocessable("cursor is not valid", code="invalid_cursor") from exc
    if not isinstance(values, list) or len(values) != size or not all(map(_sane, values)):
        raise Unprocessable("cursor is not valid", code="invalid_cursor")
    return values


def read_cursor(cursor: str | None, *, size: int, parse: Callable[..., K]) -> K | None:
    """The keyset inside ``cursor`` as ``parse(*values)`` builds it; None without a cursor.

    422 ``invalid_cursor`` when the cursor is not of the shape Forma makes or ``parse`` raises
    ``ValueError`` on its values.
    """
    if not cursor:
        return None
    values = decode_cursor(cursor, size=size)
    try:
        return parse(*values)
    except ValueError as exc:
        raise Unprocessable("cursor is not valid", code="invalid_cursor") from exc


def split_page(rows: Sequence[R], limit: int) -> tuple[list[R], bool]:
    """The first ``limit`` of ``rows`` (fetched as ``limit + 1``) and whether more follow."""
    return list(rows[:limit]), len(rows) > limit


def _sane(value: Any) -> bool:
    """Cursor parts are short NUL-free strings of valid Unicode (JSON's ``\\ud800`` is a
    lone surrogate: no UTF-8, so the database would refuse it) or 64-bit integers."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if not isinstance(value, str) or len(value) > 200 or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: for a list that answered whole before it had pages: without ``limit`` it still does
LimitOrAllQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_LIMIT,
        description=f"page size, at most {MAX_LIMIT}; without it, the whole list in one page",
    ),
]


def cursor_uuid(raw: object) -> uuid.UUID:
    """A UUID part of a decoded cursor; 422 ``invalid_cursor`` when it is not one."""
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise Unprocessable("cursor is not valid", code="invalid_cursor") from exc

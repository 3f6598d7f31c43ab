"""Schema base classes and shared field types."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    field_validator,
)


def _base_types(annotation: Any) -> set[Any]:
    """The plain types inside an annotation (Optional, Union, Annotated, list unwrapped)."""
    origin = get_origin(annotation)
    if origin is None:
        return {annotation}
    if origin is Literal:
        return {type(arg) for arg in get_args(annotation)}
    out: set[Any] = set()
    for arg in get_args(annotation):
        out |= _base_types(arg)
    return out


# NUL and the other C0 controls except tab, line feed and carriage return, DEL, and
# UTF-16 surrogates (only a lone one can reach a Python str, from a JSON ``\ud800``
# escape). PostgreSQL refuses NUL in text and surrogates cannot be encoded as UTF-8,
# so either would surface as a 500; the other controls are never typed by a person.
_INVALID_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def check_text(value: str) -> str:
    """Refuse (ValueError) text holding characters no field of Forma accepts.

    One rule for every text input, JSON bodies and form fields alike.
    """
    if (bad := _INVALID_TEXT.search(value)) is not None:
        char = bad.group()
        kind = "NUL characters" if char == "\x00" else f"the character U+{ord(char):04X}"
        raise ValueError(f"must not contain {kind}")
    return value


def check_optional_text(value: str | None) -> str | None:
    """:func:`check_text` for an optional value (headers, query parameters)."""
    return None if value is None else check_text(value)


def _no_invalid_text(value: Any) -> Any:
    texts = value if isinstance(value, list | tuple) else [value]
    for text in texts:
        if isinstance(text, str):
            check_text(text)
    return value


class InputModel(BaseModel):
    """Request bodies: unknown fields, NaN, Infinity and control characters are refused (422).

    Strict: a string is not a number, ``true`` is not 1 and a number is not a date —
    a phone sending the wrong type gets told, instead of a silently converted value.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is None:
            return value
        kinds = _base_types(field.annotation)
        if isinstance(value, bool) and bool not in kinds:
            raise ValueError("must not be true or false")
        if isinstance(value, str) and kinds & {int, float} and str not in kinds:
            raise ValueError("must be a number, not a string")
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and kinds & {datetime, date}
            and not kinds & {int, float}
        ):
            raise ValueError("must be an ISO 8601 string, not a number")
        # Checked on the raw value: stripping surrounding whitespace first would quietly
        # remove a trailing U+0085 (whitespace to Python, a C1 control to Forma).
        # PostgreSQL text cannot hold NUL; refusing it here keeps it a 422, not a 500.
        return _no_invalid_text(value)


def omit_or_value(schema: dict[str, Any]) -> None:
    """Document a PATCH field that may be left out but not sent as null (no null branch)."""
    branches = schema.pop("anyOf", [])
    schema.update(next((b for b in branches if b.get("type") != "null"), {}))


class OutputModel(BaseModel):
    """Response bodies, built from table rows."""

    model_config = ConfigDict(from_attributes=True)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    # ``localtime`` is the host's zone (a link to /etc/localtime on Debian), not an IANA name:
    # its meaning would change with the machine.
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def check_time_zone(value: str) -> str:
    """Accept an IANA zone name (``Europe/Stockholm``, ``UTC``) or raise ValueError."""
    if value not in _zones():
        raise ValueError(f"unknown IANA time zone {value!r}")
    return value


TimeZoneName = Annotated[str, AfterValidator(check_text), AfterValidator(check_time_zone)]


# Pydantic's lax mode reads ``0.5`` or ``"1700000000"`` as a Unix time; the API takes
# calendar dates and times only in ISO 8601's extended form, which starts with YYYY-MM-DD.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_8601_date(value: Any) -> Any:
    if isinstance(value, date):  # already parsed (datetime is a date too)
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("must be an ISO 8601 date, e.g. 2024-05-01")
    return value


# YYYY-MM-DDTHH:MM:SS.fffffffff+HH:MM: nanoseconds at most (microseconds are kept), so a
# date-time has a bounded length, like every other field of a body (the body cap needs it).
MAX_DATETIME_CHARS = 35


def _iso_8601_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date-time, e.g. 2024-05-01T07:30:00+02:00")
    if len(value) > MAX_DATETIME_CHARS:
        raise ValueError(f"must be at most {MAX_DATETIME_CHARS} characters (nanoseconds at most)")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_8601_date)]
"""A calendar day as ``YYYY-MM-DD`` (query, path or body); numbers are refused."""

IsoDatetime = Annotated[datetime, BeforeValidator(_iso_8601_datetime)]
"""An ISO 8601 date-time string (query, path or body); numbers and Unix times are refused."""

"""Schema base classes and shared field types."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict


class InputModel(BaseModel):
    """Request bodies: unknown fields, NaN and Infinity are refused (422)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)


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


TimeZoneName = Annotated[str, AfterValidator(check_time_zone)]

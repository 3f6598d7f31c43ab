"""The real FIT files, what fitdecode alone reads from them, and FIT framing for built files.

:func:`facts` is the independent reading the parser's output is compared with: fitdecode
on its own, profile fields only. :func:`framed` frames hand-built messages with a
valid header and CRC, so that a test's expected values are the ones it encodes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import fitdecode
import pandas as pd
import pytest
from fitdecode.utils import compute_crc

from pipelines.imports.parsers.base import ImportFormatError, ParseResult
from pipelines.imports.parsers.fit import parse_fit
from tests.conftest import REAL_DATA

FIT = REAL_DATA / "fit"
FENIX2, EDGE810, EDGE800, EDGE500, STRYD, STRAVA = (
    FIT / f"{stem}.fit"
    for stem in (
        "fenix2-run-4laps",
        "edge810-ride-power-8laps",
        "edge800-indoor-trainer-no-gps",
        "edge500-ride-autopause",
        "stryd-run-developer-fields",
        "strava-android-run-malformed",
    )
)
COMPLETE = [FENIX2, EDGE810, EDGE800, EDGE500, STRYD]


@dataclass
class Facts:
    """What fitdecode alone reads from a file."""

    records: list[dict[str, Any]] = field(default_factory=list)
    record_offsets: list[int] = field(default_factory=list)
    definition_offsets: list[int] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    lap_offsets: list[int] = field(default_factory=list)
    file_id: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    message_names: set[str] = field(default_factory=set)
    error: Exception | None = None

    @property
    def times(self) -> list[datetime]:
        return [r["timestamp"] for r in self.records]


def _values(frame: Any) -> dict[str, Any]:
    """Profile fields only: the Stryd developer fields 'Distance'/'Speed' must not shadow."""
    return {
        f.name: f.value
        for f in frame.fields
        if f.value is not None and not (f.field_def is not None and f.field_def.is_dev)
    }


@cache
def facts(path: Path) -> Facts:
    """What fitdecode alone reads from ``path`` (read once per run; a decode error is kept)."""
    out = Facts()
    try:
        for frame in fitdecode.FitReader(str(path), keep_raw_chunks=True):
            if isinstance(frame, fitdecode.FitDefinitionMessage):
                out.definition_offsets.append(frame.chunk.offset)
            if not isinstance(frame, fitdecode.FitDataMessage):
                continue
            out.message_names.add(frame.name)
            if frame.name == "record":
                out.records.append(_values(frame))
                out.record_offsets.append(frame.chunk.offset)
            elif frame.name == "session":
                out.sessions.append(_values(frame))
            elif frame.name == "lap":
                out.lap_offsets.append(frame.chunk.offset)
            elif frame.name == "file_id":
                out.file_id = _values(frame)
            elif frame.name == "event":
                out.events.append(_values(frame))
    except fitdecode.FitError as exc:
        out.error = exc
    return out


@cache
def parsed(path: Path, zone: str = "UTC") -> ParseResult:
    """``path`` as the FIT parser reads it with local times in ``zone`` (once per run)."""
    return parse_fit(path.read_bytes(), time_zone=zone)


def utc(text: str) -> datetime:
    """An ISO time written without an offset, as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def warnings_of(result: ParseResult) -> list[str]:
    """Every workout's cardio warnings, in order."""
    return [w for workout in result.workouts if workout.cardio for w in workout.cardio.warnings]


def only_samples(result: ParseResult) -> pd.DataFrame:
    """The samples of the one workout read (fails the test if there is not exactly one)."""
    assert len(result.workouts) == 1
    cardio = result.workouts[0].cardio
    assert cardio is not None
    return cardio.samples


def refused(data: bytes) -> ImportFormatError:
    """The error refusing ``data`` as FIT; fails the test when the file is read."""
    with pytest.raises(ImportFormatError) as err:
        parse_fit(data, time_zone="UTC")
    return err.value


def header(size: int) -> bytes:
    """A valid 14-byte FIT header (with its CRC) announcing ``size`` bytes of data."""
    head = struct.pack("<BBHI4s", 14, 0x20, 2132, size, b".FIT")
    return head + struct.pack("<H", compute_crc(head))


def framed(*messages: bytes) -> bytes:
    """``messages`` framed as a whole FIT file: header, data, CRC."""
    body = b"".join(messages)
    content = header(len(body)) + body
    return content + struct.pack("<H", compute_crc(content))

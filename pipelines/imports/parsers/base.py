"""The one interface every import parser implements: bytes in, normalised workouts out.

A parser never touches the database. It turns a file into :class:`ParseResult`
(workouts with their sets, plus row-level errors naming the physical line) or
raises :class:`ImportFormatError` for a problem with the whole file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from models.vocabulary import SetType

Sport = Literal["run", "ride", "swim", "walk", "hike", "row", "other"]

SAMPLE_COLUMNS: tuple[str, ...] = (
    "time",  # datetime64[ns, UTC], strictly increasing after sanitising
    "lat",  # degrees, NaN when the point has no position
    "lon",
    "ele_m",  # metres
    "hr",  # bpm
    "cadence",  # rpm (ride) or steps/min (run), as the device recorded it
    "power_w",
    "speed_mps",  # as recorded by the device, NaN when absent
    "distance_m",  # cumulative, as recorded by the device, NaN when absent
    "temperature_c",
)
"""Columns of a cardio stream: one row per recorded point, NaN where a channel is absent."""
WeightUnit = Literal["kg", "lb"]
DistanceUnit = Literal["m", "km", "mi"]

ProgressCallback = Callable[[float], None]
"""Called with the fraction (0–1) of the input parsed so far."""

MAX_ERRORS = 1000
"""Row errors kept in a report (DESIGN §6: the first 1,000)."""

EARLIEST_START = datetime(1900, 1, 1, tzinfo=UTC)
"""No workout starts before this; older dates are typing or clock errors."""
FUTURE_SLACK = timedelta(hours=24)
"""How far past now a workout may start (clock skew, time zones)."""


class ImportFormatError(Exception):
    """The file as a whole cannot be imported.

    ``code`` is a stable machine-readable reason (``unsupported_format``,
    ``empty_file``, ``binary_file``, ``encoding``, ``unit_required``,
    ``no_rows``, ``malformed``, ``unsafe_xml``, ``no_points``, ``no_times``,
    ``corrupt_fit``, ``archive_too_large``, ``too_many_files``, ``corrupt_archive``,
    ``empty_archive``); ``message`` names what and where.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected record: ``line`` is the physical line where it starts (header = 1)."""

    line: int
    column: str | None
    code: str
    message: str


@dataclass(slots=True)
class ParsedSet:
    """One set, in SI units, with the unit it arrived in."""

    line: int
    exercise_name: str
    set_type: SetType = "working"
    weight_kg: float | None = None
    weight_unit: WeightUnit | None = None
    reps: int | None = None
    duration_s: float | None = None
    distance_m: float | None = None
    distance_unit: DistanceUnit | None = None
    rpe: float | None = None
    notes: str | None = None


@dataclass(slots=True)
class CardioSession:
    """A timed activity (run, ride, …) as a file recorded it.

    ``samples`` is a DataFrame with :data:`SAMPLE_COLUMNS`, already built and
    sanitised by the parser with :mod:`pipelines.imports.parsers.streams` (None when the file
    has no stream, e.g. a CSV cardio row); the summary figures are computed from it by
    ``models.sessions.streams`` in one way for every format. ``device`` keeps totals the
    device itself wrote (FIT ``session``, TCX ``Lap``), for comparison, keyed
    ``elapsed_s``, ``moving_s``, ``distance_m``, ``avg_hr``, ``max_hr``, ``avg_power_w``,
    ``elev_gain_m``. ``warnings`` say what was sanitised (dropped points, clipped
    jumps) in words a user understands.
    """

    sport: Sport
    sport_label: str | None = None
    samples: Any = None
    device: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    elapsed_s: float | None = None
    distance_m: float | None = None


@dataclass(slots=True)
class ParsedWorkout:
    """One workout: ``started_at`` is timezone-aware UTC, ``local_start`` the naive wall time."""

    line: int
    started_at: datetime
    local_start: datetime
    time_zone: str
    title: str
    ended_at: datetime | None = None
    notes: str | None = None
    sets: list[ParsedSet] = field(default_factory=list)
    written_start: datetime | None = None
    """The wall time as the file wrote it, when it differs from ``local_start`` (DST gap)."""
    session_rpe: float | None = None
    cardio: CardioSession | None = None
    source_id: str | None = None
    """A device's own identity for the activity (e.g. FIT serial + time created), if any."""

    @property
    def source_key(self) -> str:
        """Stable identity of the workout within its source: the start as written + title.

        The written time, not the normalised one, so that a time inside a DST gap
        names the same workout whatever zone the file is read in.
        """
        start = self.written_start or self.local_start
        return f"{start.isoformat(timespec='seconds')}|{self.title.strip()}"


@dataclass(slots=True)
class ParseResult:
    """What a parser read: ``rows`` data records, workouts, rejected records."""

    format: str
    rows: int
    workouts: list[ParsedWorkout]
    errors: list[RowError]
    duplicates_collapsed: int = 0
    """Whole workouts repeated inside the file and collapsed into one."""
    errors_total: int = 0
    """All row errors, including those past :data:`MAX_ERRORS`."""
    rows_rejected: int = 0
    """Records not imported: rejected ones and the other records of their workouts."""
    warnings: list[str] = field(default_factory=list)
    """What was read in a documented, lossy way (sanitised points, nominal times …)."""
    error_tally: dict[tuple[str, str | None], int] = field(default_factory=dict)
    """Every row error past and within :data:`MAX_ERRORS` by (code, column), except
    ``workout_rejected``: what a job's message counts. Empty when the parser keeps none."""

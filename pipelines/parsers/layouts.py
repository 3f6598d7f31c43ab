"""Gym-log CSV layouts as data: one :class:`Layout` table per app, read by ``gymlog.py``.

A layout says which header names hold which canonical field, how dates and numbers
are written, where units come from and how rows form workouts. Supporting a new
app (or a new locale of one) means writing a new table here, not a new parser.

Units come, strongest first, from inside the cell (``"40,00 kg"``, only when
``units_in_cells``), from a per-row unit column (``Distance Unit``), from the header
(``weight_lbs``, ``Weight (lbs)``), then from the caller; a non-zero value with none
of these stops the import with ``unit_required``. A unit inside a cell also decides
*what* the cell measures: GymBook's ``Peso / Distanza`` holds ``40,00 kg`` or
``0,55 km``, its ``Ripetizioni / Tempo`` ``20 ripetizioni`` or ``6 minuti``.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time

from pipelines.parsers import values as v
from pipelines.parsers.base import DistanceUnit, ImportFormatError, SetType, WeightUnit


class F:
    """Canonical fields a header name can map to (plain strings, used as keys)."""

    DATE = "date"
    """The workout's date, or date and time (``date_formats``)."""
    TIME = "time"
    """A per-set time of day (``time_formats``); the workout spans earliest to latest."""
    END = "end"
    """The workout's end, written like ``DATE``."""
    TITLE = "title"
    WORKOUT_NOTES = "workout_notes"
    EXERCISE = "exercise"
    SET_TYPE = "set_type"
    SET_NUMBER = "set_number"
    """Not read; its presence is why ``collapse_repeats`` is safe (see there)."""
    SUPERSET = "superset"
    """A superset id, kept as a ``superset <id>`` line in the set's notes."""
    WEIGHT = "weight"
    WEIGHT_UNIT = "weight_unit"
    REPS = "reps"
    DISTANCE = "distance"
    DISTANCE_UNIT = "distance_unit"
    DURATION = "duration"
    RPE = "rpe"
    NOTES = "notes"
    SKIPPED = "skipped"
    """A flag (``flags``) marking a planned set that was not done: not a set, not an error."""


Column = str | tuple[str, str]
"""A canonical field, or ``(field, unit)`` when the header name carries the unit."""


def _field_of(column: Column) -> str:
    return column if isinstance(column, str) else column[0]


Cells = dict[str, tuple[float, str | None, str]]
"""Measure → (value, unit label or None, the field of the column it came from)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """How one app writes its CSV export.

    ``headers`` keys are header names case-folded with whitespace collapsed; columns
    not listed are ignored. A name not listed but of the form ``Weight (kg)`` maps to
    the listed ``weight`` with the unit in parentheses. ``date_formats`` and
    ``time_formats`` use ``%d %m %y %Y %b %H %M %S`` (``%b`` in English, whatever the
    locale; see :func:`values.parse_wall_clock`); the first that fits wins. A date
    without a time and no ``F.TIME`` column starts the workout at ``nominal_time``.
    """

    name: str
    headers: Mapping[str, Column]
    required: tuple[str, ...]
    date_formats: tuple[str, ...]
    group_by: tuple[str, ...]
    """Fields whose raw text identifies a workout (one workout per distinct value)."""
    time_formats: tuple[str, ...] = ("%H:%M",)
    delimiters: tuple[str, ...] = (",", ";")
    """Tried in order; the one under which the header maps is used."""
    decimal: str = "."
    units_in_cells: bool = False
    words: Mapping[str, str] = field(default_factory=dict)
    """Localised unit words in cells → units the engine knows (``minuti`` → ``min``)."""
    set_types: Mapping[str, SetType] = field(default_factory=dict)
    """Set-type labels (case-folded) → set type; empty cell → ``working``; others rejected."""
    set_type_notes: Mapping[str, str] = field(default_factory=dict)
    """Labels whose meaning the set type loses, kept as a note on the set."""
    flags: Mapping[str, bool] = field(default_factory=dict)
    """Values of ``F.SKIPPED`` (case-folded): True = skipped. Empty = done; others rejected."""
    nominal_time: time = time(12, 0)
    default_title: str = "Workout"
    collapse_repeats: bool = False
    """Collapse a workout written k ≥ 2 times whole: only safe when rows carry a set
    number or similar, so that identical rows cannot be real repeated sets."""

    def __post_init__(self) -> None:
        """Refuse a table that could never read a file, when it is defined, not at import time."""
        for fmt in (*self.date_formats, *self.time_formats):
            v.parse_wall_clock("", fmt)  # raises ValueError on a code it does not know
        mapped = {_field_of(column) for column in self.headers.values()}
        unmapped = [key for key in (*self.required, *self.group_by) if key not in mapped]
        if unmapped or self.decimal not in (".", ",") or F.DATE not in self.required:
            raise ValueError(
                f"layout {self.name!r}: fields {unmapped} have no header, "
                "or the decimal is not '.' or ',', or DATE is not required"
            )


HEVY = Layout(
    name="hevy",
    headers={
        "title": F.TITLE,
        "start_time": F.DATE,
        "end_time": F.END,
        "description": F.WORKOUT_NOTES,
        "exercise_title": F.EXERCISE,
        "superset_id": F.SUPERSET,
        "exercise_notes": F.NOTES,
        "set_index": F.SET_NUMBER,
        "set_type": F.SET_TYPE,
        "weight_kg": (F.WEIGHT, "kg"),
        "weight_lbs": (F.WEIGHT, "lb"),
        "reps": F.REPS,
        "distance_km": (F.DISTANCE, "km"),
        "distance_miles": (F.DISTANCE, "mi"),
        "duration_seconds": (F.DURATION, "s"),
        "rpe": F.RPE,
    },
    required=(F.TITLE, F.DATE, F.EXERCISE, F.SET_TYPE, F.WEIGHT, F.REPS),
    # "7 Apr 2026, 10:14" in both real exports; other locales fail with invalid_date.
    date_formats=("%d %b %Y, %H:%M",),
    group_by=(F.TITLE, F.DATE),
    set_types={"normal": "working", "warmup": "warmup", "dropset": "dropset", "failure": "failure"},
    default_title="Hevy workout",
    # set_index numbers each exercise's sets, so a whole repeat is an export artefact.
    collapse_repeats=True,
)

FITNOTES = Layout(
    name="fitnotes",
    headers={
        "date": F.DATE,
        "exercise": F.EXERCISE,
        "weight (lbs)": (F.WEIGHT, "lb"),
        "weight (kgs)": (F.WEIGHT, "kg"),
        "weight": F.WEIGHT,
        "weight unit": F.WEIGHT_UNIT,
        "reps": F.REPS,
        "distance": F.DISTANCE,
        "distance unit": F.DISTANCE_UNIT,
        "time": F.DURATION,  # H:MM:SS
        "comment": F.NOTES,
    },
    required=(F.DATE, F.EXERCISE, F.WEIGHT, F.REPS),
    # Dates only: one workout per day, at a nominal local noon (never in a DST gap,
    # never ambiguous, and the local day stays the day the athlete wrote).
    date_formats=("%Y-%m-%d",),
    group_by=(F.DATE,),
    nominal_time=time(12, 0),
    default_title="FitNotes workout",
    # No set number: identical consecutive rows are real repeated sets.
    collapse_repeats=False,
)

GYMBOOK_IT = Layout(
    name="gymbook",
    headers={
        "data": F.DATE,
        "programma": F.TITLE,
        "orario": F.TIME,
        "esercizio": F.EXERCISE,
        "set / set di riscaldamento / set di defaticamento": F.SET_TYPE,
        "ripetizioni / tempo": F.REPS,  # "20 ripetizioni", "6 minuti", "60 secondi"
        "peso / distanza": F.WEIGHT,  # "40,00 kg", "0,55 km"
        "appunti": F.NOTES,
        "saltato": F.SKIPPED,
    },
    required=(F.DATE, F.TIME, F.EXERCISE, F.REPS, F.WEIGHT),
    date_formats=("%d/%m/%y",),
    time_formats=("%H:%M",),
    group_by=(F.DATE, F.TITLE),
    decimal=",",
    units_in_cells=True,
    words={
        "ripetizioni": "reps",
        "ripetizione": "reps",
        "secondi": "s",
        "secondo": "s",
        "minuti": "min",
        "minuto": "min",
        "ore": "h",
        "ora": "h",
    },
    set_types={
        "set": "working",
        "set di riscaldamento": "warmup",
        # A cool-down set is not working volume; like a warm-up it never counts
        # towards e1RM or volume load. The label is kept in the set's notes.
        "set di defaticamento": "warmup",
    },
    set_type_notes={"set di defaticamento": "cool-down set"},
    flags={"si": True, "sì": True, "no": False},
    default_title="GymBook workout",
    # Identical rows (same minute, same load) occur in the real file and are real sets.
    collapse_repeats=False,
)

LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (HEVY, FITNOTES, GYMBOOK_IT)}
"""Every known layout by name, in the order :func:`gymlog.sniff` tries them."""


@dataclass(frozen=True, slots=True)
class Columns:
    """A layout bound to one file's header: field → column, and the header's units."""

    layout: Layout
    delimiter: str
    width: int
    index: dict[str, int]
    labels: dict[str, str]
    """Field → the header name as written, for messages."""
    weight_unit: WeightUnit | None = None
    distance_unit: DistanceUnit | None = None
    seconds_per_unit: float | None = None
    """A bare number in the duration column times this is seconds (``duration_seconds``)."""

    def field(self, record: list[str], key: str) -> str:
        """The raw text of field ``key`` in ``record`` ("" when the file has no such column)."""
        index = self.index.get(key)
        return record[index] if index is not None else ""

    def issue(self, key: str, code: str, message: str) -> v.ValueIssue:
        """A ``ValueIssue`` naming the column of ``key`` as the file spells it."""
        return v.ValueIssue(code, message, self.labels.get(key, key))

    def cells(self, record: list[str]) -> Cells:
        """What the measure cells of a record hold, by what they measure.

        A unit inside a cell decides what it measures (``"0,55 km"`` in a weight column
        is a distance); durations come back in seconds.

        Raises
        ------
        ValueIssue
            ``invalid_number``, ``not_finite``, ``invalid_unit``, ``invalid_duration``,
            or ``conflicting_values`` when two cells give the same measure.
        """
        found: Cells = {}
        for key in (F.WEIGHT, F.REPS, F.DISTANCE, F.DURATION):
            text = self.field(record, key)
            if not text.strip():
                continue
            target, value, unit = self._cell(key, text)
            if value is None:
                continue
            if target in found:
                first = self.labels[found[target][2]]
                message = f"both {first!r} and {self.labels[key]!r} give a {target}"
                raise self.issue(key, "conflicting_values", message)
            found[target] = (value, unit, key)
        return found

    def _cell(self, key: str, text: str) -> tuple[str, float | None, str | None]:
        if key == F.DURATION and ":" in text:  # a clock, H:MM:SS
            seconds = v.parse_duration(text)
            if seconds is None:
                raise self.issue(key, "invalid_duration", f"{text!r} is not a duration H:MM:SS")
            return key, seconds, None
        try:
            if self.layout.units_in_cells:
                value, word = v.split_quantity(text, self.layout.decimal)
            else:
                value, word = v.parse_decimal(text, self.layout.decimal), None
        except v.ValueIssue as issue:
            raise self.issue(key, issue.code, issue.message) from None
        if word is None:
            if key == F.DURATION and value is not None:
                if self.seconds_per_unit is None:
                    message = f"{text!r} has no unit: expected a duration H:MM:SS"
                    raise self.issue(key, "invalid_duration", message)
                return key, value * self.seconds_per_unit, None
            return key, value, None
        kind, unit, seconds = v.unit_kind(self.layout.words.get(word, word))
        if not kind:
            raise self.issue(key, "invalid_unit", f"{word!r} in {text!r} is not a known unit")
        return kind, value * seconds if kind == F.DURATION and value is not None else value, unit


def bind(layout: Layout, text: str) -> Columns:
    """Bind ``layout`` to the header on line 1 of ``text``, trying its delimiters in order.

    Raises
    ------
    ImportFormatError
        ``unsupported_format``, naming the missing columns, unknown header units or
        two columns for one field (for the delimiter that splits the header most).
    """
    first_line = text.split("\n", 1)[0].rstrip("\r")
    diagnostics: list[tuple[int, list[str]]] = []
    for delimiter in layout.delimiters:
        names = next(csv.reader([first_line], delimiter=delimiter), [])
        columns, problems = _bind(layout, names, delimiter)
        if columns is not None:
            return columns
        diagnostics.append((len(names), problems))
    _, problems = max(diagnostics, key=lambda item: item[0], default=(0, ["no columns"]))
    raise ImportFormatError(
        "unsupported_format",
        f"not a {layout.name} CSV export: the header (line 1) has " + " and ".join(problems),
    )


def _bind(layout: Layout, names: list[str], delimiter: str) -> tuple[Columns | None, list[str]]:
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    units: dict[str, str] = {}
    problems: list[str] = []
    for position, raw in enumerate(names):
        label = raw.strip().strip('"').removeprefix("\ufeff").strip()
        column = layout.headers.get(" ".join(label.split()).casefold())
        if column is None:  # "Weight (kg)" for a listed "weight"
            bare, unit = v.split_header_name(label)
            listed = layout.headers.get(bare)
            if unit is not None and listed in (F.WEIGHT, F.DISTANCE, F.DURATION):
                column = (_field_of(listed), unit)
        if column is None:
            continue
        key, unit = (column, None) if isinstance(column, str) else column
        if key in index:
            problems.append(f"two columns for {key} ({labels[key]!r} and {label!r})")
            continue
        index[key], labels[key] = position, label
        if unit is not None:
            units[key] = unit
    weight_unit = v.weight_unit_of(units.get(F.WEIGHT, ""))
    distance_unit = v.distance_unit_of(units.get(F.DISTANCE, ""))
    seconds = v.parse_duration("1" + units[F.DURATION]) if F.DURATION in units else None
    for key, known in ((F.WEIGHT, weight_unit), (F.DISTANCE, distance_unit), (F.DURATION, seconds)):
        if key in units and known is None:
            problems.append(f"an unknown unit in column {labels[key]!r}")
    missing = [key for key in layout.required if key not in index]
    if missing:
        headers = layout.headers.items()
        expected = [" or ".join(n for n, c in headers if _field_of(c) == k) for k in missing]
        problems.append("no column " + ", ".join(expected))
    if problems:
        return None, problems
    return Columns(
        layout, delimiter, len(names), index, labels, weight_unit, distance_unit, seconds
    ), []

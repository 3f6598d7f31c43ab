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
import io
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from typing import Literal

from pipelines.parsers import dates
from pipelines.parsers import values as v
from pipelines.parsers.base import DistanceUnit, ImportFormatError, SetType, WeightUnit
from pipelines.parsers.numbers import NumberStyle


class F:
    """Canonical fields a header name can map to (plain strings, used as keys)."""

    DATE = "date"
    """The workout's date, or date and time, in the phone's locale (see :mod:`dates`)."""
    TIME = "time"
    """A per-set time of day; the workout spans earliest to latest."""
    WORKOUT_NO = "workout_no"
    """A workout number (Strong 6 ``Workout #``): part of the workout's identity."""
    WORKOUT_DURATION = "workout_duration"
    """The workout's length (``1h 6m``, ``55s``, or bare seconds with a ``(sec)`` header)."""
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

    ``headers`` keys are header names as the app writes them, matched case-insensitively
    with whitespace collapsed; columns not listed are ignored. A name not listed but of
    the form ``Weight (kg)`` maps to
    the listed ``weight`` with the unit in parentheses. Dates and numbers are written
    in the phone's locale and read with one format per file (:mod:`dates`,
    :mod:`numbers`). A date without a time and no ``F.TIME`` column starts the workout
    at ``nominal_time``.
    """

    name: str
    headers: Mapping[str, Column]
    required: tuple[str, ...]
    group_by: tuple[str, ...]
    """Fields whose raw text identifies a workout (one workout per distinct value)."""
    delimiters: tuple[str, ...] = (",", ";")
    """Tried in order; the one under which the header maps is used."""
    decimal: str | None = None
    """The decimal separator of a file whose cells show none (see :mod:`numbers`)."""
    locale: str | None = None
    """The CLDR locale the layout's headers are written in, when they fix one."""
    units_in_cells: bool = False
    words: Mapping[str, str] = field(default_factory=dict)
    """Localised unit words in cells → units the engine knows (``minuti`` → ``min``)."""
    set_types: Mapping[str, SetType] = field(default_factory=dict)
    """Set-type labels (case-folded) → set type; empty cell → ``working``; others rejected."""
    set_type_notes: Mapping[str, str] = field(default_factory=dict)
    """Labels whose meaning the set type loses, kept as a note on the set."""
    compact_set_types: bool = False
    """Compare set-type labels without spaces, ``_`` and ``-`` (``WARM_UP`` = ``warmup``)."""
    set_numbers: bool = False
    """A numeric set-type label is the set's number: a working set."""
    rest_labels: frozenset[str] = frozenset()
    """Set-type labels of rows that are not sets (Strong's rest timers)."""
    unlabelled_rest: bool = False
    """Any other non-numeric label on a row without weight, reps or distance is a rest
    row too (a translated rest-timer label looks like that); with a load it is rejected."""
    flags: Mapping[str, bool] = field(default_factory=dict)
    """Values of ``F.SKIPPED`` (case-folded): True = skipped. Empty = done; others rejected."""
    nominal_time: time = time(12, 0)
    default_title: str = "Workout"
    collapse_repeats: Literal["never", "always", "numbered"] = "never"
    """Collapse a workout written k ≥ 2 times whole: ``always`` only where rows carry a set
    number or similar, so that identical rows cannot be real repeated sets; ``numbered``
    when the copy holds a set numbered in ``F.SET_TYPE``."""
    positional: tuple[tuple[str, ...], ...] = ()
    """Column orders, as English header names, of exports whose header is translated:
    used by position only when no header name is known and the first row fits."""

    lookup: Mapping[str, Column] = field(init=False, repr=False, compare=False)
    """``headers`` by case-folded name, whitespace collapsed."""

    def __post_init__(self) -> None:
        """Refuse a table that could never read a file, when it is defined, not at import time."""
        folded = {" ".join(name.split()).casefold(): c for name, c in self.headers.items()}
        object.__setattr__(self, "lookup", folded)
        mapped = {_field_of(column) for column in self.headers.values()}
        unmapped = [key for key in (*self.required, *self.group_by) if key not in mapped]
        unknown = [n for order in self.positional for n in order if n.casefold() not in folded]
        if (
            unmapped
            or unknown
            or self.decimal not in (None, ".", ",")
            or F.DATE not in self.required
        ):
            raise ValueError(
                f"layout {self.name!r}: fields {unmapped} have no header, positional names "
                f"{unknown} are not headers, the decimal is not '.' or ',', "
                "or DATE is not required"
            )

    def set_type_key(self, label: str) -> str:
        """A set-type label as the tables spell it."""
        key = " ".join(label.split()).casefold()
        return "".join(c for c in key if c not in " _-") if self.compact_set_types else key


_STRONG_CLASSIC = (
    "Date", "Workout Name", "Duration", "Exercise Name", "Set Order", "Weight", "Reps",
    "Distance", "Seconds", "Notes", "Workout Notes", "RPE",
)  # fmt: skip
_STRONG_UNIT_COLUMNS = (
    "Date", "Workout Name", "Exercise Name", "Set Order", "Weight", "Weight Unit", "Reps",
    "RPE", "Distance", "Distance Unit", "Seconds", "Notes", "Workout Notes",
)  # fmt: skip
_STRONG_6 = (
    "Workout #", "Date", "Workout Name", "Duration (sec)", "Exercise Name", "Set Order",
    "Weight", "Reps", "RPE", "Distance", "Seconds", "Notes", "Workout Notes",
)  # fmt: skip

STRONG = Layout(
    name="strong",
    # Classic (12 columns), 2018–20 (13, per-row units) and Strong 6 (13 from
    # "Workout #", units in the header: "Weight (kg)", "Distance (meters)", "Duration (sec)").
    headers={
        "Workout #": F.WORKOUT_NO,
        "Date": F.DATE,
        "Workout Name": F.TITLE,
        "Duration": F.WORKOUT_DURATION,
        "Duration (sec)": (F.WORKOUT_DURATION, "s"),
        "Exercise Name": F.EXERCISE,
        "Set Order": F.SET_TYPE,
        "Weight": F.WEIGHT,
        "Weight Unit": F.WEIGHT_UNIT,
        "Reps": F.REPS,
        "Distance": F.DISTANCE,
        "Distance Unit": F.DISTANCE_UNIT,
        "Seconds": (F.DURATION, "s"),
        "Notes": F.NOTES,
        "Workout Notes": F.WORKOUT_NOTES,
        "RPE": F.RPE,
    },
    required=(F.DATE, F.TITLE, F.EXERCISE, F.SET_TYPE, F.WEIGHT, F.REPS),
    group_by=(F.WORKOUT_NO, F.DATE, F.TITLE),
    delimiters=(",", ";", "\t"),
    set_types={
        "w": "warmup",
        "warmup": "warmup",
        "d": "dropset",
        "dropset": "dropset",
        "f": "failure",
        "failure": "failure",
    },
    compact_set_types=True,
    set_numbers=True,
    rest_labels=frozenset({"resttimer"}),
    unlabelled_rest=True,
    default_title="",
    # Strong numbers an exercise's sets 1, 2, 3, so a repeated number cannot be real,
    # while two identical unnumbered warm-up rows can be.
    collapse_repeats="numbered",
    positional=(_STRONG_CLASSIC, _STRONG_UNIT_COLUMNS, _STRONG_6),
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
    group_by=(F.TITLE, F.DATE),
    set_types={"normal": "working", "warmup": "warmup", "dropset": "dropset", "failure": "failure"},
    default_title="Hevy workout",
    # set_index numbers each exercise's sets, so a whole repeat is an export artefact.
    collapse_repeats="always",
)

FITNOTES = Layout(
    name="fitnotes",
    headers={
        "Date": F.DATE,
        "Exercise": F.EXERCISE,
        "Weight (lbs)": (F.WEIGHT, "lb"),
        "Weight (kgs)": (F.WEIGHT, "kg"),
        "Weight": F.WEIGHT,
        "Weight Unit": F.WEIGHT_UNIT,
        "Reps": F.REPS,
        "Distance": F.DISTANCE,
        "Distance Unit": F.DISTANCE_UNIT,
        "Time": F.DURATION,  # H:MM:SS
        "Comment": F.NOTES,
    },
    required=(F.DATE, F.EXERCISE, F.WEIGHT, F.REPS),
    # Dates only: one workout per day, at a nominal local noon (never in a DST gap,
    # never ambiguous, and the local day stays the day the athlete wrote).
    group_by=(F.DATE,),
    nominal_time=time(12, 0),
    default_title="FitNotes workout",
    # No set number: identical consecutive rows are real repeated sets.
)

GYMBOOK_IT = Layout(
    name="gymbook",
    headers={
        "Data": F.DATE,
        "Programma": F.TITLE,
        "Orario": F.TIME,
        "Esercizio": F.EXERCISE,
        "Set / Set di riscaldamento / Set di defaticamento": F.SET_TYPE,
        "Ripetizioni / Tempo": F.REPS,  # "20 ripetizioni", "6 minuti", "60 secondi"
        "Peso / Distanza": F.WEIGHT,  # "40,00 kg", "0,55 km"
        "Appunti": F.NOTES,
        "Saltato": F.SKIPPED,
    },
    required=(F.DATE, F.TIME, F.EXERCISE, F.REPS, F.WEIGHT),
    group_by=(F.DATE, F.TITLE),
    decimal=",",
    locale="it",
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
)

LAYOUTS: dict[str, Layout] = {
    layout.name: layout for layout in (STRONG, HEVY, FITNOTES, GYMBOOK_IT)
}
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
    workout_seconds: float | None = None
    """The same for the workout's duration (Strong 6 ``Duration (sec)``)."""

    def field(self, record: list[str], key: str) -> str:
        """The raw text of field ``key`` in ``record`` ("" when the file has no such column)."""
        index = self.index.get(key)
        return record[index] if index is not None else ""

    def issue(self, key: str, code: str, message: str) -> v.ValueIssue:
        """A ``ValueIssue`` naming the column of ``key`` as the file spells it."""
        return v.ValueIssue(code, message, self.labels.get(key, key))

    def cells(self, record: list[str], style: NumberStyle) -> Cells:
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
            target, value, unit = self._cell(key, text, style)
            if value is None:
                continue
            if target in found:
                first = self.labels[found[target][2]]
                message = f"both {first!r} and {self.labels[key]!r} give a {target}"
                raise self.issue(key, "conflicting_values", message)
            found[target] = (value, unit, key)
        return found

    def _cell(
        self, key: str, text: str, style: NumberStyle
    ) -> tuple[str, float | None, str | None]:
        if key == F.DURATION and ":" in text:  # a clock, H:MM:SS
            seconds = v.parse_duration(text)
            if seconds is None:
                raise self.issue(key, "invalid_duration", f"{text!r} is not a duration H:MM:SS")
            return key, seconds, None
        try:
            # Counts and seconds may be grouped ("1,500"); a weight never is (numbers.py).
            grouping = key in (F.REPS, F.DURATION, F.DISTANCE)
            if self.layout.units_in_cells:
                value, word = v.split_quantity(text, style, grouping=grouping)
            else:
                value, word = style.parse(text, grouping=grouping), None
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
    translated: list[tuple[str, list[str]]] = []
    for delimiter in layout.delimiters:
        try:
            names = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            continue
        columns, problems = _bind(layout, names, delimiter)
        if columns is not None:
            return columns
        diagnostics.append((len(names), problems))
        # Only a header with no known name (RPE is the same in every language) may be
        # read by position: a known one that misses columns is not this app's.
        if layout.positional and all(_known(layout, n) in (None, F.RPE) for n in names):
            translated.append((delimiter, names))
    for delimiter, names in translated:
        columns = _positional(layout, names, _first_record(text, delimiter), delimiter)
        if columns is not None:
            return columns
    _, problems = max(diagnostics, key=lambda item: item[0], default=(0, ["no columns"]))
    raise ImportFormatError(
        "unsupported_format",
        f"not a {layout.name} CSV export: the header (line 1) has " + " and ".join(problems),
    )


def _known(layout: Layout, raw: str) -> str | None:
    column = layout.lookup.get(v.split_header_name(raw)[0])
    return None if column is None else _field_of(column)


def _first_record(text: str, delimiter: str) -> list[str] | None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        next(reader, None)
        return next((record for record in reader if any(f.strip() for f in record)), None)
    except csv.Error:
        return None


def _looks_numeric(text: str) -> bool:
    for style in (NumberStyle("."), NumberStyle(",")):
        try:
            style.parse(text)
        except v.ValueIssue:
            continue
        return True
    return False


def _positional(
    layout: Layout, names: list[str], first: list[str] | None, delimiter: str
) -> Columns | None:
    """A translated header read by one of the layout's column orders, if the first row fits."""
    if first is None or len(first) != len(names):
        return None
    for order in layout.positional:
        if len(order) != len(names):
            continue
        bound, _ = _bind(layout, list(order), delimiter)
        if bound is None:
            continue
        cell = {key: first[i] for key, i in bound.index.items()}
        try:
            if dates.detect([cell[F.DATE]], column="").read(cell[F.DATE]) is None:
                continue
        except ImportFormatError:  # a date, in more than one order
            pass
        if F.WORKOUT_NO in cell and not cell[F.WORKOUT_NO].strip().isdigit():
            continue
        if not (_looks_numeric(cell[F.WEIGHT]) and _looks_numeric(cell[F.REPS])):
            continue
        labels = {
            key: f"{names[i].strip()} ({bound.labels[key]})" for key, i in bound.index.items()
        }
        # A translated header's units are not read: values take the caller's units.
        return Columns(
            layout, delimiter, len(names), bound.index, labels,
            seconds_per_unit=bound.seconds_per_unit, workout_seconds=bound.workout_seconds,
        )  # fmt: skip
    return None


def _bind(layout: Layout, names: list[str], delimiter: str) -> tuple[Columns | None, list[str]]:
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    units: dict[str, str] = {}
    problems: list[str] = []
    for position, raw in enumerate(names):
        label = raw.strip().strip('"').removeprefix("\ufeff").strip()
        column = layout.lookup.get(" ".join(label.split()).casefold())
        if column is None:  # "Weight (kg)" for a listed "weight"
            bare, unit = v.split_header_name(label)
            listed = layout.lookup.get(bare)
            if unit is not None and listed in _MEASURES:
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
    whole = F.WORKOUT_DURATION
    workout_seconds = v.parse_duration("1" + units[whole]) if whole in units else None
    for key, known in (
        (F.WEIGHT, weight_unit),
        (F.DISTANCE, distance_unit),
        (F.DURATION, seconds),
        (whole, workout_seconds),
    ):
        if key in units and known is None:
            problems.append(f"an unknown unit in column {labels[key]!r}")
    missing = [key for key in layout.required if key not in index]
    if missing:
        headers = layout.headers.items()
        expected = [" or ".join(n for n, c in headers if _field_of(c) == k) for k in missing]
        problems.append("no column " + ", ".join(expected))
    if problems:
        return None, problems
    columns = Columns(layout, delimiter, len(names), index, labels, weight_unit, distance_unit)
    return replace(columns, seconds_per_unit=seconds, workout_seconds=workout_seconds), []


_MEASURES = (F.WEIGHT, F.DISTANCE, F.DURATION, F.WORKOUT_DURATION)

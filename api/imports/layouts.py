"""Gym-app CSV layouts as data: one :class:`Layout` table per app.

Read by the format detector (:mod:`api.imports.formats`, for the upload check and the
worker alike) and by the CSV reader of ``pipelines`` (which binds a table to a file's
header and reads its rows).

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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Literal

from models.vocabulary import SetType


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


def field_of(column: Column) -> str:
    """The canonical field of a header table entry."""
    return column if isinstance(column, str) else column[0]


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
        mapped = {field_of(column) for column in self.headers.values()}
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
"""Every known layout by name, in the order the detector tries them."""


_HEADER_UNIT = re.compile(r"(.*?)\s*\(\s*([^()]*?)\s*\)")
MEASURES = ("weight", "distance", "duration", "workout_duration")
"""Fields whose header may carry a unit in parentheses (``Weight (kg)``)."""


def split_header_name(raw: str) -> tuple[str, str | None]:
    """Normalise a CSV header name and split off a unit in parentheses.

    ``' "Weight (kg)" '`` gives ``("weight", "kg")``; ``"Workout  #"`` gives
    ``("workout #", None)``. Names are case-folded with whitespace collapsed.
    """
    name = " ".join(raw.strip().strip('"').split()).casefold()
    match = _HEADER_UNIT.fullmatch(name)
    if match is None:
        return name, None
    return match.group(1), match.group(2)


@dataclass(frozen=True, slots=True)
class HeaderMap:
    """A layout's fields found in one header: field → position, label and header unit."""

    index: dict[str, int]
    labels: dict[str, str]
    """Field → the header name as written, for messages."""
    units: dict[str, str]
    """Field → the unit label its header gives (``kg`` of ``Weight (kg)``)."""
    problems: list[str]
    """Why the header is not this layout's (missing or doubled columns); empty if it is."""


def map_header(layout: Layout, names: Sequence[str]) -> HeaderMap:
    """Which of ``layout``'s fields the header ``names`` holds, by name.

    A name the table does not list but of the form ``Weight (kg)`` maps to the listed
    ``weight`` with its unit. ``problems`` names required fields with no column and
    fields with two.
    """
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    units: dict[str, str] = {}
    problems: list[str] = []
    for position, raw in enumerate(names):
        label = raw.strip().strip('"').removeprefix("\ufeff").strip()
        column = layout.lookup.get(" ".join(label.split()).casefold())
        if column is None:
            bare, unit = split_header_name(label)
            listed = layout.lookup.get(bare)
            if unit is not None and listed in MEASURES:
                column = (field_of(listed), unit)
        if column is None:
            continue
        key, unit = (column, None) if isinstance(column, str) else column
        if key in index:
            problems.append(f"two columns for {key} ({labels[key]!r} and {label!r})")
            continue
        index[key], labels[key] = position, label
        if unit is not None:
            units[key] = unit
    missing = [key for key in layout.required if key not in index]
    if missing:
        headers = layout.headers.items()
        expected = [" or ".join(n for n, c in headers if field_of(c) == k) for k in missing]
        problems.append("no column " + ", ".join(expected))
    return HeaderMap(index, labels, units, problems)


def known_field(layout: Layout, raw: str) -> str | None:
    """The field a header name maps to in ``layout``, else None."""
    column = layout.lookup.get(split_header_name(raw)[0])
    return None if column is None else field_of(column)


def translated(layout: Layout, names: Sequence[str]) -> bool:
    """Whether a header may be this layout's in another language: it has a positional
    order of its width and no name the table knows (``RPE`` is the same everywhere)."""
    return any(len(order) == len(names) for order in layout.positional) and all(
        known_field(layout, name) in (None, F.RPE) for name in names
    )

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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time

from pipelines.parsers.base import SetType

# Canonical fields a header name can map to.
DATE = "date"
"""The workout's date, or date and time (``date_formats``)."""
TIME = "time"
"""A per-set time of day (``time_formats``); the workout starts at the earliest one."""
END = "end"
"""The workout's end, written like ``DATE``."""
TITLE = "title"
WORKOUT_NOTES = "workout_notes"
EXERCISE = "exercise"
SET_TYPE = "set_type"
SET_NUMBER = "set_number"
"""Only read to know that repeated rows cannot be real sets (see ``collapse_repeats``)."""
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


@dataclass(frozen=True, slots=True)
class Layout:
    """How one app writes its CSV export.

    ``headers`` keys are header names case-folded with whitespace collapsed; columns
    not listed are ignored. A name not listed but of the form ``Weight (kg)`` maps to
    the listed ``weight`` with the unit in parentheses. ``date_formats`` and
    ``time_formats`` use ``%d %m %y %Y %b %H %M %S`` (``%b`` in English, whatever the
    locale; see :func:`values.parse_wall_clock`); the first that fits wins. A date
    without a time and no ``TIME`` column starts the workout at ``nominal_time``.
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
    """Values of ``SKIPPED`` (case-folded): True = skipped. Empty = done; others rejected."""
    nominal_time: time = time(12, 0)
    default_title: str = "Workout"
    collapse_repeats: bool = False
    """Collapse a workout written k ≥ 2 times whole: only safe when rows carry a set
    number or similar, so that identical rows cannot be real repeated sets."""


HEVY = Layout(
    name="hevy",
    headers={
        "title": TITLE,
        "start_time": DATE,
        "end_time": END,
        "description": WORKOUT_NOTES,
        "exercise_title": EXERCISE,
        "superset_id": SUPERSET,
        "exercise_notes": NOTES,
        "set_index": SET_NUMBER,
        "set_type": SET_TYPE,
        "weight_kg": (WEIGHT, "kg"),
        "weight_lbs": (WEIGHT, "lb"),
        "reps": REPS,
        "distance_km": (DISTANCE, "km"),
        "distance_miles": (DISTANCE, "mi"),
        "duration_seconds": (DURATION, "s"),
        "rpe": RPE,
    },
    required=(TITLE, DATE, EXERCISE, SET_TYPE, WEIGHT, REPS),
    # "7 Apr 2026, 10:14" in both real exports; other locales fail with invalid_date.
    date_formats=("%d %b %Y, %H:%M",),
    group_by=(TITLE, DATE),
    set_types={"normal": "working", "warmup": "warmup", "dropset": "dropset", "failure": "failure"},
    default_title="Hevy workout",
    # set_index numbers each exercise's sets, so a whole repeat is an export artefact.
    collapse_repeats=True,
)

FITNOTES = Layout(
    name="fitnotes",
    headers={
        "date": DATE,
        "exercise": EXERCISE,
        "weight (lbs)": (WEIGHT, "lb"),
        "weight (kgs)": (WEIGHT, "kg"),
        "weight": WEIGHT,
        "weight unit": WEIGHT_UNIT,
        "reps": REPS,
        "distance": DISTANCE,
        "distance unit": DISTANCE_UNIT,
        "time": DURATION,  # H:MM:SS
        "comment": NOTES,
    },
    required=(DATE, EXERCISE, WEIGHT, REPS),
    # Dates only: one workout per day, at a nominal local noon (never in a DST gap,
    # never ambiguous, and the local day stays the day the athlete wrote).
    date_formats=("%Y-%m-%d",),
    group_by=(DATE,),
    nominal_time=time(12, 0),
    default_title="FitNotes workout",
    # No set number: identical consecutive rows are real repeated sets.
    collapse_repeats=False,
)

GYMBOOK_IT = Layout(
    name="gymbook",
    headers={
        "data": DATE,
        "programma": TITLE,
        "orario": TIME,
        "esercizio": EXERCISE,
        "set / set di riscaldamento / set di defaticamento": SET_TYPE,
        "ripetizioni / tempo": REPS,  # "20 ripetizioni", "6 minuti", "60 secondi"
        "peso / distanza": WEIGHT,  # "40,00 kg", "0,55 km"
        "appunti": NOTES,
        "saltato": SKIPPED,
    },
    required=(DATE, TIME, EXERCISE, REPS, WEIGHT),
    date_formats=("%d/%m/%y",),
    time_formats=("%H:%M",),
    group_by=(DATE, TITLE),
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

"""Synthetic gym-app CSV exports in a phone's locale, with the workouts they must import as.

A :class:`Plan` is the training itself (wall-clock starts, sets in kg). The builders
(:func:`hevy_csv`, :func:`fitnotes_csv`, :func:`strong6_csv`, :func:`strong_classic_csv`)
render it the way each app writes its export: through babel (``format_datetime``,
``format_decimal``) where the app follows CLDR, and in the app's own spelling where it
does not (Hevy drops CLDR's trailing dots, capitalises month abbreviations and writes
``PM`` after a plain space, not CLDR's narrow no-break space).

The real exports (under :data:`REAL_DATA`) and the hand-written rows of
:mod:`tests.support.csv_rows` are read with :func:`read_csv`.

What an import must store, :class:`Expected`, is computed from the plan alone — never
from the rendered text — so a test comparing the two checks the importer, not the
builder. Formats are those of the documented headers; no real export is copied.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from babel.numbers import format_decimal

from api.imports.formats import detect_format
from api.imports.layouts import LAYOUTS, Layout
from pipelines.imports.parsers.base import (
    DistanceUnit,
    ImportFormatError,
    ParsedSet,
    ParseResult,
    WeightUnit,
)
from pipelines.imports.parsers.csv_export import parse_csv
from tests.conftest import REAL_DATA


@dataclass(frozen=True, slots=True)
class PlannedSet:
    """One set as done: exercise name as the app spells it, load in kg, reps, RPE."""

    exercise: str
    weight_kg: float
    reps: int
    rpe: float | None = None


@dataclass(frozen=True, slots=True)
class PlannedWorkout:
    """One workout: title, wall-clock start in the athlete's zone, length, sets in order."""

    title: str
    start: datetime
    minutes: int
    sets: tuple[PlannedSet, ...]


@dataclass(frozen=True, slots=True)
class ExpectedWorkout:
    """A workout as ``GET /v1/workouts/{id}`` must show it (times in UTC)."""

    started_at: datetime
    ended_at: datetime | None
    sets: tuple[tuple[float, int], ...]
    """(weight_kg, reps) in order."""


@dataclass(frozen=True, slots=True)
class Export:
    """A rendered export and what importing it must give."""

    filename: str
    content: bytes
    rows: int
    """Data records in the file (one per set)."""
    expected: tuple[ExpectedWorkout, ...]
    """Oldest first."""
    form: dict[str, str] = field(default_factory=dict)
    """Form fields the upload needs besides the file (``weight_unit`` for classic Strong)."""

    @property
    def sets(self) -> int:
        """Sets the import must create."""
        return sum(len(workout.sets) for workout in self.expected)


#: exercise name → (FitNotes category, base load in kg); names with a comma test recovery
EXERCISES: dict[str, tuple[str, float]] = {
    "Bench Press (Barbell)": ("Chest", 60.0),
    "Squat (Barbell)": ("Legs", 80.0),
    "Lateral Raise (Single Arm, Cable)": ("Shoulders", 7.5),
    "Bent Over Row (Barbell)": ("Back", 50.0),
}
DEFAULT_LOAD = 20.0
_HOURS = (6, 12, 19, 0, 23, 7)
"""Start hours cycled through: morning, noon (12 PM), evening, midnight (12 AM), late."""


def training_plan(
    days: Sequence[date],
    *,
    exercises: Sequence[str] = tuple(EXERCISES),
    sets_per_exercise: int = 2,
) -> tuple[PlannedWorkout, ...]:
    """Deterministic synthetic training, one workout on each of ``days``.

    Loads step by 1.25 kg so that most weights have a fraction (``61,25``); each
    workout does every exercise of ``exercises`` for ``sets_per_exercise`` sets. A name
    not in :data:`EXERCISES` starts at ``DEFAULT_LOAD``.
    """
    workouts = []
    for i, day in enumerate(days):
        start = datetime.combine(day, time(_HOURS[i % len(_HOURS)], (7 * i + 5) % 60))
        sets = tuple(
            PlannedSet(
                exercise=name,
                weight_kg=EXERCISES.get(name, ("Other", DEFAULT_LOAD))[1] + 1.25 * (i + k),
                reps=5 + (i + 2 * k) % 8,
                rpe=(7.5, 8.0, 8.5, None)[(i + k) % 4],
            )
            for name in exercises
            for k in range(sets_per_exercise)
        )
        workouts.append(PlannedWorkout(f"Session {i + 1}", start, 45 + 5 * (i % 6), sets))
    return tuple(workouts)


def spread_days(n: int, *, first: date = date(2024, 11, 28), step: int = 9) -> list[date]:
    """``n`` days ``step`` apart from ``first``: across months, years and DST changes."""
    return [first + timedelta(days=step * i) for i in range(n)]


def _utc(wall: datetime, time_zone: str) -> datetime:
    return wall.replace(tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def expected_workouts(
    plan: Sequence[PlannedWorkout], time_zone: str, *, clock: bool = True, ends: bool = True
) -> tuple[ExpectedWorkout, ...]:
    """What the plan imports as; ``clock=False``: dates only, the workout starts at local noon."""
    out = []
    for w in plan:
        wall = w.start if clock else datetime.combine(w.start.date(), time(12, 0))
        end = _utc(w.start + timedelta(minutes=w.minutes), time_zone) if ends else None
        sets = tuple((s.weight_kg, s.reps) for s in w.sets)
        out.append(ExpectedWorkout(_utc(wall, time_zone), end, sets))
    return tuple(sorted(out, key=lambda e: e.started_at))


def _set_numbers(sets: Sequence[PlannedSet]) -> list[int]:
    """Each set's number within its exercise, from 0."""
    seen: dict[str, int] = {}
    numbers = []
    for s in sets:
        numbers.append(seen.get(s.exercise, 0))
        seen[s.exercise] = numbers[-1] + 1
    return numbers


def _plain(value: float) -> str:
    """A number as JSON-minded apps write it: ``90``, ``62.5``."""
    return f"{value:g}"


_LETTERS = re.compile(r"[^\W\d_]+")


def hevy_date(value: datetime, locale: str) -> str:
    """A Hevy date in ``locale``: CLDR's words, Hevy's spelling.

    ``en_US`` phones write ``Mar 3, 2025, 7:05 PM`` (12-hour clock); others
    ``14 Fev 2025, 07:34`` — CLDR's ``fev.`` without its dot and capitalised.
    """
    us = locale.replace("-", "_") == "en_US"
    pattern = "MMM d, y, h:mm a" if us else "d MMM y, HH:mm"
    text = format_datetime(value, pattern, locale=locale)
    text = text.replace("\u202f", " ").replace("\u00a0", " ")
    text = re.sub(r"(?<=[^\W\d_])\.", "", text)
    return _LETTERS.sub(lambda m: m.group()[0].upper() + m.group()[1:], text)


HEVY_HEADER = (
    "title", "start_time", "end_time", "description", "exercise_title", "superset_id",
    "exercise_notes", "set_index", "set_type", "weight_kg", "reps", "distance_km",
    "duration_seconds", "rpe",
)  # fmt: skip


def hevy_csv(plan: Sequence[PlannedWorkout], *, locale: str, time_zone: str) -> Export:
    """A Hevy export (``weight_kg``) from a phone in ``locale``: text quoted, numbers bare."""

    def quoted(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    lines = [",".join(quoted(name) for name in HEVY_HEADER)]
    for w in plan:
        start = quoted(hevy_date(w.start, locale))
        end = quoted(hevy_date(w.start + timedelta(minutes=w.minutes), locale))
        for number, s in zip(_set_numbers(w.sets), w.sets, strict=True):
            rpe = "" if s.rpe is None else _plain(s.rpe)
            cells = [quoted(w.title), start, end, '""', quoted(s.exercise), "", '""']
            cells += [str(number), '"normal"', _plain(s.weight_kg), str(s.reps), "", "", rpe]
            lines.append(",".join(cells))
    return Export(
        f"hevy-{locale}.csv",
        ("\n".join(lines) + "\n").encode(),
        rows=len(lines) - 1,
        expected=expected_workouts(plan, time_zone),
    )


FITNOTES_HEADER = "Date,Exercise,Category,Weight (kgs),Reps,Distance,Distance Unit,Time"


def fitnotes_csv(plan: Sequence[PlannedWorkout], *, time_zone: str) -> Export:
    """A FitNotes export: ISO dates without a time, names written unquoted even with a comma.

    FitNotes writes ``2020-01-03,Lateral Raise (Single Arm, Cable),Shoulders,10.0,12,,,``:
    one field too many on such rows. Each workout is imported at local noon, no end.
    """
    lines = [FITNOTES_HEADER]
    for w in plan:
        for s in w.sets:
            category = EXERCISES.get(s.exercise, ("Other", 0.0))[0]
            # Java's Double.toString: always a decimal point ("10.0").
            weight = str(float(s.weight_kg))
            lines.append(f"{w.start:%Y-%m-%d},{s.exercise},{category},{weight},{s.reps},,,")
    return Export(
        "fitnotes.csv",
        ("\n".join(lines) + "\n").encode(),
        rows=len(lines) - 1,
        expected=expected_workouts(plan, time_zone, clock=False, ends=False),
    )


STRONG6_HEADER = (
    "Workout #", "Date", "Workout Name", "Duration (sec)", "Exercise Name", "Set Order",
    "Weight (kg)", "Reps", "RPE", "Distance (meters)", "Seconds", "Notes", "Workout Notes",
)  # fmt: skip


def _strong_rows(
    plan: Sequence[PlannedWorkout], locale: str, date_pattern: str
) -> list[tuple[PlannedWorkout, int, PlannedSet, str, str, str]]:
    """(workout, set number from 1, set, date, weight, RPE) in the phone's locale."""
    rows = []
    for w in plan:
        when = format_datetime(w.start, date_pattern, locale=locale)
        for number, s in zip(_set_numbers(w.sets), w.sets, strict=True):
            weight = format_decimal(s.weight_kg, locale=locale, group_separator=False)
            rpe = "" if s.rpe is None else format_decimal(s.rpe, locale=locale)
            rows.append((w, number + 1, s, when, weight, rpe))
    return rows


def _render(rows: list[list[str]], delimiter: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def strong6_csv(
    plan: Sequence[PlannedWorkout],
    *,
    locale: str,
    time_zone: str,
    delimiter: str = ";",
    date_pattern: str = "yyyy-MM-dd HH:mm:ss",
) -> Export:
    """A Strong 6 export (``Weight (kg)``), every field quoted, numbers in ``locale``.

    A European phone writes ``;`` between fields and ``62,5`` for the weight.
    """
    records = [list(STRONG6_HEADER)]
    numbers = {id(w): i + 1 for i, w in enumerate(plan)}
    for w, order, s, when, weight, rpe in _strong_rows(plan, locale, date_pattern):
        seconds = str(60 * w.minutes)
        records.append(
            [str(numbers[id(w)]), when, w.title, seconds, s.exercise, str(order), weight]
            + [str(s.reps), rpe, "", "", "", ""]
        )
    return Export(
        f"strong6-{locale}.csv",
        _render(records, delimiter),
        rows=len(records) - 1,
        expected=expected_workouts(plan, time_zone),
    )


STRONG_CLASSIC_HEADER = (
    "Date", "Workout Name", "Duration", "Exercise Name", "Set Order", "Weight", "Reps",
    "Distance", "Seconds", "Notes", "Workout Notes", "RPE",
)  # fmt: skip


def strong_classic_csv(
    plan: Sequence[PlannedWorkout],
    *,
    locale: str,
    time_zone: str,
    date_pattern: str,
    delimiter: str = ",",
) -> Export:
    """A classic Strong export (12 columns, no unit: the upload passes ``weight_kg``)."""
    records = [list(STRONG_CLASSIC_HEADER)]
    for w, order, s, when, weight, rpe in _strong_rows(plan, locale, date_pattern):
        duration = f"{w.minutes // 60}h {w.minutes % 60}m" if w.minutes >= 60 else f"{w.minutes}m"
        records.append(
            [when, w.title, duration, s.exercise, str(order), weight, str(s.reps)]
            + ["0", "0", "", "", rpe]
        )
    return Export(
        f"strong-{locale}.csv",
        _render(records, delimiter),
        rows=len(records) - 1,
        expected=expected_workouts(plan, time_zone),
        form={"weight_unit": "kg"},
    )


def csv_layout_of(head: bytes) -> str | None:
    """The CSV layout the one format detector names for a file's first bytes, else None."""
    found = detect_format(head)
    return found if isinstance(found, str) and found in LAYOUTS else None


# --------------------------------------------------------------------------- the real exports

HEVY_KG = REAL_DATA / "hevy" / "hevy-kg-supersets-dropsets.csv"
HEVY_LB = REAL_DATA / "hevy" / "hevy-lbs-miles.csv"
FITNOTES = REAL_DATA / "fitnotes" / "fitnotes-lbs-2017-2020.csv"
GYMBOOK = REAL_DATA / "gymbook" / "gymbook-it-localized.csv"
STRONG = REAL_DATA / "strong"
SWEDISH = STRONG / "strong-kg-swedish-names.csv"
ZH = STRONG / "strong-zh-cn-localized-header.csv"
SEMICOLON = STRONG / "strong-semicolon-weight-unit-column.csv"
STRONG6 = STRONG / "strong6-semicolon-quoted-kg.csv"
LARGE = STRONG / "strong-lbs-large-set-types.csv"


# --------------------------------------------------------------------------- reading


def read_csv(
    data: bytes,
    layout: str | Layout = "strong",
    *,
    time_zone: str = "UTC",
    weight_unit: WeightUnit | None = None,
    distance_unit: DistanceUnit | None = None,
) -> ParseResult:
    """``data`` read by the one CSV reader as ``layout`` (every option said, none defaulted)."""
    return parse_csv(
        data,
        layout=layout,
        time_zone=time_zone,
        weight_unit=weight_unit,
        distance_unit=distance_unit,
    )


def refused_csv(data: bytes, layout: str | Layout = "strong", **options: Any) -> ImportFormatError:
    """The error refusing the whole file; fails the test when the file is read."""
    with pytest.raises(ImportFormatError) as caught:
        read_csv(data, layout, **options)
    return caught.value


def sets_of(result: ParseResult) -> list[ParsedSet]:
    """Every set read, workout after workout, in file order within each."""
    return [s for w in result.workouts for s in w.sets]

"""Rows of a CSV export → one workout with its sets, by the rules of its :class:`Layout`.

A workout is the unit of an import: if any of its records is rejected (or was
malformed), none of it is stored (``workout_rejected``), so that importing the
corrected file later creates it complete.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from api.imports.layouts import F
from api.schemas import check_text
from pipelines.imports.parsers import base
from pipelines.imports.parsers import values as v
from pipelines.imports.parsers.columns import Cells, Columns
from pipelines.imports.parsers.dates import DateReader
from pipelines.imports.parsers.numbers import NumberStyle

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_MAX_SPAN = timedelta(days=366)
"""A workout nobody stopped runs for days (Strong files have 234 h); past a year it is noise."""
_SET_NUMBER = re.compile(r"\d+(?:\.0*)?")
_T = TypeVar("_T")
Record = tuple[int, list[str]]
"""(physical line where the record starts, fields)."""


def is_numbered(columns: Columns, record: list[str]) -> bool:
    """Whether the record's set-type cell holds a set number (Strong's ``Set Order``)."""
    return bool(_SET_NUMBER.fullmatch(columns.field(record, F.SET_TYPE).strip()))


class WorkoutReader:
    """Turns the records of one workout into sets, collecting row errors."""

    def __init__(
        self,
        columns: Columns,
        zone: ZoneInfo,
        weight_unit: base.WeightUnit | None,
        distance_unit: base.DistanceUnit | None,
        *,
        dates: DateReader,
        style: NumberStyle,
    ) -> None:
        self.columns = columns
        self._index = columns.index
        self.dates = dates
        self.style = style
        self.spec = columns.layout
        self.zone = zone
        self.weight_unit = columns.weight_unit or weight_unit
        self.distance_unit = columns.distance_unit or distance_unit
        self.errors: list[base.RowError] = []
        self.rows_rejected = 0
        self.ignored_units: Counter[tuple[str, str]] = Counter()
        self.now = datetime.now(UTC)
        self.has_clock = F.TIME in columns.index
        self.nominal_starts = 0
        """Workouts whose date had no time of day, started at the nominal time."""
        self.ends_dropped = 0
        """Workouts whose written end was not after their start (or a year past it)."""

    def warnings(self, skipped: int, *, has_workouts: bool) -> list[str]:
        """Plain-language notes on what was read in a documented, lossy way."""
        notes: list[str] = []
        if has_workouts and self.nominal_starts:
            notes.append(
                f"the file gives dates without a time of day: each workout starts at a "
                f"nominal {self.spec.nominal_time:%H:%M} local time"
            )
        if skipped:
            label = self.columns.labels[F.SKIPPED]
            notes.append(f"{skipped} sets marked as skipped ({label!r}) were not imported")
        if self.dates.note:
            notes.append(self.dates.note)
        if self.ends_dropped:
            label = self.columns.labels[F.END]
            notes.append(
                f"{self.ends_dropped} workouts give an end ({label!r}) not after their start, "
                "or more than a year after it; they were imported without an end"
            )
        for (label, unit), count in sorted(self.ignored_units.items()):
            notes.append(
                f"{count} rows give {unit!r} in column {label!r} for a zero or empty value; "
                "the unit was ignored"
            )
        return notes

    def _field(self, record: list[str], key: str) -> str:
        index = self._index.get(key)
        return record[index] if index is not None else ""

    def _reject(
        self, group: list[Record], code: str, message: str, label: str | None = None
    ) -> None:
        label = label or self.columns.labels[F.DATE]
        self.errors.extend(base.RowError(n, label, code, message) for n, _ in group)
        self.rows_rejected += len(group)

    def workout(self, group: list[Record], bad_lines: list[int]) -> base.ParsedWorkout | None:
        """The group's workout, or None when it cannot be stored whole."""
        first_line, first = group[0]
        raw_date = self._field(first, F.DATE)
        date_wall = self.dates.read(raw_date)
        if date_wall is None:
            message = f"{raw_date!r} is not a date, or not written like the file's other dates"
            example = next((t for t, d in self.dates.readings.items() if d is not None), None)
            if example is not None:
                message += f" (such as {example!r})"
            self._reject(group, "invalid_date", message)
            return None
        with_clock = self.has_clock or bool(self.dates.clock_in(raw_date))
        sets: list[base.ParsedSet] = []
        times: list[datetime] = []
        bad = list(bad_lines)
        for line, record in group:
            try:
                parsed, at = self.set_of(line, record)
            except v.ValueIssue as issue:
                self.errors.append(base.RowError(line, issue.column, issue.code, issue.message))
                bad.append(line)
                continue
            if parsed is None:
                continue
            sets.append(parsed)
            if at is not None:
                times.append(datetime.combine(date_wall.date(), at))
        title = self._field(first, F.TITLE).strip() or self.spec.default_title
        for key in (F.TITLE, F.WORKOUT_NOTES):
            try:
                self._text(first, key)
            except v.ValueIssue as issue:
                self._reject(group, issue.code, issue.message, issue.column)
                return None
        if bad:
            self.rows_rejected += len(group) + len(bad_lines)
            lines = ", ".join(str(n) for n in sorted(bad)[:5]) + ("…" if len(bad) > 5 else "")
            message = (
                f"workout {title!r} of {raw_date} was not imported because line(s) {lines} "
                "were rejected; correct them and import the file again"
            )
            self.errors.append(base.RowError(first_line, None, "workout_rejected", message))
            return None
        if not sets:  # only rest timers
            return None
        if times:
            wall = min(times)
        elif with_clock:
            wall = date_wall
        else:
            wall = datetime.combine(date_wall.date(), self.spec.nominal_time)
            self.nominal_starts += 1
        started_at = None
        if base.EARLIEST_START.year <= wall.year <= self.now.year + 1:
            started_at, local_start = v.localize(wall, self.zone)
        if started_at is None or not (
            base.EARLIEST_START <= started_at <= self.now + base.FUTURE_SLACK
        ):
            message = f"{raw_date!r} is before 1900 or more than 24 hours in the future"
            self._reject(group, "out_of_range", message)
            return None
        end_text = self._field(first, F.END)
        end_wall = max(times) if times else self.dates.read(end_text) if end_text else None
        ended_at = None
        if end_wall is not None and end_wall.year >= base.EARLIEST_START.year:
            ended_at = v.localize(end_wall, self.zone)[0]
            if not timedelta(0) < ended_at - started_at <= _MAX_SPAN:
                ended_at = None
                self.ends_dropped += bool(end_text and not times)
        if F.WORKOUT_DURATION in self.columns.index:
            ended_at = self._ended(started_at, self._field(first, F.WORKOUT_DURATION))
        notes = (v.clean_note(self._field(r, F.WORKOUT_NOTES)) for _, r in group)
        return base.ParsedWorkout(
            line=first_line,
            started_at=started_at,
            local_start=local_start,
            time_zone=self.zone.key,
            title=title,
            ended_at=ended_at,
            notes=next((note for note in notes if note), None),
            sets=sets,
            written_start=wall if wall != local_start else None,
        )

    def _issue(self, key: str, code: str, message: str) -> v.ValueIssue:
        return self.columns.issue(key, code, message)

    def _text(self, record: list[str], key: str) -> str:
        """A text cell, refused (``invalid_text``) by the rule every text input of Forma
        follows (no control characters: :func:`api.schemas.check_text`)."""
        text = self._field(record, key)
        try:
            return check_text(text)
        except ValueError as error:
            raise self._issue(key, "invalid_text", f"{text!r} {error}") from None

    def _ended(self, started_at: datetime, text: str) -> datetime | None:
        """The end from a workout duration (``1h 6m``, or bare seconds with ``(sec)``)."""
        seconds = v.parse_duration(text, bare_seconds=self.columns.workout_seconds == 1.0)
        if seconds is None or not 0 <= seconds <= _MAX_SPAN.total_seconds():
            return None
        return started_at + timedelta(seconds=seconds)

    def _set_type(self, record: list[str]) -> tuple[base.SetType | None, str]:
        """The set type and its table key; type None for a row that is not a set (rest timer)."""
        written = self._field(record, F.SET_TYPE).strip()
        if self.spec.set_numbers and written.isdigit():  # the common case: a set number
            return "working", written
        label = self.spec.set_type_key(written)
        if not label or (self.spec.set_numbers and _SET_NUMBER.fullmatch(label)):
            return "working", label
        if label in self.spec.rest_labels:
            return None, label
        set_type = self.spec.set_types.get(label)
        if set_type is None and self.spec.unlabelled_rest and self._carries_nothing(record):
            return None, label
        if set_type is None:
            kinds = ", ".join(self.spec.set_types) + (
                ", a set number" if self.spec.set_numbers else ""
            )
            message = f"{written!r} is not a set type ({kinds})"
            raise self._issue(F.SET_TYPE, "invalid_set_type", message)
        return set_type, label

    def _carries_nothing(self, record: list[str]) -> bool:
        try:
            return not any(self._number(record, key) for key in (F.WEIGHT, F.REPS, F.DISTANCE))
        except v.ValueIssue:
            return False

    def set_of(self, line: int, record: list[str]) -> tuple[base.ParsedSet | None, time | None]:
        """The set a record holds (None for a rest row) and its time of day.

        Raises
        ------
        ValueIssue
            To reject the record, naming the column and the reason.
        """
        set_type, label = self._set_type(record)
        if set_type is None:
            return None, None
        # Zero-width characters at the ends are invisible: "Squat (Barbell)\u200b" is Squat.
        exercise = self._text(record, F.EXERCISE).strip().strip(_INVISIBLE).strip()
        if not exercise:
            raise self._issue(F.EXERCISE, "missing_value", "the exercise name is empty")
        flag = self._field(record, F.SKIPPED).strip().casefold() if self.spec.flags else ""
        if flag and flag not in self.spec.flags:
            message = f"{flag!r} is not one of {', '.join(self.spec.flags)}"
            raise self._issue(F.SKIPPED, "invalid_value", message)
        at = None
        if F.TIME in self.columns.index:
            raw_time = self._field(record, F.TIME)
            at = self.dates.read_time(raw_time)
            if at is None:
                message = f"{raw_time!r} is not a time of day (H:MM, or H:MM with AM/PM)"
                raise self._issue(F.TIME, "invalid_time", message)
        cells = self.columns.cells(record, self.style)
        weight_kg, weight_unit = self._measure(line, record, cells, F.WEIGHT)
        distance_m, distance_unit = self._measure(line, record, cells, F.DISTANCE)
        reps_value, _, reps_column = cells.get(F.REPS, (None, None, F.REPS))
        seconds, _, seconds_column = cells.get(F.DURATION, (None, None, F.DURATION))
        rpe = self._number(record, F.RPE)
        note = self._text(record, F.NOTES)
        notes = [v.clean_note(note) if note else None, self.spec.set_type_notes.get(label)]
        superset = self._field(record, F.SUPERSET).strip()
        notes.append(f"superset {superset}" if superset else None)
        parsed = base.ParsedSet(
            line=line,
            exercise_name=exercise,
            set_type=set_type,
            weight_kg=weight_kg,
            weight_unit=v.weight_unit_of(weight_unit or "") if weight_kg is not None else None,
            reps=self._checked(reps_column, v.whole_reps, reps_value),
            duration_s=self._checked(seconds_column, _seconds, seconds) or None,
            distance_m=distance_m or None,
            distance_unit=v.distance_unit_of(distance_unit or "") if distance_m else None,
            rpe=self._checked(F.RPE, v.rpe_value, rpe),
            notes="\n".join(note for note in notes if note) or None,
        )
        return parsed, at

    def _checked(self, key: str, check: Callable[[float | None], _T], value: float | None) -> _T:
        try:
            return check(value)
        except v.ValueIssue as issue:
            raise self._issue(key, issue.code, issue.message) from None

    def _number(self, record: list[str], key: str) -> float | None:
        try:
            return self.style.parse(self._field(record, key))
        except v.ValueIssue as issue:
            raise self._issue(key, issue.code, issue.message) from None

    def _measure(
        self, line: int, record: list[str], cells: Cells, key: str
    ) -> tuple[float | None, str | None]:
        """A weight (kg) or distance (m) and its unit: cell, unit column, header, caller.

        A non-zero value left without a unit stops the import with ``unit_required``.
        """
        unit_key = F.WEIGHT_UNIT if key == F.WEIGHT else F.DISTANCE_UNIT
        lookup = v.weight_unit_of if key == F.WEIGHT else v.distance_unit_of
        value, unit, column = cells.get(key, (None, None, key))
        row_text = self._field(record, unit_key).strip() if unit_key in self._index else ""
        if unit is None and row_text:
            unit = lookup(row_text)
            if unit is None and value:
                message = f"{row_text!r} is not a {key} unit"
                raise self._issue(unit_key, "invalid_unit", message)
            if unit is None:
                self.ignored_units[(self.columns.labels[unit_key], row_text)] += 1
        if value is None:
            return None, None
        unit = unit or (self.weight_unit if key == F.WEIGHT else self.distance_unit)
        if unit is None and value > 0:
            argument = "weight_unit=kg|lb" if key == F.WEIGHT else "distance_unit=m|km|mi"
            raise base.ImportFormatError(
                "unit_required",
                f"column {self.columns.labels[column]!r} has values without a unit (line {line}: "
                f"{value:g}); pass {argument} or set unit_system on the profile",
            )
        if key == F.WEIGHT:
            weight = v.weight_unit_of(unit or "")
            si, high, what = v.to_kg(value, weight) if weight else value, 1000.0, "weight (kg)"
        else:
            distance = v.distance_unit_of(unit or "")
            si, high, what = v.to_m(value, distance) if distance else value, 1e6, "distance (m)"
        if not 0 <= si <= high:
            self._checked(column, lambda x: v.in_range(x, 0, high, what), si)  # raises
        return si, unit


def _seconds(value: float | None) -> float | None:
    return v.in_range(value, 0, 86_400, "duration (s)")

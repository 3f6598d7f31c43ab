"""Gym-log CSV exports (Hevy, FitNotes, GymBook, …) read by one engine from a :class:`Layout`.

:func:`sniff` names the layout a file's header fits; :func:`parse_gymlog` reads it
into :class:`ParseResult` with the same contract as ``parse_strong``: physical line
numbers, one ``RowError`` per rejected record, and a workout with any rejected
record refused whole (``workout_rejected``). Rows become workouts by the layout's
``group_by`` fields, in file order; sets keep their order within the workout.

Choices where the apps leave a gap, stated once here:

* A date without a time (FitNotes) starts its workout at the layout's nominal local
  time (noon); ``warnings`` says so. A per-set time (GymBook ``Orario``) starts the
  workout at its earliest set and ends it at its latest.
* Skipped sets (GymBook ``Saltato`` = ``Si``) are neither sets nor errors; they are
  counted in ``rows`` and in a warning, and their other cells are not read.
* An unknown unit in a per-row unit column (FitNotes writes ``kg`` as the distance
  unit of some Side Plank rows) is a row error ``invalid_unit`` when the value is
  non-zero, and is ignored, with a warning, when the value is zero or empty.
* A Hevy superset id becomes a ``superset <id>`` line in the set's notes.
* An end time that cannot be read, or is before the start, is left out (it only
  decorates the workout); an unreadable start rejects the workout (``invalid_date``).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from pipelines.parsers import base
from pipelines.parsers import values as v
from pipelines.parsers.layouts import LAYOUTS, Cells, Columns, F, Layout, bind

_PROGRESS_EVERY = 1000
_MAX_SPAN = timedelta(days=366)
_Record = tuple[int, list[str]]  # (physical line where the record starts, fields)
_T = TypeVar("_T")


GymlogResult = base.ParseResult
"""Kept as a name: gym-log results are plain :class:`ParseResult` with ``warnings``."""


def sniff(head: bytes) -> str | None:
    """The name of the layout whose header starts ``head`` (first ~64 KiB), else None.

    Layouts are tried in :data:`layouts.LAYOUTS` order. Never raises.
    """
    if not head or b"\x00" in head:
        return None
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    for name, layout in LAYOUTS.items():
        try:
            bind(layout, text)
        except (base.ImportFormatError, csv.Error):
            continue
        return name
    return None


def parse_gymlog(
    data: bytes,
    *,
    layout: str | Layout,
    time_zone: str,
    weight_unit: base.WeightUnit | None,
    distance_unit: base.DistanceUnit | None,
    on_progress: base.ProgressCallback | None = None,
) -> GymlogResult:
    """Read a gym-log CSV export into workouts and sets.

    Parameters
    ----------
    data : bytes
        The whole file, UTF-8 (a BOM is fine).
    layout : str or Layout
        A name from :data:`layouts.LAYOUTS` (``"hevy"``, ``"fitnotes"``, ``"gymbook"``)
        or a :class:`Layout` table.
    time_zone : str
        IANA zone of the file's wall-clock dates and times.
    weight_unit, distance_unit : str or None
        Unit of values the file does not label; a unit in the cell, a unit column or
        the header wins.
    on_progress : callable, optional
        Called with the fraction read (0–1) every 1,000 records and with 1.0 at the end.

    Returns
    -------
    GymlogResult
        ``format`` is the layout name; ``rows`` counts data records (skipped sets
        too). Sets in kg, m and s with the unit they came in. A workout written
        k ≥ 2 times whole is kept once (``duplicates_collapsed`` += k − 1) only
        where the layout says identical rows cannot be real sets.

    Raises
    ------
    ImportFormatError
        ``invalid_time_zone``, ``invalid_unit``, ``empty_file``, ``binary_file``,
        ``encoding``, ``unsupported_format``, ``malformed``, ``no_rows``,
        ``unit_required`` (names the column and the line).
    """
    spec = layout if isinstance(layout, Layout) else LAYOUTS.get(layout)
    if spec is None:
        known = ", ".join(LAYOUTS)
        raise base.ImportFormatError(
            "unsupported_format", f"unknown layout {layout!r}: expected one of {known}"
        )
    zone = v.load_zone(time_zone)
    if weight_unit not in (None, "kg", "lb") or distance_unit not in (None, "m", "km", "mi"):
        raise base.ImportFormatError(
            "invalid_unit", "weight_unit must be kg or lb, distance_unit m, km or mi"
        )
    text = v.decode_text(data)
    columns = bind(spec, text)
    reader = _Reader(columns, zone, weight_unit, distance_unit)
    key_columns = [columns.index.get(key) for key in spec.group_by]
    skip_column = columns.index.get(F.SKIPPED)
    groups: dict[tuple[str, ...], list[_Record]] = {}
    tainted: dict[tuple[str, ...], list[int]] = {}
    lines_total = text.count("\n") + 1
    rows = skipped = 0
    for line, record in v.csv_records(text, columns.delimiter):
        rows += 1
        if on_progress is not None and rows % _PROGRESS_EVERY == 0:
            on_progress(min(0.9, 0.9 * line / lines_total))
        if len(record) != columns.width:
            message = f"the record has {len(record)} fields, the header {columns.width}"
            reader.errors.append(base.RowError(line, None, "malformed_row", message))
            # A cut-off record still names its workout, which is then incomplete.
            if all(i is None or i < len(record) for i in key_columns):
                key = tuple(record[i] if i is not None else "" for i in key_columns)
                tainted.setdefault(key, []).append(line)
            else:
                reader.rows_rejected += 1
            continue
        if skip_column is not None and spec.flags.get(record[skip_column].strip().casefold()):
            skipped += 1
            continue
        key = tuple(record[i] if i is not None else "" for i in key_columns)
        groups.setdefault(key, []).append((line, record))
    if rows == 0:
        raise base.ImportFormatError(
            "no_rows", f"the file has a {spec.name} header but no data rows"
        )
    workouts: list[base.ParsedWorkout] = []
    collapsed = 0
    for key, group in groups.items():
        period = v.repeat_period([record for _, record in group])
        if spec.collapse_repeats and period < len(group):
            collapsed += len(group) // period - 1
            group = group[:period]
        workout = reader.workout(group, bad_lines=tainted.pop(key, []))
        if workout is not None:
            workouts.append(workout)
    reader.rows_rejected += sum(len(lines) for lines in tainted.values())
    reader.errors.sort(key=lambda error: error.line)
    if on_progress is not None:
        on_progress(1.0)
    return GymlogResult(
        format=spec.name,
        rows=rows,
        workouts=workouts,
        errors=reader.errors[: base.MAX_ERRORS],
        duplicates_collapsed=collapsed,
        errors_total=len(reader.errors),
        rows_rejected=reader.rows_rejected,
        warnings=reader.warnings(skipped, has_workouts=bool(workouts)),
    )


class _Reader:
    """Turns the records of one workout into sets, collecting row errors."""

    def __init__(
        self,
        columns: Columns,
        zone: ZoneInfo,
        weight_unit: base.WeightUnit | None,
        distance_unit: base.DistanceUnit | None,
    ) -> None:
        self.columns = columns
        self.spec = columns.layout
        self.zone = zone
        self.weight_unit = columns.weight_unit or weight_unit
        self.distance_unit = columns.distance_unit or distance_unit
        self.errors: list[base.RowError] = []
        self.rows_rejected = 0
        self.ignored_units: Counter[tuple[str, str]] = Counter()
        self.now = datetime.now(UTC)

    def warnings(self, skipped: int, *, has_workouts: bool) -> list[str]:
        """Plain-language notes on what was read in a documented, lossy way."""
        notes: list[str] = []
        has_clock = F.TIME in self.columns.index or any("%H" in f for f in self.spec.date_formats)
        if has_workouts and not has_clock:
            notes.append(
                f"the file gives dates without a time of day: each workout starts at a "
                f"nominal {self.spec.nominal_time:%H:%M} local time"
            )
        if skipped:
            label = self.columns.labels[F.SKIPPED]
            notes.append(f"{skipped} sets marked as skipped ({label!r}) were not imported")
        for (label, unit), count in sorted(self.ignored_units.items()):
            notes.append(
                f"{count} rows give {unit!r} in column {label!r} for a zero or empty value; "
                "the unit was ignored"
            )
        return notes

    def _field(self, record: list[str], key: str) -> str:
        return self.columns.field(record, key)

    def _wall(self, text: str, formats: tuple[str, ...]) -> tuple[datetime, str] | None:
        for fmt in formats:
            wall = v.parse_wall_clock(text, fmt)
            if wall is not None:
                return wall, fmt
        return None

    def _reject(self, group: list[_Record], code: str, message: str) -> None:
        label = self.columns.labels[F.DATE]
        self.errors.extend(base.RowError(n, label, code, message) for n, _ in group)
        self.rows_rejected += len(group)

    def workout(self, group: list[_Record], bad_lines: list[int]) -> base.ParsedWorkout | None:
        """The group's workout, or None when it cannot be stored whole."""
        first_line, first = group[0]
        raw_date = self._field(first, F.DATE)
        found = self._wall(raw_date, self.spec.date_formats)
        if found is None:
            shapes = " or ".join(v.describe_wall_format(f) for f in self.spec.date_formats)
            self._reject(group, "invalid_date", f"{raw_date!r} is not a date written {shapes}")
            return None
        date_wall, date_format = found
        sets: list[base.ParsedSet] = []
        times: list[datetime] = []
        bad = list(bad_lines)
        for line, record in group:
            try:
                parsed, at = self._set(line, record)
            except v.ValueIssue as issue:
                self.errors.append(base.RowError(line, issue.column, issue.code, issue.message))
                bad.append(line)
                continue
            sets.append(parsed)
            if at is not None:
                times.append(datetime.combine(date_wall.date(), at.time()))
        title = self._field(first, F.TITLE).strip() or self.spec.default_title
        if bad:
            self.rows_rejected += len(group) + len(bad_lines)
            lines = ", ".join(str(n) for n in sorted(bad)[:5]) + ("…" if len(bad) > 5 else "")
            message = (
                f"workout {title!r} of {raw_date} was not imported because line(s) {lines} "
                "were rejected; correct them and import the file again"
            )
            self.errors.append(base.RowError(first_line, None, "workout_rejected", message))
            return None
        if times:
            wall = min(times)
        elif "%H" in date_format:
            wall = date_wall
        else:
            wall = datetime.combine(date_wall.date(), self.spec.nominal_time)
        started_at = None
        if base.EARLIEST_START.year <= wall.year <= self.now.year + 1:
            started_at, local_start = v.localize(wall, self.zone)
        if started_at is None or not (
            base.EARLIEST_START <= started_at <= self.now + base.FUTURE_SLACK
        ):
            message = f"{raw_date!r} is before 1900 or more than 24 hours in the future"
            self._reject(group, "out_of_range", message)
            return None
        end = self._wall(self._field(first, F.END), self.spec.date_formats)
        end_wall = max(times) if times else end[0] if end is not None else None
        ended_at = None
        if end_wall is not None and end_wall.year >= base.EARLIEST_START.year:
            ended_at = v.localize(end_wall, self.zone)[0]
            if not timedelta(0) < ended_at - started_at <= _MAX_SPAN:
                ended_at = None
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

    def _set(self, line: int, record: list[str]) -> tuple[base.ParsedSet, datetime | None]:
        """The set a record holds and its time of day; raises ValueIssue to reject it."""
        exercise = self._field(record, F.EXERCISE).strip()
        if not exercise:
            raise self._issue(F.EXERCISE, "missing_value", "the exercise name is empty")
        label = " ".join(self._field(record, F.SET_TYPE).split()).casefold()
        set_type = self.spec.set_types.get(label) if label else "working"
        if set_type is None:
            message = f"{label!r} is not a set type ({', '.join(self.spec.set_types)})"
            raise self._issue(F.SET_TYPE, "invalid_set_type", message)
        flag = self._field(record, F.SKIPPED).strip().casefold()
        if flag and flag not in self.spec.flags:
            message = f"{flag!r} is not one of {', '.join(self.spec.flags)}"
            raise self._issue(F.SKIPPED, "invalid_value", message)
        at = None
        if F.TIME in self.columns.index:
            raw_time = self._field(record, F.TIME)
            found = self._wall(raw_time, self.spec.time_formats)
            if found is None:
                shapes = " or ".join(v.describe_wall_format(f) for f in self.spec.time_formats)
                raise self._issue(F.TIME, "invalid_time", f"{raw_time!r} is not a time {shapes}")
            at = found[0]
        cells = self.columns.cells(record)
        weight_kg, weight_unit = self._measure(line, record, cells, F.WEIGHT)
        distance_m, distance_unit = self._measure(line, record, cells, F.DISTANCE)
        reps_value, _, reps_column = cells.get(F.REPS, (None, None, F.REPS))
        seconds, _, seconds_column = cells.get(F.DURATION, (None, None, F.DURATION))
        rpe = self._number(record, F.RPE)
        notes = [v.clean_note(self._field(record, F.NOTES)), self.spec.set_type_notes.get(label)]
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
            return v.parse_decimal(self._field(record, key), self.spec.decimal)
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
        row_text = self._field(record, unit_key).strip()
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
        weight, distance = v.weight_unit_of(unit or ""), v.distance_unit_of(unit or "")
        if key == F.WEIGHT:
            si, high, what = v.to_kg(value, weight) if weight else value, 1000.0, "weight (kg)"
        else:
            si, high, what = v.to_m(value, distance) if distance else value, 1e6, "distance (m)"
        return self._checked(column, lambda x: v.in_range(x, 0, high, what), si), unit


def _seconds(value: float | None) -> float | None:
    return v.in_range(value, 0, 86_400, "duration (s)")

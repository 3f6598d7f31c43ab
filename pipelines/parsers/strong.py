"""Strong app CSV exports, in every layout Strong has written, read into :class:`ParseResult`.

Comma or semicolon, with or without a UTF-8 BOM, columns mapped by name: classic
(12 columns, ``Date,Workout Name,Duration,…,RPE``), 2018–20 (13, per-row ``Weight Unit``
and ``Distance Unit``, no Duration) and Strong 6 (13 from ``"Workout #"``, units in the
header: ``Weight (kg)``, ``Distance (meters)``, ``Duration (sec)``). A translated header
is mapped by Strong's column order, only when the first data row fits it.

``Set Order`` holds the set number or a type (``W``/``WARM_UP``, ``D``/``DROP_SET``,
``F``/``FAILURE``). ``Rest Timer`` rows, and rows with any other non-numeric label
and no weight, reps or distance (a translated rest-timer label looks like that),
are not sets and not errors; such a label on a row that carries a load is rejected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from pipelines.parsers import base
from pipelines.parsers import values as v

FORMAT = "strong"

# Canonical column keys, spelled as in Strong's English header.
DATE, WORKOUT_NO, WORKOUT_NAME, DURATION = "Date", "Workout #", "Workout Name", "Duration"
EXERCISE, SET_ORDER, WEIGHT, WEIGHT_UNIT = "Exercise Name", "Set Order", "Weight", "Weight Unit"
REPS, DISTANCE, DISTANCE_UNIT, SECONDS = "Reps", "Distance", "Distance Unit", "Seconds"
NOTES, WORKOUT_NOTES, RPE = "Notes", "Workout Notes", "RPE"

_CLASSIC = (
    DATE,
    WORKOUT_NAME,
    DURATION,
    EXERCISE,
    SET_ORDER,
    WEIGHT,
    REPS,
    DISTANCE,
    SECONDS,
    NOTES,
    WORKOUT_NOTES,
    RPE,
)
_UNIT_COLUMNS = (
    DATE,
    WORKOUT_NAME,
    EXERCISE,
    SET_ORDER,
    WEIGHT,
    WEIGHT_UNIT,
    REPS,
    RPE,
    DISTANCE,
    DISTANCE_UNIT,
    SECONDS,
    NOTES,
    WORKOUT_NOTES,
)
_STRONG6 = (
    WORKOUT_NO,
    DATE,
    WORKOUT_NAME,
    DURATION,
    EXERCISE,
    SET_ORDER,
    WEIGHT,
    REPS,
    RPE,
    DISTANCE,
    SECONDS,
    NOTES,
    WORKOUT_NOTES,
)
# Translated headers keep Strong's column order, so width and order identify the layout.
_POSITIONAL = (_CLASSIC, _UNIT_COLUMNS, _STRONG6)

_KNOWN = {key.casefold(): key for key in (*_STRONG6, *_UNIT_COLUMNS)}
_REQUIRED = (DATE, WORKOUT_NAME, EXERCISE, SET_ORDER, WEIGHT, REPS)
_DELIMITERS = (",", ";", "\t")

_SET_TYPES: dict[str, base.SetType] = {
    "W": "warmup",
    "WARMUP": "warmup",
    "D": "dropset",
    "DROPSET": "dropset",
    "F": "failure",
    "FAILURE": "failure",
}
_SET_NUMBER = re.compile(r"\d+(?:\.0*)?")
_PROGRESS_EVERY = 1000
# A workout nobody stopped runs for days (the files have 234 h); past a year it is noise.
_MAX_DURATION_S = 366 * 86_400.0

_T = TypeVar("_T")
_Record = tuple[int, list[str]]  # (physical line where the record starts, fields)


@dataclass(frozen=True, slots=True)
class _Layout:
    delimiter: str
    width: int
    columns: dict[str, int]
    labels: dict[str, str]  # column names as the user sees them in the file, for messages
    weight_unit: base.WeightUnit | None = None
    distance_unit: base.DistanceUnit | None = None
    duration_in_seconds: bool = False


def _named_layout(names: list[str], delimiter: str) -> tuple[_Layout | None, list[str]]:
    """Map header names to columns; on failure, say what is wrong."""
    columns: dict[str, int] = {}
    units: dict[str, str] = {}
    problems: list[str] = []
    for index, raw in enumerate(names):
        name, unit_label = v.split_header_name(raw)
        key = _KNOWN.get(name)
        if key is not None and key not in columns:
            columns[key] = index
            if unit_label is not None:
                units[key] = unit_label
    weight_unit = v.weight_unit_of(units.get(WEIGHT, ""))
    distance_unit = v.distance_unit_of(units.get(DISTANCE, ""))
    for key, unit in ((WEIGHT, weight_unit), (DISTANCE, distance_unit)):
        if key in units and unit is None:
            problems.append(f"an unknown unit in column {names[columns[key]].strip()!r}")
    missing = [key for key in _REQUIRED if key not in columns]
    if missing:
        problems.append("no column " + ", ".join(missing))
    if problems:
        return None, problems
    # "Duration (sec)" holds bare seconds; the unit label is read like a duration unit.
    in_seconds = v.parse_duration("1" + units.get(DURATION, "")) == 1.0
    labels = {key: names[index].strip().strip('"') for key, index in columns.items()}
    return _Layout(
        delimiter, len(names), columns, labels, weight_unit, distance_unit, in_seconds
    ), []


def _positional_layout(names: list[str], first: list[str] | None, sep: str) -> _Layout | None:
    """A translated header: trust Strong's column order only if the first data row fits it."""
    if first is None or len(first) != len(names):
        return None
    for order in _POSITIONAL:
        columns = {key: index for index, key in enumerate(order)}
        if len(order) != len(names) or v.parse_naive_datetime(first[columns[DATE]]) is None:
            continue
        if WORKOUT_NO in columns and not first[columns[WORKOUT_NO]].strip().isdigit():
            continue
        try:
            v.parse_number(first[columns[WEIGHT]])
            v.parse_number(first[columns[REPS]])
        except v.ValueIssue:
            continue
        labels = {key: f"{names[i].strip()} ({key})" for key, i in columns.items()}
        return _Layout(sep, len(names), columns, labels, duration_in_seconds=order is _STRONG6)
    return None


def _detect_layout(text: str) -> _Layout:
    first_line = text.split("\n", 1)[0].rstrip("\r")
    diagnostics: list[tuple[int, list[str]]] = []
    translated: list[str] = []
    for delimiter in _DELIMITERS:
        try:
            names = next(csv.reader([first_line], delimiter=delimiter))
        except csv.Error:
            continue
        layout, problems = _named_layout(names, delimiter)
        if layout is not None:
            return layout
        diagnostics.append((len(names), problems))
        # Only a header with no English column name (RPE is the same in every language)
        # may be read by position: an English one that misses columns is not Strong's.
        if all(_KNOWN.get(v.split_header_name(n)[0], RPE) == RPE for n in names):
            translated.append(delimiter)
    for delimiter in translated:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            names = next(reader, [])
            first = next((record for record in reader if any(f.strip() for f in record)), None)
        except csv.Error:
            continue
        layout = _positional_layout(names, first, delimiter)
        if layout is not None:
            return layout
    _, problems = max(diagnostics, key=lambda item: item[0], default=(0, ["no columns"]))
    raise base.ImportFormatError(
        "unsupported_format",
        "not a Strong CSV export: the header (line 1) has " + " and ".join(problems),
    )


def sniff_strong(head: bytes) -> bool:
    """Tell whether a file starts like a Strong CSV export.

    ``head`` is the first bytes of the file (up to about 64 KiB; may end mid-line).
    True when line 1 is a Strong header in a known layout, or a translated one
    whose first data row fits Strong's column order. Never raises.
    """
    if not head or b"\x00" in head:
        return False
    try:
        _detect_layout(head.decode("utf-8", errors="replace").removeprefix("\ufeff"))
    except (base.ImportFormatError, csv.Error):
        return False
    return True


def parse_strong(
    data: bytes,
    *,
    time_zone: str,
    weight_unit: base.WeightUnit | None,
    distance_unit: base.DistanceUnit | None,
    on_progress: base.ProgressCallback | None = None,
) -> base.ParseResult:
    """Read a Strong CSV export into workouts and sets.

    Parameters
    ----------
    data : bytes
        The whole file, UTF-8 (a BOM is fine).
    time_zone : str
        IANA zone of the wall-clock ``Date`` values (a DST-gap time moves forward
        by the gap, see :func:`values.localize`).
    weight_unit, distance_unit : str or None
        Unit of values the file does not label (classic Strong's bare ``Weight``
        and ``Distance``); a unit in the header or in a unit column wins.
    on_progress : callable, optional
        Called with the fraction read (0–1) every 1,000 records and with 1.0 at the end.

    Returns
    -------
    ParseResult
        ``rows`` counts data records (rest timers and rejected ones too). One
        workout per (Date, Workout Name), in file order, if it has a valid set;
        one written k ≥ 2 times whole is kept once, adding k − 1 to
        ``duplicates_collapsed``. Sets in kg, m and s with the unit they came in.
        One ``RowError`` per rejected record, by line (first ``MAX_ERRORS``).

    Raises
    ------
    ImportFormatError
        ``invalid_time_zone``, ``invalid_unit``, ``empty_file``, ``binary_file``,
        ``encoding``, ``unsupported_format`` (names the missing header columns),
        ``malformed``, ``no_rows``, ``unit_required`` (a non-zero weight or
        distance without a unit anywhere; names the column and first line).
    """
    zone = v.load_zone(time_zone)
    if weight_unit not in (None, "kg", "lb") or distance_unit not in (None, "m", "km", "mi"):
        raise base.ImportFormatError(
            "invalid_unit", "weight_unit must be kg or lb, distance_unit m, km or mi"
        )
    text = v.decode_text(data)
    layout = _detect_layout(text)
    lines_total = text.count("\n") + 1
    reader = _RowReader(layout, zone, weight_unit, distance_unit)
    groups: dict[tuple[str, str, str], list[_Record]] = {}
    tainted: dict[tuple[str, ...], list[int]] = {}
    key_columns = [layout.columns.get(key) for key in (WORKOUT_NO, DATE, WORKOUT_NAME)]
    rows = 0
    for line, record in v.csv_records(text, layout.delimiter):
        rows += 1
        if on_progress is not None and rows % _PROGRESS_EVERY == 0:
            on_progress(min(0.9, 0.9 * line / lines_total))
        if len(record) != layout.width:
            reader.errors.append(
                base.RowError(
                    line,
                    None,
                    "malformed_row",
                    f"the record has {len(record)} fields, the header {layout.width}",
                )
            )
            # A short record (a file cut off mid-row) still names its workout: that
            # workout is then incomplete and must not be stored as if it were whole.
            if all(i is None or i < len(record) for i in key_columns):
                key = tuple(record[i] if i is not None else "" for i in key_columns)
                tainted.setdefault(key, []).append(line)
            else:
                reader.rows_rejected += 1
            continue
        number, date, name = (record[i] if i is not None else "" for i in key_columns)
        groups.setdefault((number, date, name), []).append((line, record))
    if rows == 0:
        raise base.ImportFormatError("no_rows", "the file has a Strong header but no data rows")
    workouts: list[base.ParsedWorkout] = []
    collapsed = 0
    for key, group in groups.items():
        kept = _collapse_repeats(group, layout.columns[SET_ORDER])
        collapsed += len(group) // len(kept) - 1
        workout = reader.workout(kept, bad_lines=tainted.pop(key, []))
        if workout is not None:
            workouts.append(workout)
    reader.rows_rejected += sum(len(lines) for lines in tainted.values())
    reader.errors.sort(key=lambda error: error.line)
    if on_progress is not None:
        on_progress(1.0)
    return base.ParseResult(
        format=FORMAT,
        rows=rows,
        workouts=workouts,
        errors=reader.errors[: base.MAX_ERRORS],
        duplicates_collapsed=collapsed,
        errors_total=len(reader.errors),
        rows_rejected=reader.rows_rejected,
    )


def _collapse_repeats(group: list[_Record], set_order_col: int) -> list[_Record]:
    """The first copy of a workout written whole k ≥ 2 times, else the group unchanged.

    Only when the copy holds a numbered set: Strong numbers an exercise's sets
    1, 2, 3, so a repeated number cannot be real, while two identical unnumbered
    warm-up rows can be.
    """
    period = v.repeat_period([record for _, record in group])
    if period < len(group) and any(
        _SET_NUMBER.fullmatch(record[set_order_col].strip()) for _, record in group[:period]
    ):
        return group[:period]
    return group


class _RowReader:
    """Turns the records of one workout into sets, collecting row errors."""

    def __init__(
        self,
        layout: _Layout,
        zone: ZoneInfo,
        weight_unit: base.WeightUnit | None,
        distance_unit: base.DistanceUnit | None,
    ) -> None:
        self.layout = layout
        self.zone = zone
        self.weight_unit: base.WeightUnit | None = layout.weight_unit or weight_unit
        self.distance_unit: base.DistanceUnit | None = layout.distance_unit or distance_unit
        self.errors: list[base.RowError] = []
        self.rows_rejected = 0
        self.now = datetime.now(UTC)

    def _field(self, record: list[str], key: str) -> str:
        index = self.layout.columns.get(key)
        return record[index] if index is not None else ""

    def _issue(self, key: str, code: str, message: str) -> v.ValueIssue:
        return v.ValueIssue(code, message, self.layout.labels[key])

    def _number(self, record: list[str], key: str) -> float | None:
        try:
            return v.parse_number(self._field(record, key))
        except v.ValueIssue as issue:
            raise self._issue(key, issue.code, issue.message) from None

    def _reject_dates(self, group: list[_Record], code: str, message: str) -> None:
        label = self.layout.labels[DATE]
        self.errors.extend(base.RowError(n, label, code, message) for n, _ in group)
        self.rows_rejected += len(group)

    def workout(self, group: list[_Record], bad_lines: list[int]) -> base.ParsedWorkout | None:
        """The group's workout, or None when it cannot be stored whole.

        A workout is the unit of an import: if any of its records is rejected (or
        ``bad_lines`` says a record of it was malformed), none of it is stored, so
        that importing the corrected file later creates it complete.
        """
        first_line, first = group[0]
        raw_date = self._field(first, DATE)
        wall = v.parse_naive_datetime(raw_date)
        if wall is None:
            self._reject_dates(
                group, "invalid_date", f"{raw_date!r} is not a date (YYYY-MM-DD HH:MM:SS)"
            )
            return None
        started_at = None
        if base.EARLIEST_START.year <= wall.year <= self.now.year + 1:
            started_at, local_start = v.localize(wall, self.zone)
        if started_at is None or not (
            base.EARLIEST_START <= started_at <= self.now + base.FUTURE_SLACK
        ):
            self._reject_dates(
                group,
                "out_of_range",
                f"{raw_date!r} is before 1900 or more than 24 hours in the future",
            )
            return None
        duration = v.parse_duration(
            self._field(first, DURATION), bare_seconds=self.layout.duration_in_seconds
        )
        ended_at = None
        if duration is not None and 0 <= duration <= _MAX_DURATION_S:
            ended_at = started_at + timedelta(seconds=duration)
        notes = next(
            (note for _, rec in group if (note := v.clean_note(self._field(rec, WORKOUT_NOTES)))),
            None,
        )
        workout = base.ParsedWorkout(
            line=first_line,
            started_at=started_at,
            local_start=local_start,
            time_zone=self.zone.key,
            title=self._field(first, WORKOUT_NAME).strip(),
            ended_at=ended_at,
            notes=notes,
            written_start=wall if wall != local_start else None,
        )
        bad = list(bad_lines)
        for line, record in group:
            try:
                parsed = self._set(line, record)
            except v.ValueIssue as issue:
                self.errors.append(base.RowError(line, issue.column, issue.code, issue.message))
                bad.append(line)
                continue
            if parsed is not None:
                workout.sets.append(parsed)
        if bad:
            self.rows_rejected += len(group) + len(bad_lines)
            lines = ", ".join(str(n) for n in sorted(bad)[:5]) + ("…" if len(bad) > 5 else "")
            self.errors.append(
                base.RowError(
                    first_line,
                    None,
                    "workout_rejected",
                    f"workout {workout.title!r} of {raw_date} was not imported because line(s) "
                    f"{lines} were rejected; correct them and import the file again",
                )
            )
            return None
        return workout if workout.sets else None

    def _set(self, line: int, record: list[str]) -> base.ParsedSet | None:
        """The set a record holds, None for a rest timer; raises ValueIssue to reject it."""
        order = self._field(record, SET_ORDER).strip()
        set_type: base.SetType = "working"
        if order and not _SET_NUMBER.fullmatch(order):
            code = re.sub(r"[\s_-]", "", order).upper()
            if code == "RESTTIMER" or (code not in _SET_TYPES and self._carries_nothing(record)):
                return None
            if code not in _SET_TYPES:
                raise self._issue(
                    SET_ORDER,
                    "invalid_set_type",
                    f"{order!r} is not a set number or a Strong set type",
                )
            set_type = _SET_TYPES[code]
        exercise = self._field(record, EXERCISE).strip()
        if not exercise:
            raise self._issue(EXERCISE, "missing_value", "the exercise name is empty")
        weight_unit, distance_unit = self._units(record)
        weight_kg = self._measure(
            line,
            record,
            WEIGHT,
            weight_unit and v.to_kg(1.0, weight_unit),
            1000,
            "weight_unit=kg|lb",
        )
        reps = self._checked(REPS, v.whole_reps, self._number(record, REPS))
        distance_m = self._measure(
            line,
            record,
            DISTANCE,
            distance_unit and v.to_m(1.0, distance_unit),
            1e6,
            "distance_unit=m|km|mi",
        )
        seconds = self._checked(
            SECONDS, lambda s: v.in_range(s, 0, 86_400, "seconds"), self._number(record, SECONDS)
        )
        return base.ParsedSet(
            line=line,
            exercise_name=exercise,
            set_type=set_type,
            weight_kg=weight_kg,
            weight_unit=weight_unit if weight_kg is not None else None,
            reps=reps,
            duration_s=seconds or None,
            distance_m=distance_m or None,
            distance_unit=distance_unit if distance_m else None,
            rpe=self._checked(RPE, v.rpe_value, self._number(record, RPE)),
            notes=v.clean_note(self._field(record, NOTES)),
        )

    def _checked(self, key: str, check: Callable[[float | None], _T], value: float | None) -> _T:
        try:
            return check(value)
        except v.ValueIssue as issue:
            raise self._issue(key, issue.code, issue.message) from None

    def _carries_nothing(self, record: list[str]) -> bool:
        try:
            return not any(self._number(record, key) for key in (WEIGHT, REPS, DISTANCE))
        except v.ValueIssue:
            return False

    def _units(self, record: list[str]) -> tuple[base.WeightUnit | None, base.DistanceUnit | None]:
        """The row's unit columns win over the header's units and the caller's."""
        weight_text = self._field(record, WEIGHT_UNIT).strip()
        distance_text = self._field(record, DISTANCE_UNIT).strip()
        weight = v.weight_unit_of(weight_text) if weight_text else self.weight_unit
        distance = v.distance_unit_of(distance_text) if distance_text else self.distance_unit
        for key, text, unit in (
            (WEIGHT_UNIT, weight_text, weight),
            (DISTANCE_UNIT, distance_text, distance),
        ):
            if text and unit is None:
                raise self._issue(key, "invalid_unit", f"{text!r} is not a known unit")
        return weight, distance

    def _measure(
        self,
        line: int,
        record: list[str],
        key: str,
        to_si: float | None,
        high: float,
        argument: str,
    ) -> float | None:
        """A weight or distance times ``to_si`` (None: no unit from row, header or caller).

        A non-zero value left without a unit stops the import with ``unit_required``.
        """
        value = self._number(record, key)
        if value is None:
            return None
        if to_si is None and value > 0:
            raise base.ImportFormatError(
                "unit_required",
                (
                    f"column {self.layout.labels[key]!r} has values without a unit (line {line}: "
                    f"{value:g}); pass {argument} or set unit_system on the profile"
                ),
            )
        si = value * to_si if to_si is not None else value
        what = "weight (kg)" if key == WEIGHT else "distance (m)"
        return self._checked(key, lambda x: v.in_range(x, 0, high, what), si)

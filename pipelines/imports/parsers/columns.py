"""A CSV layout bound to one file's header: which column holds which field, in which unit.

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
import re
from dataclasses import dataclass, replace

from api.imports.layouts import F, Layout, map_header, translated
from pipelines.imports.parsers import dates
from pipelines.imports.parsers import values as v
from pipelines.imports.parsers.base import DistanceUnit, ImportFormatError, WeightUnit
from pipelines.imports.parsers.numbers import NumberStyle

_CELLS = (F.WEIGHT, F.REPS, F.DISTANCE, F.DURATION)
Cells = dict[str, tuple[float, str | None, str]]
"""Measure → (value, unit label or None, the field of the column it came from)."""


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
    header: tuple[str, ...] = ()
    """Every header name as written, read or not (for messages)."""

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
        for key in _CELLS:
            index = self.index.get(key)
            if index is None:
                continue
            text = record[index]
            if not text or text.isspace():
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
    first_line = re.match(r"[^\r\n]*", text).group()  # type: ignore[union-attr]
    diagnostics: list[tuple[int, list[str]]] = []
    candidates: list[tuple[str, list[str]]] = []
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
        if translated(layout, names):
            candidates.append((delimiter, names))
    for delimiter, names in candidates:
        columns = _positional(layout, names, _first_record(text, delimiter), delimiter)
        if columns is not None:
            return columns
    _, problems = max(diagnostics, key=lambda item: item[0], default=(0, ["no columns"]))
    raise ImportFormatError(
        "unsupported_format",
        f"not a {layout.name} CSV export: the header (line 1) has " + " and ".join(problems),
    )


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
            header=tuple(name.strip() for name in names),
        )  # fmt: skip
    return None


def _bind(layout: Layout, names: list[str], delimiter: str) -> tuple[Columns | None, list[str]]:
    found = map_header(layout, names)
    units, labels = found.units, found.labels
    weight_unit = v.weight_unit_of(units.get(F.WEIGHT, ""))
    distance_unit = v.distance_unit_of(units.get(F.DISTANCE, ""))
    seconds = v.parse_duration("1" + units[F.DURATION]) if F.DURATION in units else None
    whole = F.WORKOUT_DURATION
    workout_seconds = v.parse_duration("1" + units[whole]) if whole in units else None
    problems = list(found.problems)
    for key, known in (
        (F.WEIGHT, weight_unit),
        (F.DISTANCE, distance_unit),
        (F.DURATION, seconds),
        (whole, workout_seconds),
    ):
        if key in units and known is None:
            problems.insert(0, f"an unknown unit in column {labels[key]!r}")
    if problems:
        return None, problems
    columns = Columns(
        layout, delimiter, len(names), found.index, labels, weight_unit, distance_unit
    )
    header = tuple(name.strip().strip('"') for name in names)
    return replace(
        columns, seconds_per_unit=seconds, workout_seconds=workout_seconds, header=header
    ), []

"""Gym-app CSV exports (Strong, Hevy, FitNotes, GymBook, …) read by one engine from layouts.

:func:`parse_csv` reads a file whose layout the detector named
(:func:`api.imports.formats.detect_format`) into
:class:`ParseResult`: physical line numbers, one ``RowError`` per rejected record, and
a workout with any rejected record refused whole (``workout_rejected``). Rows become
workouts by the layout's ``group_by`` fields, in file order; sets keep their order.

The file is read in two passes. The first splits records and sets aside those whose
field count differs from the header's; from the well-formed ones it decides, once for
the file, how dates (:mod:`dates`) and numbers (:mod:`numbers`) are written. The
second recovers records broken by an unquoted delimiter in a text field
(:mod:`recovery`) and builds the workouts (:mod:`csv_rows`).

Choices where the apps leave a gap, stated once here:

* A date without a time (FitNotes) starts its workout at the layout's nominal local
  time (noon); ``warnings`` says so. A per-set time (GymBook ``Orario``) starts the
  workout at its earliest set and ends it at its latest.
* Skipped sets (GymBook ``Saltato`` = ``Si``) and rest timers (Strong) are neither sets
  nor errors; they are counted in ``rows``, skipped sets in a warning too.
* An unknown unit in a per-row unit column is a row error ``invalid_unit`` when the
  value is non-zero, and is ignored, with a warning, when the value is zero or empty.
* A Hevy superset id becomes a ``superset <id>`` line in the set's notes.
* An end time or duration that cannot be read, or ends before the start, is left out
  (it only decorates the workout); an unreadable start rejects the workout.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from api.imports.layouts import LAYOUTS, F, Layout
from pipelines.imports.parsers import base, dates, numbers, recovery
from pipelines.imports.parsers import values as v
from pipelines.imports.parsers.columns import Columns, bind
from pipelines.imports.parsers.csv_rows import Record, WorkoutReader, is_numbered
from pipelines.imports.parsers.dates import DateOrder

_PROGRESS_EVERY = 1000
_MEASURES = (F.WEIGHT, F.REPS, F.DISTANCE, F.DURATION, F.RPE)


def parse_csv(
    data: bytes,
    *,
    layout: str | Layout,
    time_zone: str,
    weight_unit: base.WeightUnit | None,
    distance_unit: base.DistanceUnit | None,
    date_order: DateOrder | None = None,
    on_progress: base.ProgressCallback | None = None,
) -> base.ParseResult:
    """Read a gym-app CSV export into workouts and sets.

    Parameters
    ----------
    data : bytes
        The whole file, UTF-8 (a BOM is fine).
    layout : str or Layout
        A name from :data:`layouts.LAYOUTS` (``"strong"``, ``"hevy"``, ``"fitnotes"``,
        ``"gymbook"``) or a :class:`Layout` table.
    time_zone : str
        IANA zone of the file's wall-clock dates and times (a DST-gap time moves
        forward by the gap, see :func:`values.localize`).
    weight_unit, distance_unit : str or None
        Unit of values the file does not label; a unit in the cell, a unit column or
        the header wins.
    date_order : {"dmy", "mdy", "ymd"}, optional
        How to read the dates when the file's own values leave more than one order.
    on_progress : callable, optional
        Called with the fraction read (0–1) every 1,000 records and with 1.0 at the end.

    Returns
    -------
    ParseResult
        ``format`` is the layout name; ``rows`` counts data records (rest timers and
        skipped sets too). Sets in kg, m and s with the unit they came in. A workout
        written k ≥ 2 times whole is kept once (``duplicates_collapsed`` += k − 1)
        only where the layout says identical rows cannot be real sets.

    Raises
    ------
    ImportFormatError
        ``invalid_time_zone``, ``invalid_unit``, ``empty_file``, ``binary_file``,
        ``encoding``, ``unsupported_format``, ``malformed``, ``no_rows``,
        ``ambiguous_date_order`` (names a date that reads two ways),
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
    lines_total = text.count("\n") + 1
    well_formed: list[Record] = []
    misfits: list[Record] = []
    for line, record in v.csv_records(text, columns.delimiter):
        (well_formed if len(record) == columns.width else misfits).append((line, record))
        read = len(well_formed) + len(misfits)
        if on_progress is not None and read % _PROGRESS_EVERY == 0:
            on_progress(min(0.45, 0.45 * line / lines_total))
    rows = len(well_formed) + len(misfits)
    if rows == 0:
        raise base.ImportFormatError(
            "no_rows", f"the file has a {spec.name} header but no data rows"
        )
    units = (weight_unit, distance_unit)
    reader = _reader(columns, well_formed, misfits, zone, units, date_order)
    found = recovery.recover(misfits, columns, reader, well_formed)
    records = sorted(well_formed + found.records) if found.records else well_formed
    return _assemble(columns, reader, records, found, rows, on_progress)


def _cells(
    columns: Columns, records: list[Record], *keys: str, distinct: bool = True
) -> Iterator[str]:
    """The cells of the ``keys`` columns: each once, or once per row (``distinct=False``)."""
    for key in keys:
        index = columns.index.get(key)
        if index is not None:
            if distinct:
                yield from {record[index] for _, record in records}
            else:
                yield from [record[index] for _, record in records]


def _reader(
    columns: Columns,
    records: list[Record],
    misfits: list[Record],
    zone: ZoneInfo,
    units: tuple[base.WeightUnit | None, base.DistanceUnit | None],
    date_order: DateOrder | None,
) -> WorkoutReader:
    """The file's one date format and number style, decided from its well-formed records
    (and, for dates, from what the misfit records' date cells could be)."""
    spec = columns.layout
    style = numbers.detect_style(
        _cells(columns, records, *_MEASURES), default=spec.decimal, delimiter=columns.delimiter
    )
    # Once per row: the format most rows are written in wins (dates.detect).
    date_cells = [*_cells(columns, records, F.DATE, F.END, distinct=False)]
    for key in (F.DATE, F.END):
        date_cells.extend(recovery.shifted_cells(misfits, columns, key))
    date_reader = dates.detect(
        date_cells,
        column=columns.labels[F.DATE],
        date_order=date_order,
        times=set(_cells(columns, records, F.TIME)),
        locale=spec.locale,
    )
    return WorkoutReader(columns, zone, *units, dates=date_reader, style=style)


def _assemble(
    columns: Columns,
    reader: WorkoutReader,
    records: list[Record],
    found: recovery.Recovered,
    rows: int,
    on_progress: base.ProgressCallback | None,
) -> base.ParseResult:
    spec = columns.layout
    # A workout's identity: the text of its group_by fields the file has.
    present = [i for key in spec.group_by if (i := columns.index.get(key)) is not None]
    skip_column = columns.index.get(F.SKIPPED)
    reader.errors.extend(found.errors)
    groups: dict[tuple[str, ...], list[Record]] = {}
    tainted: dict[tuple[str, ...], list[int]] = {}
    for line, record in found.unreadable:
        # A cut-off record still names its workout, which is then incomplete.
        if all(i < len(record) for i in present):
            tainted.setdefault(tuple([record[i] for i in present]), []).append(line)
        else:
            reader.rows_rejected += 1
    skipped = 0
    for line, record in records:
        if skip_column is not None and spec.flags.get(record[skip_column].strip().casefold()):
            skipped += 1
            continue
        key = tuple([record[i] for i in present])
        groups.setdefault(key, []).append((line, record))
    workouts: list[base.ParsedWorkout] = []
    collapsed = 0
    for done, (key, group) in enumerate(groups.items()):
        if on_progress is not None and done and done % _PROGRESS_EVERY == 0:
            on_progress(0.45 + 0.45 * done / len(groups))
        period = v.repeat_period([record for _, record in group])
        if period < len(group) and (
            spec.collapse_repeats == "always"
            or (
                spec.collapse_repeats == "numbered"
                and any(is_numbered(columns, record) for _, record in group[:period])
            )
        ):
            collapsed += len(group) // period - 1
            group = group[:period]
        workout = reader.workout(group, bad_lines=tainted.pop(key, []))
        if workout is not None:
            workouts.append(workout)
    reader.rows_rejected += sum(len(lines) for lines in tainted.values())
    reader.errors.sort(key=lambda error: error.line)
    if on_progress is not None:
        on_progress(1.0)
    warnings = reader.warnings(skipped, has_workouts=bool(workouts))
    if found.columns:
        what = " or ".join(sorted({columns.labels.get(k, k) for k in found.columns}))
        warnings.append(
            f"{len(found.records) - found.trailing} rows had an unquoted "
            f"{columns.delimiter!r} inside {what}; each could be read only one way and was "
            "imported"
        )
    if found.trailing:
        warnings.append(
            f"{found.trailing} rows ended in empty fields past the header's "
            f"{columns.width} (a trailing {columns.delimiter!r}); they were read without them"
        )
    tally = Counter((e.code, e.column) for e in reader.errors if e.code != "workout_rejected")
    return base.ParseResult(
        format=spec.name,
        rows=rows,
        workouts=workouts,
        errors=reader.errors[: base.MAX_ERRORS],
        duplicates_collapsed=collapsed,
        errors_total=len(reader.errors),
        rows_rejected=reader.rows_rejected,
        warnings=warnings,
        error_tally=dict(tally),
    )

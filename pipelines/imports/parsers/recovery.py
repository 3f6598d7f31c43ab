"""Records broken by an unquoted delimiter inside a text field, put back together.

Apps write free text unquoted: FitNotes exports ``Lateral Raise (Single Arm, Cable)`` as
two fields, one too many. Such a record has ``k`` extra fields; it is recovered when
exactly one of its text columns (exercise, title, notes, or a column the layout does
not read) can take them back — re-joined with the delimiter, every piece with a letter
(a text does not start or end with the delimiter; ``Bench Press (Barbell),1,40`` is a
name and unquoted decimal commas, not a name) — so that every other
field reads as the layout says: the date as the file's dates, numbers as its numbers,
counters (workout number, superset id) as whole numbers, the set type from the table,
and brackets balanced in every text field (``(Single Arm`` is not a name). No reading,
or more than one, rejects the record (``malformed_row``) with its line and the reason.
Empty fields at the end may be a trailing delimiter: readings without them are tried
too. Where two readings remain, the one whose columns the layout does not read hold
values they hold in the file's well-formed records wins (FitNotes' ``Category`` is
``Shoulders`` on other rows, never ``Hammer,Shoulders``), then the one whose re-joined
text has no space at either end (apps trim what they write: ``Curl, Hammer`` splits
into ``Curl`` and `` Hammer``, and `` Hammer,Arms`` is no value an app wrote). Records
with too few fields (a file cut off) are never recovered.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from api.imports.layouts import F
from pipelines.imports.parsers import base
from pipelines.imports.parsers import values as v
from pipelines.imports.parsers.columns import Columns
from pipelines.imports.parsers.csv_rows import Record, WorkoutReader

_TEXT = (F.EXERCISE, F.TITLE, F.NOTES, F.WORKOUT_NOTES)
_PAIRS = ("()", "[]", "{}")


@dataclass(slots=True)
class Recovered:
    """What :func:`recover` made of the misfit records."""

    records: list[Record] = field(default_factory=list)
    """Recovered records, header-wide."""
    columns: set[str] = field(default_factory=set)
    """Fields (or header names of unread columns) that held the delimiter."""
    trailing: int = 0
    """Recovered records whose extra fields were empty ones at the end (a trailing delimiter)."""
    unreadable: list[Record] = field(default_factory=list)
    """Records left as they were: rejected, and their workouts with them."""
    errors: list[base.RowError] = field(default_factory=list)


def _balanced(text: str) -> bool:
    return all(text.count(pair[0]) == text.count(pair[1]) for pair in _PAIRS)


def _reads(columns: Columns, reader: WorkoutReader, line: int, record: list[str]) -> bool:
    """Whether every field of ``record`` reads as the layout says."""
    if reader.dates.read(columns.field(record, F.DATE)) is None:
        return False
    end = columns.field(record, F.END).strip()
    if end and reader.dates.read(end) is None:
        return False
    # Workout numbers and superset ids are counters (Strong "Workout #", Hevy "superset_id").
    for key in (F.WORKOUT_NO, F.SUPERSET):
        number = columns.field(record, key).strip()
        if number and not number.isdigit():
            return False
    duration = columns.field(record, F.WORKOUT_DURATION).strip()
    bare = columns.workout_seconds == 1.0
    if duration and v.parse_duration(duration, bare_seconds=bare) is None:
        return False
    ignored = reader.ignored_units.copy()
    try:
        reader.set_of(line, record)
    except (v.ValueIssue, base.ImportFormatError):
        return False
    finally:
        reader.ignored_units = ignored
    return True


def _text_columns(columns: Columns) -> list[int]:
    read = {index: key for key, index in columns.index.items()}
    return [i for i in range(columns.width) if read.get(i, F.NOTES) in _TEXT]


def shifted_cells(misfits: list[Record], columns: Columns, key: str) -> Iterator[str]:
    """The cells field ``key`` could hold in each misfit record, one per possible reading.

    For deciding a file's date format when many of its rows are misfits: only cells
    with a digit (a date has one) are given.
    """
    position = columns.index.get(key)
    if position is None:
        return
    text_columns = _text_columns(columns)
    for _, record in misfits:
        extra = len(record) - columns.width
        if extra <= 0:
            continue
        seen = {record[position if position < i else position + extra] for i in text_columns}
        yield from (cell for cell in seen if any(c.isdigit() for c in cell))


TRAILING = -1
"""The reading index of a record whose extra fields were only a trailing delimiter."""


def _pieces_read_as_text(pieces: list[str]) -> bool:
    """Every piece a re-joined text is made of has a letter: a text neither starts nor
    ends with the delimiter, and ``Bench Press (Barbell)`` + ``1`` + ``40`` is a name
    followed by numbers (decimal commas left unquoted), not one name."""
    return all(any(c.isalpha() for c in piece) for piece in pieces)


def _readings(
    record: list[str], columns: Columns, reader: WorkoutReader, line: int
) -> list[tuple[int, list[str]]]:
    """Every (text column, header-wide record) reading of a record with extra fields.

    Trailing empty fields past the header may be a trailing delimiter rather than a
    split: readings without them are tried too (down to the header's width, the
    reading :data:`TRAILING`), and readings that come out the same count once.
    """
    text_columns = _text_columns(columns)
    variants = [record]
    while len(variants[-1]) > columns.width and variants[-1][-1] == "":
        variants.append(variants[-1][:-1])
    found: dict[tuple[str, ...], int] = {}
    for fields in variants:
        extra = len(fields) - columns.width
        if extra == 0:
            if _reads(columns, reader, line, fields):
                found.setdefault(tuple(fields), TRAILING)
            continue
        for i in text_columns:
            pieces = fields[i : i + extra + 1]
            candidate = [*fields[:i], columns.delimiter.join(pieces), *fields[i + extra + 1 :]]
            if tuple(candidate) in found or not _pieces_read_as_text(pieces):
                continue
            texts = (candidate[j] for j in text_columns)
            if all(_balanced(t) for t in texts) and _reads(columns, reader, line, candidate):
                found[tuple(candidate)] = i
    return [(i, list(candidate)) for candidate, i in found.items()]


def _seen(
    readings: list[tuple[int, list[str]]], columns: Columns, vocabulary: dict[int, set[str]]
) -> list[tuple[int, list[str]]]:
    """The readings whose unread columns hold the most values those columns hold in the
    well-formed records (FitNotes' ``Category`` is ``Shoulders`` elsewhere, never
    ``Hammer,Shoulders``)."""

    def score(candidate: list[str]) -> int:
        return sum(candidate[i] in values for i, values in vocabulary.items())

    best = max(score(candidate) for _, candidate in readings)
    return [(i, candidate) for i, candidate in readings if score(candidate) == best]


def recover(
    misfits: list[Record], columns: Columns, reader: WorkoutReader, well_formed: list[Record]
) -> Recovered:
    """Recover the misfit records that have exactly one reading (see the module's rule).

    Parameters
    ----------
    misfits : list of (line, fields)
        Records whose field count differs from the header's.
    columns : Columns
        The layout bound to the file's header.
    reader : WorkoutReader
        With the file's date format and number style, to check each reading.
    well_formed : list of (line, fields)
        The file's other records: where two readings remain, the one whose unread
        columns hold values those columns hold elsewhere in the file is taken.

    Returns
    -------
    Recovered
        Recovered records, and the others with one ``malformed_row`` error each.
    """
    found = Recovered()
    read = {index: key for key, index in columns.index.items()}
    names = {
        i: columns.labels.get(read.get(i, ""), columns.header[i]) for i in range(columns.width)
    }
    unread = [i for i in _text_columns(columns) if i not in read]
    vocabulary = {i: {record[i] for _, record in well_formed} for i in unread}
    for line, record in misfits:
        message = f"the record has {len(record)} fields, the header {columns.width}"
        if len(record) > columns.width:
            readings = _readings(record, columns, reader, line)
            if len(readings) > 1 and vocabulary:
                readings = _seen(readings, columns, vocabulary)
            if len(readings) > 1:  # apps trim values: a re-joined text does not start
                trimmed = [  # with " "
                    (i, c) for i, c in readings if i == TRAILING or c[i] == c[i].strip()
                ]
                readings = trimmed or readings
            if len(readings) == 1:
                index, candidate = readings[0]
                found.records.append((line, candidate))
                if index == TRAILING:
                    found.trailing += 1
                else:
                    found.columns.add(read.get(index, names[index]))
                continue
            where = " or ".join(
                dict.fromkeys(
                    "a trailing delimiter" if i == TRAILING else repr(names[i]) for i, _ in readings
                )
            )
            message += (
                f"; an unquoted {columns.delimiter!r} could have split {where}, so the row "
                "cannot be read one way"
                if readings
                else f"; no text column can hold the extra {columns.delimiter!r}"
            )
        found.unreadable.append((line, record))
        found.errors.append(base.RowError(line, None, "malformed_row", message))
    return found

"""How an import job ends, and what its rejected rows had in common, in words.

The status rule (DESIGN §6), one place for the worker and the CLI:

* ``failed`` — no file of the upload gave a workout to store: nothing was imported
  (every record rejected, or the file unreadable);
* ``partial`` — workouts were stored (or were already stored: duplicates) but the
  job's ``errors`` are not empty: some records, or some files of an archive, were
  rejected;
* ``succeeded`` — workouts were stored and nothing was rejected.

Points a FIT file's sanitising drops count in ``rows_rejected`` but are not errors:
they are reported as ``warnings`` (a documented, lossy reading), so they do not make
a job partial.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # for types only: the CLI imports this module before any parser
    from pipelines.imports.parsers.base import RowError
    from pipelines.imports.parsers.registry import FileResult

Status = Literal["succeeded", "partial", "failed"]

CONSEQUENCE = "workout_rejected"
"""The code of a workout left out because another of its rows was rejected: never a cause."""

# What rows with each code have, in words: (one row, several rows). ``{column}`` is
# the column at fault, quoted, when the error names one.
_PHRASES: dict[str, tuple[str, str]] = {
    "invalid_date": (
        "a date in a format not recognised",
        "dates in a format not recognised",
    ),
    "invalid_time": (
        "a time of day in a format not recognised",
        "times of day in a format not recognised",
    ),
    "invalid_duration": ("a duration not recognised", "durations not recognised"),
    "invalid_number": (
        "a {column}value that is not a number",
        "{column}values that are not numbers",
    ),
    "not_finite": (
        "a {column}value that is not a finite number",
        "{column}values that are not finite numbers",
    ),
    "not_integer": (
        "a {column}value that is not a whole number",
        "{column}values that are not whole numbers",
    ),
    "out_of_range": (
        "a {column}value outside what is possible",
        "{column}values outside what is possible",
    ),
    "invalid_unit": ("a {column}unit not recognised", "{column}units not recognised"),
    "invalid_set_type": ("a set type not recognised", "set types not recognised"),
    "invalid_value": ("a {column}value not recognised", "{column}values not recognised"),
    "missing_value": ("a required {column}value left empty", "required {column}values left empty"),
    "malformed_row": (
        "the wrong number of fields (cut off, or a stray delimiter or quote)",
        "the wrong number of fields (cut off, or a stray delimiter or quote)",
    ),
}
# Codes whose value, quoted, is the whole explanation (a date not in a known format);
# for the others (a value out of range, a cut-off row) the example's message is quoted.
_VALUE_SAYS_IT = frozenset(
    {"invalid_date", "invalid_time", "invalid_duration", "invalid_number", "invalid_unit"}
    | {"invalid_set_type", "invalid_value", "not_finite"}
)
# A message that begins by quoting the value at fault (``repr`` of it), as the parsers'
# messages do: "'Mar 3, 2025' is not a date (…)"; TCX prefixes "activity N: ".
_QUOTED = re.compile(r"""^(?:activity \d+: )?('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def job_status(files: Sequence[FileResult]) -> Status:
    """The final status of a job whose upload parsed into ``files`` (see the module rule)."""
    if not any(f.result is not None and f.result.workouts for f in files):
        return "failed"
    rejected = any(
        f.error is not None or (f.result is not None and (f.result.errors or f.result.errors_total))
        for f in files
    )
    return "partial" if rejected else "succeeded"


def rejected_share(rows: int, rejected: int) -> str:
    """``"2,931 of 8,650 rows (33.9 %) were rejected"``: the share to one decimal."""
    if rows <= 0:
        return f"{rejected:,} rows were rejected"
    percent = 100 * rejected / rows
    shown = "< 0.1" if 0 < percent < 0.05 else f"{percent:.1f}"
    noun = "row" if rows == 1 else "rows"
    verb = "was" if rejected == 1 else "were"
    return f"{rejected:,} of {rows:,} {noun} ({shown} %) {verb} rejected"


@dataclass(slots=True)
class _Cause:
    rows: int = 0
    workouts: int = 0
    example: RowError | None = None
    file: str | None = None


def main_cause(files: Sequence[FileResult]) -> str | None:
    """What most rejected rows had in common, when more than half the rows were rejected.

    Computed from each file's ``ParseResult.errors``. The parsers keep only the first
    ``MAX_ERRORS`` of them (``errors_total`` counts all); the CSV reader also tallies
    every error by code and column (``error_tally``), and then the counts are whole.
    Otherwise they are those of the errors kept, and the sentence says so.

    Errors are grouped by code (and column, so that the words can name it), each
    group counting the records bearing it; the largest group is named. A
    ``workout_rejected`` error is a consequence, not a cause: it is attributed to the
    first other error at or after its line in the same file (a workout's records are
    contiguous in every export read, and its first record opens it), so the sentence
    can say how many workouts such rows cost.

    Returns
    -------
    str or None
        E.g. ``"2,931 rows have dates in a format not recognised, such as
        'Mar 3, 2025, 7:05 PM' (line 2)"``; None when at most half the rows were
        rejected or no row error names a cause (a FIT file's dropped points).
    """
    rows = sum(f.result.rows for f in files if f.result is not None)
    rejected = sum(f.result.rows_rejected for f in files if f.result is not None)
    if rejected * 2 <= rows:
        return None
    causes: dict[tuple[str, str | None], _Cause] = {}
    kept = total = 0
    tallied = 0
    many = len(files) > 1
    for f in files:
        if f.result is None:
            continue
        kept += len(f.result.errors)
        total += max(f.result.errors_total, len(f.result.errors))
        row_errors = sorted(
            (e for e in f.result.errors if e.code != CONSEQUENCE), key=lambda e: e.line
        )
        lines = [e.line for e in row_errors]
        for error in row_errors:
            cause = causes.setdefault((error.code, error.column), _Cause())
            cause.rows += 1
            if cause.example is None:
                cause.example, cause.file = error, f.name if many else None
        for error in f.result.errors:
            if error.code != CONSEQUENCE:
                continue
            at = bisect.bisect_left(lines, error.line)
            if at < len(row_errors):
                causes[(row_errors[at].code, row_errors[at].column)].workouts += 1
        if f.result.error_tally and f.result.errors_total > len(f.result.errors):
            # The parser counted every error: the counts are whole, not of the kept ones.
            tallied += f.result.errors_total - len(f.result.errors)
            for key, count in f.result.error_tally.items():
                causes.setdefault(key, _Cause()).rows += count - sum(
                    1 for e in row_errors if (e.code, e.column) == key
                )
    causes = {key: cause for key, cause in causes.items() if cause.example is not None}
    if not causes:
        return None
    # The most rows first; on a tie, the code met first in the file.
    (code, column), cause = max(causes.items(), key=lambda item: item[1].rows)
    sentence = _sentence(code, column, cause)
    if total > kept + tallied:
        return f"among the first {kept:,} errors listed, {sentence}"
    return sentence


def _sentence(code: str, column: str | None, cause: _Cause) -> str:
    one, many = _PHRASES.get(code, (f"an error {code!r}", f"errors {code!r}"))
    phrase = (one if cause.rows == 1 else many).format(
        column=f"{column!r} " if column is not None else ""
    )
    verb = "row has" if cause.rows == 1 else "rows have"
    text = f"{cause.rows:,} {verb} {phrase}"
    example = cause.example
    assert example is not None
    where = f"{cause.file} line {example.line}" if cause.file else f"line {example.line}"
    quoted = _QUOTED.match(example.message) if code in _VALUE_SAYS_IT else None
    if quoted:
        text += f", such as {quoted.group(1)} ({where})"
    else:
        text += f", such as {where}: {example.message}"
    if cause.workouts:
        many_workouts = cause.workouts > 1
        noun = "workouts holding such rows were" if many_workouts else "workout holding one was"
        text += f"; {cause.workouts:,} {noun} not imported whole"
    return text

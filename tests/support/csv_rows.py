"""Hand-written CSV records, one edge case each, for the CSV reader's unit tests; readings.

Each builder writes one record as its app does (Strong unquoted, Hevy text quoted and
numbers bare, GymBook with units inside the cells); a test changes only the cells it is
about by name, and an unknown name is a ``TypeError``, never a silently ignored cell.
:func:`tally` and :func:`as_written` put a reading in the terms the tests count in.
"""

from __future__ import annotations

from typing import Any

from pipelines.imports.parsers.base import ImportFormatError, ParsedSet, ParseResult
from tests.support.exports import (
    FITNOTES_HEADER,
    HEVY_HEADER,
    STRONG_CLASSIC_HEADER,
    read_csv,
    refused_csv,
    sets_of,
)

STRONG_ROW = {
    "date": "2024-01-01 10:00:00", "name": "Push", "duration": "1h",
    "exercise": "Bench Press (Barbell)", "order": "1", "weight": "100", "reps": "5",
    "distance": "0", "seconds": "0", "notes": "", "workout_notes": "", "rpe": "",
}  # fmt: skip
"""A classic Strong row's cells in :data:`STRONG_CLASSIC_HEADER` order."""
STRONG_HEADER = ",".join(STRONG_CLASSIC_HEADER)
HEVY_CSV_HEADER = ",".join(f'"{name}"' for name in HEVY_HEADER)
FITNOTES_LB_HEADER = FITNOTES_HEADER.replace("(kgs)", "(lbs)")
GYMBOOK_HEADER = (
    "Data,Programma,Orario,Esercizio,Zona,Gruppi muscolari (Primari),"
    "Gruppi muscolari (Secondari),Set / Set di riscaldamento / Set di defaticamento,"
    "Ripetizioni / Tempo,Peso / Distanza,Appunti,Saltato"
)


def _cells(app: str, defaults: dict[str, str], changes: dict[str, str]) -> dict[str, str]:
    if unknown := set(changes) - set(defaults):
        raise TypeError(f"no {app} cell {sorted(unknown)}")
    return {**defaults, **changes}


def strong_row(**changes: str) -> str:
    """One classic Strong record, unquoted: :data:`STRONG_ROW` with ``changes``."""
    return ",".join(_cells("Strong", STRONG_ROW, changes).values())


HEVY_ROW = {
    "title": "Push", "exercise": "Bench Press (Barbell)", "set_type": "normal", "weight": "100",
    "reps": "5", "distance": "", "seconds": "", "rpe": "", "index": "0",
}  # fmt: skip


def hevy_row(start: str = "15 Jan 2024, 07:30", **changes: str) -> str:
    """One Hevy record (text quoted, numbers bare) ending at 15 Jan 2024, 08:30."""
    c = _cells("Hevy", HEVY_ROW, changes)
    return (
        f'"{c["title"]}","{start}","15 Jan 2024, 08:30","","{c["exercise"]}",,"",{c["index"]},'
        f'"{c["set_type"]}",{c["weight"]},{c["reps"]},{c["distance"]},{c["seconds"]},{c["rpe"]}'
    )


GYMBOOK_ROW = {
    "program": "Giorno 1", "kind": "Set", "amount": "10 ripetizioni", "load": "40,00 kg",
    "skipped": "No",
}  # fmt: skip


def gymbook_row(date: str = "09/01/25", clock: str = "19:30", **changes: str) -> str:
    """One Italian GymBook record of "Panca Piana", its units inside the cells."""
    c = _cells("GymBook", GYMBOOK_ROW, changes)
    return (
        f'{date},"{c["program"]}",{clock},"Panca Piana",Petto,"Pettorali","Tricipiti, Spalle",'
        f'{c["kind"]},"{c["amount"]}","{c["load"]}",,{c["skipped"]}'
    )


def csv_file(header: str, *rows: str, end: str = "") -> bytes:
    """``header`` and ``rows`` one a line, then ``end`` (``"\\n"``: a final newline)."""
    return ("\n".join([header, *rows]) + end).encode()


def classic(*rows: str, header: str = STRONG_HEADER) -> bytes:
    """A classic Strong file of ``rows``, ending in a newline as Strong writes it."""
    return csv_file(header, *rows, end="\n")


def hevy(*rows: str, header: str = HEVY_CSV_HEADER) -> bytes:
    """A Hevy file of ``rows`` (no final newline, as Hevy writes it)."""
    return csv_file(header, *rows)


def fitnotes(*rows: str, header: str = FITNOTES_LB_HEADER) -> bytes:
    """A FitNotes file of ``rows`` (pounds unless ``header`` says otherwise)."""
    return csv_file(header, *rows)


def gymbook(*rows: str) -> bytes:
    """An Italian GymBook file of ``rows``."""
    return csv_file(GYMBOOK_HEADER, *rows)


def read_strong(data: bytes, **options: Any) -> ParseResult:
    """``data`` read as Strong, in kilograms unless ``options`` say another ``weight_unit``."""
    return read_csv(data, "strong", **{"weight_unit": "kg", **options})


def refused_strong(data: bytes, **options: Any) -> ImportFormatError:
    """The error refusing ``data`` as Strong (kilograms unless ``options`` say otherwise)."""
    return refused_csv(data, "strong", **{"weight_unit": "kg", **options})


CLEAN = {"rejected": 0, "errors": 0, "collapsed": 0}
"""A reading's :func:`tally` with nothing rejected, no error and no repeat collapsed."""


def tally(result: ParseResult) -> dict[str, int]:
    """A reading's counts: records read, workouts and sets made, records rejected, errors,
    whole-workout repeats collapsed."""
    return {
        "rows": result.rows,
        "workouts": len(result.workouts),
        "sets": len(sets_of(result)),
        "rejected": result.rows_rejected,
        "errors": result.errors_total,
        "collapsed": result.duplicates_collapsed,
    }


def as_written(s: ParsedSet) -> tuple[int, str, str, float | None, str | None, int | None]:
    """A set as a file's line reads: (line, exercise, set type, kg, unit written, reps)."""
    return (s.line, s.exercise_name, s.set_type, s.weight_kg, s.weight_unit, s.reps)

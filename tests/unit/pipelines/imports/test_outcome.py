"""The status rule and the words for a job's rejected rows, on hand-built parse results."""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.imports.outcome import job_status, main_cause, rejected_share
from pipelines.imports.parsers.base import ImportFormatError, ParsedWorkout, ParseResult, RowError
from pipelines.imports.parsers.registry import FileResult

_AT = datetime(2025, 3, 3, 19, 5, tzinfo=UTC)
_WORKOUT = ParsedWorkout(
    line=2, started_at=_AT, local_start=_AT.replace(tzinfo=None), time_zone="UTC", title="A"
)


def _file(
    rows: int,
    errors: list[RowError],
    *,
    rejected: int | None = None,
    errors_total: int | None = None,
    workouts: int = 1,
    name: str = "export.csv",
) -> FileResult:
    result = ParseResult(
        format="strong",
        rows=rows,
        workouts=[_WORKOUT] * workouts,
        errors=errors,
        errors_total=len(errors) if errors_total is None else errors_total,
        rows_rejected=len(errors) if rejected is None else rejected,
    )
    return FileResult(name, result)


def _bad_date(line: int, value: str = "Mar 3, 2025, 7:05 PM") -> RowError:
    return RowError(line, "Date", "invalid_date", f"{value!r} is not a date (YYYY-MM-DD HH:MM:SS)")


def test_status_succeeded_partial_failed() -> None:
    assert job_status([_file(10, [])]) == "succeeded"
    assert job_status([_file(10, [_bad_date(3)])]) == "partial"
    # Nothing to store: failed, whatever the errors.
    assert job_status([_file(1, [_bad_date(2)], workouts=0)]) == "failed"
    # A file of an archive that could not be read makes the job partial, not failed.
    unreadable = FileResult("notes.txt", error=ImportFormatError("unsupported_format", "no"))
    assert job_status([_file(10, []), unreadable]) == "partial"
    assert job_status([unreadable]) == "failed"
    # A FIT file's dropped points are rows_rejected without errors: warnings, not partial.
    assert job_status([_file(500, [], rejected=7)]) == "succeeded"


def test_rejected_share_to_one_decimal() -> None:
    assert rejected_share(8650, 2931) == "2,931 of 8,650 rows (33.9 %) were rejected"  # 33.884
    assert rejected_share(13, 1) == "1 of 13 rows (7.7 %) was rejected"  # 7.692
    assert rejected_share(3, 2) == "2 of 3 rows (66.7 %) were rejected"
    assert rejected_share(100_000, 1) == "1 of 100,000 rows (< 0.1 %) was rejected"
    assert rejected_share(0, 0) == "0 rows were rejected"


def test_no_summary_at_half_or_less() -> None:
    assert main_cause([_file(4, [_bad_date(2), _bad_date(3)])]) is None  # exactly half
    assert main_cause([_file(10, [])]) is None


def test_the_commonest_code_is_named_with_a_quoted_example() -> None:
    errors = [_bad_date(2), _bad_date(3, "3/4/25"), _bad_date(5)]
    errors.insert(2, RowError(4, "Reps", "invalid_number", "'x' is not a number"))
    assert main_cause([_file(5, errors)]) == (
        "3 rows have dates in a format not recognised, such as 'Mar 3, 2025, 7:05 PM' (line 2)"
    )


def test_a_rejected_workout_counts_for_its_cause_not_as_one() -> None:
    # Two workouts of 4 rows each lost to a reps value out of range (1 row each), and
    # one lone bad date: 9 of 10 rows rejected. Counted by rows bearing the code, the
    # out-of-range reps lead (2 rows against 1); the 2 workout_rejected entries are
    # attributed to them, not counted as a code of their own.
    def reps(line: int) -> RowError:
        return RowError(line, "Reps", "out_of_range", "reps 877777 is outside 0–1,000")

    def lost(line: int) -> RowError:
        return RowError(line, None, "workout_rejected", "workout 'A' was not imported")

    errors = [lost(2), reps(3), lost(6), reps(8), _bad_date(10)]
    assert main_cause([_file(10, errors, rejected=9)]) == (
        "2 rows have 'Reps' values outside what is possible, such as line 3: reps 877777 "
        "is outside 0–1,000; 2 workouts holding such rows were not imported whole"
    )


def test_when_errors_were_cut_the_sentence_says_so() -> None:
    errors = [_bad_date(line) for line in range(2, 1002)]
    assert main_cause([_file(3000, errors, rejected=2931, errors_total=2931)]) == (
        "among the first 1,000 errors listed, 1,000 rows have dates in a format not "
        "recognised, such as 'Mar 3, 2025, 7:05 PM' (line 2)"
    )


def test_inside_an_archive_the_example_names_its_file() -> None:
    files = [
        _file(2, [], name="a.csv"),
        _file(3, [_bad_date(2), _bad_date(3), _bad_date(4)], workouts=0, name="b.csv"),
    ]
    assert main_cause(files) == (
        "3 rows have dates in a format not recognised, such as 'Mar 3, 2025, 7:05 PM' "
        "(b.csv line 2)"
    )


def test_past_the_listed_errors_the_csv_tally_counts_every_row() -> None:
    # 1,000 good one-row workouts, then 2,931 whose date no order reads (month 31): the
    # parser lists the first 1,000 errors, and the sentence still counts all 2,931.
    from pipelines.imports.parsers.csv_export import parse_csv

    header = (
        "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,"
        "Notes,Workout Notes,RPE\n"
    )
    good = "".join(
        f"2020-01-01 08:{m // 60:02d}:{m % 60:02d},W{m},1h,Squat,1,100,5,0,0,,,\n"
        for m in range(1000)
    )
    bad = "".join(
        f"31/31/2025 {h % 24}:{h % 60:02d},B{h},1h,Squat,1,100,5,0,0,,,\n" for h in range(2931)
    )
    result = parse_csv(
        (header + good + bad).encode(),
        layout="strong",
        time_zone="UTC",
        weight_unit="kg",
        distance_unit=None,
    )
    assert len(result.errors) == 1000 and result.errors_total == 2931
    assert result.error_tally == {("invalid_date", "Date"): 2931}
    sentence = main_cause([FileResult("export.csv", result)])
    assert sentence is not None and sentence.startswith(
        "2,931 rows have dates in a format not recognised, such as '31/31/2025 0:00' (line 1002)"
    )

"""A job that stores workouts but rejects rows ends ``partial`` and says so, in words."""

from __future__ import annotations

from pipelines.cli import main
from tests.support.csv_rows import STRONG_HEADER
from tests.support.http import register
from tests.support.import_jobs import import_file

HEADER = STRONG_HEADER + "\n"
# No order of day, month and year reads it (month 31), whatever the other dates are.
BAD_DATE = "31/31/2025 19:05"


def _row(date: str, name: str, order: int, weight: int = 100) -> str:
    return f'"{date}","{name}",1h,"Squat (Barbell)",{order},{weight},5,0,0,,,\n'


# 3 good workouts of 4 sets (lines 2–13), then one workout whose date Strong never
# writes (line 14): 13 data rows, 1 rejected.
ONE_BAD = (
    HEADER
    + "".join(
        _row(f"2025-01-0{day} 08:00:00", f"Day {day}", order)
        for day in (1, 2, 3)
        for order in (1, 2, 3, 4)
    )
    + _row(BAD_DATE, "Day 4", 1)
)
# 1 good workout of 2 sets (lines 2–3), then 5 rows in two workouts with bad dates
# (lines 4–8): 7 data rows, 5 rejected, more than half.
MOSTLY_BAD = (
    HEADER
    + _row("2025-01-01 08:00:00", "Good", 1)
    + _row("2025-01-01 08:00:00", "Good", 2)
    + "".join(_row(BAD_DATE, "Evening", order) for order in (1, 2, 3))
    + "".join(_row("2025-01-02 25:00", "Later", order) for order in (1, 2))
)


async def _import(http, headers, body: str) -> dict:
    return await import_file(http, headers, "strong.csv", body, expect="partial", weight_unit="kg")


async def test_a_file_with_one_bad_row_is_partial(live_client):
    headers = await register(live_client)
    job = await _import(live_client, headers, ONE_BAD)
    assert job["status"] == "partial" and job["progress"] == 1.0
    assert job["counts"] == {
        "rows": 13,
        "workouts_created": 3,
        "sets_created": 12,
        "duplicates_skipped": 0,
        "rows_rejected": 1,
    }
    assert [(e["line"], e["column"], e["code"]) for e in job["errors"]] == [
        (14, "Date", "invalid_date")
    ]
    assert job["message"] is None  # 1 of 13 is not more than half
    listing = (await live_client.get("/v1/workouts", headers=headers)).json()["items"]
    assert sorted(w["title"] for w in listing) == ["Day 1", "Day 2", "Day 3"]


async def test_more_than_half_rejected_says_what_they_had_in_common(live_client):
    headers = await register(live_client)
    job = await _import(live_client, headers, MOSTLY_BAD)
    assert job["counts"]["rows"] == 7 and job["counts"]["rows_rejected"] == 5
    assert job["counts"]["workouts_created"] == 1
    # 5 / 7 = 71.43 %; the first bad value, on line 4, quoted as the file writes it.
    assert job["message"] == (
        "5 of 7 rows (71.4 %) were rejected: 5 rows have dates in a format not "
        f"recognised, such as '{BAD_DATE}' (line 4)"
    )


async def test_forma_import_prints_the_share_and_the_reasons(live_client, tmp_path, capsys):
    email = "operator-partial@example.com"
    headers = await register(live_client, email)
    path = tmp_path / "strong.csv"
    path.write_text(ONE_BAD)
    # Partial is not a crash: exit 0, and the analytics are refreshed as for a success.
    assert main(["import", str(path), "--email", email, "--weight-unit", "kg"]) == 0
    out, err = capsys.readouterr()
    assert "status: partial" in out
    assert "partial: 1 of 13 rows (7.7 %) was rejected; the first reasons:" in out  # 1/13
    assert f"  line 14, Date: invalid_date: '{BAD_DATE}' is not a date" in out
    assert "100%" in err  # the progress bar as before
    summary = (await live_client.get("/v1/analytics/summary", headers=headers)).json()
    assert summary["stale"] is False and summary["workouts"] == 3

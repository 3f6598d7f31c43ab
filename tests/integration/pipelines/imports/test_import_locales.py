"""Exports written in a phone's locale import whole: the four reported files, end to end.

Each file is built by :mod:`tests.support.exports` from synthetic training and
uploaded through ``POST /v1/imports`` (or ``forma import``); what is stored is compared
with what the training was, never with the file's text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from pipelines.cli import main
from tests.support import exports as x
from tests.support.http import assert_error, register
from tests.support.import_jobs import import_file

_DAYS = x.spread_days(14)
_PLAN = x.training_plan(_DAYS)
# Every day and month ≤ 12 and different: 03/04/2025 is 3 April or 4 March.
_AMBIGUOUS_DAYS = [date(2025, 3, 4), date(2025, 5, 6), date(2025, 1, 2), date(2025, 11, 12)]


def _swapped(days: list[date]) -> list[date]:
    return [date(d.year, d.day, d.month) for d in days]


def _mdy_strong(days: list[date], time_zone: str) -> x.Export:
    """A classic Strong file from a US phone: ``03/04/2025 18:05`` (month first)."""
    plan = x.training_plan(days)
    return x.strong_classic_csv(
        plan, locale="en_US", time_zone=time_zone, date_pattern="MM/dd/y HH:mm"
    )


def _dates_of(export: x.Export) -> set[str]:
    """The first column's values of a comma-separated, quoted export."""
    return {row.split(",")[0].strip('"') for row in export.content.decode().splitlines()[1:]}


# (case, builder, time zone): the four reported exports.
CASES: list[tuple[str, Callable[[str], x.Export], str]] = [
    ("hevy-us-12h", lambda tz: x.hevy_csv(_PLAN, locale="en_US", time_zone=tz), "America/Chicago"),
    ("hevy-pt", lambda tz: x.hevy_csv(_PLAN, locale="pt_BR", time_zone=tz), "America/Sao_Paulo"),
    ("fitnotes-commas", lambda tz: x.fitnotes_csv(_PLAN, time_zone=tz), "Europe/London"),
    (
        "strong-eu-decimal-comma",
        lambda tz: x.strong6_csv(_PLAN, locale="de_DE", time_zone=tz),
        "Europe/Berlin",
    ),
]


async def _upload(
    http: httpx.AsyncClient, headers: dict[str, str], export: x.Export, **form: str
) -> httpx.Response:
    """``POST /v1/imports`` with the export and its form fields (``form`` wins)."""
    return await http.post(
        "/v1/imports",
        headers=headers,
        files={"file": (export.filename, export.content, "text/csv")},
        data={**export.form, **form},
    )


async def _import(
    http: httpx.AsyncClient, headers: dict[str, str], export: x.Export, status: str, **form: str
) -> dict[str, Any]:
    """Upload, run the job in this process, check its status and return the job."""
    fields = {**export.form, **form}
    return await import_file(
        http, headers, export.filename, export.content, expect=status, **fields
    )


async def _stored(http: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every workout of the athlete with its sets, oldest first."""
    listing = await http.get("/v1/workouts", headers=headers, params={"limit": 200})
    assert listing.status_code == 200, listing.text
    assert listing.json()["next_cursor"] is None
    details = []
    for item in listing.json()["items"]:
        detail = await http.get(f"/v1/workouts/{item['id']}", headers=headers)
        assert detail.status_code == 200, detail.text
        details.append(detail.json())
    return sorted(details, key=lambda w: w["started_at"])


def _as_stored(workouts: list[dict[str, Any]]) -> list[x.ExpectedWorkout]:
    """The stored workouts in the shape of :class:`ExpectedWorkout` (exact floats)."""

    def utc(text: str | None) -> datetime | None:
        return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))

    return [
        x.ExpectedWorkout(
            started_at=utc(w["started_at"]),  # type: ignore[arg-type]
            ended_at=utc(w["ended_at"]),
            sets=tuple((s["weight_kg"], s["reps"]) for s in w["sets"]),
        )
        for w in workouts
    ]


def _counts(export: x.Export, *, rejected: int = 0) -> dict[str, int]:
    """The job's counts when it stores ``export.expected`` and rejects ``rejected`` rows."""
    return {
        "rows": export.rows,
        "workouts_created": len(export.expected),
        "sets_created": export.sets,
        "duplicates_skipped": 0,
        "rows_rejected": rejected,
    }


@pytest.mark.parametrize(("case", "build", "time_zone"), CASES, ids=[c[0] for c in CASES])
async def test_a_phone_export_imports_every_row(live_client, case, build, time_zone):
    headers = await register(live_client)
    export = build(time_zone)
    assert len(export.expected) == len(_DAYS) and export.rows == export.sets
    job = await _import(live_client, headers, export, "succeeded", time_zone=time_zone)
    assert job["counts"] == _counts(export)
    assert job["errors"] == [] and job["message"] is None
    stored = await _stored(live_client, headers)
    # Start (and end) times in the given zone, and every weight exact: 61.25, not 61.2.
    assert _as_stored(stored) == list(export.expected)
    assert all(w["time_zone"] == time_zone for w in stored)
    if case == "fitnotes-commas":
        names = {s["exercise_name"] for w in stored for s in w["sets"]}
        assert "Lateral Raise (Single Arm, Cable)" in names  # re-joined, not cut at the comma
        assert not any(
            name.startswith("Lateral Raise (Single Arm") and "," not in name for name in names
        )
        assert any("unquoted ','" in warning for warning in job["warnings"])


async def test_an_ambiguous_numeric_file_needs_date_order(live_client):
    headers = await register(live_client)
    time_zone = "America/New_York"
    export = _mdy_strong(_AMBIGUOUS_DAYS, time_zone)
    written = export.content.decode().splitlines()[1].split(",")[0].strip('"')
    assert written.startswith("03/04/2025 ")  # 4 March as a US phone writes it
    job = await _import(live_client, headers, export, "failed", time_zone=time_zone)
    assert [e["code"] for e in job["errors"]] == ["ambiguous_date_order"]
    message = job["errors"][0]["message"]
    assert job["message"] == message and "date_order" in message
    assert any(f"'{value}'" in message for value in _dates_of(export)), message
    assert job["counts"]["workouts_created"] == 0
    assert (await live_client.get("/v1/workouts", headers=headers)).json()["items"] == []

    # Month first: 03/04/2025 is 4 March, as written.
    job = await _import(
        live_client, headers, export, "succeeded", time_zone=time_zone, date_order="mdy"
    )
    assert job["counts"] == _counts(export)
    stored = _as_stored(await _stored(live_client, headers))
    assert stored == list(export.expected)
    # 2 January (the plan's third workout) at 19:19 in New York is 00:19 UTC the next day.
    assert stored[0].started_at == datetime(2025, 1, 3, 0, 19, tzinfo=UTC)
    local = [s.started_at.astimezone(ZoneInfo(time_zone)).date() for s in stored]
    assert local == sorted(_AMBIGUOUS_DAYS)


async def test_forma_import_date_order_dmy_reads_day_first(live_client, tmp_path, capsys):
    email = "operator-dmy@example.com"
    headers = await register(live_client, email)
    time_zone = "Europe/Dublin"
    export = _mdy_strong(_AMBIGUOUS_DAYS, time_zone)
    path = tmp_path / export.filename
    path.write_bytes(export.content)
    base = ["import", str(path), "--email", email, "--weight-unit", "kg", "--time-zone", time_zone]
    # Without an order the job fails (exit 1) and the report says what to pass.
    assert main(base) == 1
    out = capsys.readouterr().out
    assert "status: failed" in out and "ambiguous_date_order" in out
    assert any(f"'{value}'" in out for value in _dates_of(export)), out
    assert main([*base, "--date-order", "dmy"]) == 0
    out = capsys.readouterr().out
    assert "status: succeeded" in out and f"workouts_created: {len(_AMBIGUOUS_DAYS)}" in out
    # Day first: 03/04/2025 is 3 April; the same training a day-first phone would have had.
    day_first = x.training_plan(_swapped(_AMBIGUOUS_DAYS))
    expected = x.strong_classic_csv(
        day_first, locale="en_GB", time_zone=time_zone, date_pattern="dd/MM/y HH:mm"
    ).expected
    stored = _as_stored(await _stored(live_client, headers))
    assert [w.started_at for w in stored] == [w.started_at for w in expected]
    assert date(2025, 4, 3) in {w.started_at.date() for w in stored}
    assert date(2025, 3, 4) not in {w.started_at.date() for w in stored}


async def test_date_order_must_be_one_of_three(live_client):
    headers = await register(live_client)
    export = _mdy_strong(_AMBIGUOUS_DAYS, "UTC")
    for bad in ("xyz", "DMY", "d/m/y"):
        response = await _upload(live_client, headers, export, date_order=bad)
        error = assert_error(response, 422)
        assert ["body", "date_order"] in [d.get("loc") for d in error["details"]], error


@pytest.mark.parametrize("order", ["dmy", "mdy", "ymd"])
async def test_date_order_on_an_unambiguous_file_is_harmless(live_client, order):
    time_zone = "America/Chicago"
    export = x.hevy_csv(_PLAN, locale="en_US", time_zone=time_zone)
    plain_headers = await register(live_client)
    plain = await _import(live_client, plain_headers, export, "succeeded", time_zone=time_zone)
    headers = await register(live_client)
    job = await _import(
        live_client, headers, export, "succeeded", time_zone=time_zone, date_order=order
    )
    assert job["counts"] == plain["counts"] == _counts(export)
    assert job["errors"] == []
    stored = _as_stored(await _stored(live_client, headers))
    assert stored == _as_stored(await _stored(live_client, plain_headers)) == list(export.expected)


def _with_bad_dates(export: x.Export, title: str, bad: str, time_zone: str) -> x.Export:
    """The export with every start time of workout ``title`` replaced by ``bad``."""
    lines = export.content.decode().splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        if line.startswith(f'"{title}",'):
            cells = line.split('","')
            cells[1] = bad
            line = '","'.join(cells)
        out.append(line)
    keep = x.expected_workouts([w for w in _PLAN if w.title != title], time_zone)
    return x.Export(export.filename, ("\n".join(out) + "\n").encode(), export.rows, keep)


_BAD_DATE = "Mar 33, 2025, 7:05 PM"  # no 33 March in any order


async def test_unreadable_dates_make_a_partial_job(live_client, tmp_path, capsys):
    time_zone = "America/Chicago"
    good = x.hevy_csv(_PLAN, locale="en_US", time_zone=time_zone)
    export = _with_bad_dates(good, "Session 3", _BAD_DATE, time_zone)
    bad_rows = len(_PLAN[2].sets)
    headers = await register(live_client)
    job = await _import(live_client, headers, export, "partial", time_zone=time_zone)
    assert job["counts"] == _counts(export, rejected=bad_rows)
    causes = [e for e in job["errors"] if e["code"] != "workout_rejected"]
    assert [e["code"] for e in causes] == ["invalid_date"] * bad_rows
    assert all(_BAD_DATE in e["message"] for e in causes)
    assert _as_stored(await _stored(live_client, headers)) == list(export.expected)

    email = "operator-locale-partial@example.com"
    await register(live_client, email)
    path = tmp_path / export.filename
    path.write_bytes(export.content)
    assert main(["import", str(path), "--email", email, "--time-zone", time_zone]) == 0
    out = capsys.readouterr().out
    share = 100 * bad_rows / export.rows
    assert "status: partial" in out
    assert (
        f"partial: {bad_rows} of {export.rows} rows ({share:.1f} %) were rejected; "
        "the first reasons:"
    ) in out
    assert "invalid_date" in out and _BAD_DATE in out


def test_the_builders_write_the_documented_spellings():
    # The builders are checked against the formats the bug reports quote, so that the
    # tests above exercise those formats and not a spelling of our own.
    assert x.hevy_date(datetime(2025, 3, 3, 19, 5), "en_US") == "Mar 3, 2025, 7:05 PM"
    assert x.hevy_date(datetime(2025, 3, 3, 0, 30), "en_US") == "Mar 3, 2025, 12:30 AM"
    assert x.hevy_date(datetime(2025, 2, 14, 7, 34), "pt_BR") == "14 Fev 2025, 07:34"
    assert x.hevy_date(datetime(2025, 9, 1, 7, 34), "pt_BR") == "1 Set 2025, 07:34"
    plan = x.training_plan([date(2020, 1, 3)], exercises=["Lateral Raise (Single Arm, Cable)"])
    fitnotes = x.fitnotes_csv(plan, time_zone="UTC").content.decode().splitlines()
    assert fitnotes[0] == x.FITNOTES_HEADER
    assert fitnotes[1] == "2020-01-03,Lateral Raise (Single Arm, Cable),Shoulders,7.5,5,,,"
    strong = x.strong6_csv(
        x.training_plan([date(2025, 3, 3)], exercises=["Squat (Barbell)"]),
        locale="de_DE",
        time_zone="UTC",
    )
    rows = strong.content.decode().splitlines()
    assert rows[0].startswith('"Workout #";"Date";') and '"Weight (kg)"' in rows[0]
    assert rows[2].split(";")[6] == '"81,25"'  # 80 + 1.25 kg, decimal comma

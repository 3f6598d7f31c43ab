"""``forma import``: an operator imports a file with a progress bar and reads the report."""

from __future__ import annotations

from pipelines.cli import main
from tests.conftest import REAL_DATA
from tests.support.http import register


async def test_import_command_reports_and_refreshes(live_client, capsys):
    email = "operator-import@example.com"
    headers = await register(live_client, email)
    path = REAL_DATA / "tcx" / "forerunner410-run-3laps-hr.tcx"
    assert main(["import", str(path), "--email", email]) == 0
    out, err = capsys.readouterr()
    assert "status: succeeded" in out and "workouts_created: 1" in out
    assert "100%" in err  # the progress bar reached its end
    summary = (await live_client.get("/v1/analytics/summary", headers=headers)).json()
    assert summary["stale"] is False and summary["workouts"] == 1
    workouts = (await live_client.get("/v1/workouts", headers=headers)).json()["items"]
    detail = (await live_client.get(f"/v1/workouts/{workouts[0]['id']}", headers=headers)).json()
    assert detail["cardio"]["sport"] == "run" and detail["cardio"]["load"] > 0

    # Again: nothing added; the report says why.
    assert main(["import", str(path), "--email", email]) == 0
    assert "duplicates_skipped: 1" in capsys.readouterr().out


async def test_import_command_refusals(live_client, tmp_path, capsys):
    email = "operator-refusal@example.com"
    await register(live_client, email)
    assert main(["import", str(tmp_path / "missing.csv"), "--email", email]) == 2
    junk = tmp_path / "junk.csv"
    junk.write_text("name,age\nalice,30\n")
    assert main(["import", str(junk), "--email", email]) == 2
    assert "not a recognised export" in capsys.readouterr().err
    strong = REAL_DATA / "strong" / "strong-kg-swedish-names.csv"
    assert main(["import", str(strong), "--email", "nobody@example.com"]) == 2
    # A classic Strong file without a unit fails, saying which unit to pass.
    assert main(["import", str(strong), "--email", email]) == 1
    assert "weight_unit" in capsys.readouterr().out
    assert main(["import", str(strong), "--email", email, "--weight-unit", "kg"]) == 0

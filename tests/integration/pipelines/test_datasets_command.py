"""``forma datasets``: the list, and an export read back as a hive-partitioned Parquet
dataset (``pyarrow.dataset``) with the dataset's rows and months; exports of an existing
snapshot, and the command's refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from pipelines.cli import main
from pipelines.demo.population import generate
from pipelines.demo.seed import seed
from tests.support.training_runs import committed  # noqa: F401

END = date(2025, 6, 30)
ATHLETES, YEARS, SEED = 3, 0.4, 11


def _expected() -> pd.DataFrame:
    """The demo population's sets: weight and month of the workout's local day, by hand."""
    population = generate(ATHLETES, YEARS, SEED, END, with_truth=False)
    day = population.sessions.set_index("workout_id")["day"]
    sets = population.workout_sets
    days = pd.to_datetime(sets["workout_id"].map(day))
    return pd.DataFrame({"month": days.dt.strftime("%Y-%m"), "weight_kg": sets["weight_kg"]})


def _read(folder: Path) -> pd.DataFrame:
    return pads.dataset(folder, format="parquet", partitioning="hive").to_table().to_pandas()


def test_export_writes_hive_partitioned_parquet(committed, tmp_path, capsys):  # noqa: F811
    seed(committed, athletes=ATHLETES, years=YEARS, seed=SEED, end=END, analytics=False)
    expected = _expected()
    assert main(["datasets", "export", "sets", "--to", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{len(expected)} rows of sets" in out
    folder = tmp_path / "sets"
    months = sorted(p.name for p in folder.iterdir())
    assert months == [f"month={m}" for m in sorted(expected["month"].unique())]
    assert all(p.name.startswith("part-") for p in folder.glob("*/*"))
    assert [p.name for p in folder.glob("month=*/*")][0] == "part-00000.parquet"
    assert "month" not in pq.read_schema(next(folder.glob("month=*/*.parquet"))).names
    assert not list(tmp_path.glob(".*"))  # the staging folder is gone
    table = _read(folder)
    assert len(table) == len(expected)
    counts = table.groupby(table["month"].astype(str)).size().to_dict()
    assert counts == expected.groupby("month").size().to_dict()
    assert table["weight_kg"].sum() == pytest.approx(expected["weight_kg"].sum())

    snapshot_id = out.split("snapshot ")[1].split()[0]
    again = tmp_path / "again"
    assert main(["datasets", "export", "sets", "--to", str(again), "--snapshot", snapshot_id]) == 0
    assert len(_read(again / "sets")) == len(expected)
    # a filtered snapshot: one month, two columns
    month = sorted(expected["month"].unique())[1]
    first = date.fromisoformat(f"{month}-01")
    last = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
    assert main(["datasets", "export", "sets", "--to", str(tmp_path / "one"), "--since",
                 str(first), "--until", str(last), "--columns", "day,weight_kg"]) == 0  # fmt: skip
    one = _read(tmp_path / "one" / "sets")
    assert list(one.columns) == ["day", "weight_kg", "month"]
    assert len(one) == int((expected["month"] == month).sum())

    assert main(["datasets", "list"]) == 0
    listed = capsys.readouterr().out
    assert "sets" in listed and "features" in listed and snapshot_id in listed


def test_refusals_exit_2(committed, tmp_path, capsys):  # noqa: F811
    (tmp_path / "sets").mkdir()
    (tmp_path / "sets" / "mine.txt").write_text("keep me")
    assert main(["datasets", "export", "sets", "--to", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (tmp_path / "sets" / "mine.txt").read_text() == "keep me"
    target = str(tmp_path / "new")
    assert main(["datasets", "export", "nope", "--to", target]) == 2
    assert "no dataset named 'nope'" in capsys.readouterr().err
    assert main(["datasets", "export", "sets", "--to", target, "--sample", "2"]) == 2
    assert "sample" in capsys.readouterr().err
    snapshot = "00000000-0000-0000-0000-000000000001"
    assert main(["datasets", "export", "sets", "--to", target, "--snapshot", snapshot]) == 2
    assert f"no snapshot {snapshot}" in capsys.readouterr().err
    code = main(["datasets", "export", "sets", "--to", target, "--snapshot", snapshot,
                 "--since", "2025-01-01"])  # fmt: skip
    assert code == 2 and "no filters" in capsys.readouterr().err


def test_a_target_that_is_no_folder_is_refused(committed, tmp_path, capsys):  # noqa: F811
    """Refused before any snapshot is taken: nothing is left behind."""
    a_file = tmp_path / "x.txt"
    a_file.write_text("not a folder")
    assert main(["datasets", "export", "sets", "--to", str(a_file)]) == 2
    assert "is not a directory" in capsys.readouterr().err
    under_a_file = a_file / "deeper"
    assert main(["datasets", "export", "sets", "--to", str(under_a_file)]) == 2
    assert "cannot create files under" in capsys.readouterr().err
    with committed.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM dataset_snapshots")).scalar() == 0

"""What Forma computes, as one text to compare before and after a refactoring.

Into a fresh database (dropped and created on the server of ``FORMA_DATABASE_URL``),
this imports every real file of ``../shared/data/real/`` (one user per file) and seeds
the demo population with a fixed seed and end day, refreshes every athlete's analytics,
then prints:

* per file: the import's status and counts (rows, workouts, sets, duplicates, rejected);
* per derived analytics table: its row count and the sum of each numeric column,
  rounded to 6 significant digits.

Two runs of the same code print the same text; a refactoring that changes no
behaviour leaves it unchanged (``diff`` the outputs).

Usage: ``python -m bench.behaviour_snapshot [--data DIR] [--database NAME]``
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SEED_END = date(2026, 6, 30)
#: Files whose bare weights (distances) need a unit (PROVENANCE.md says which): as a user passes it.
WEIGHT_UNITS = {
    "strong/strong-kg-swedish-names.csv": "kg",
    "strong/strong-zh-cn-localized-header.csv": "lb",
    "strong/strong-lbs-large-set-types.csv": "lb",
}
DISTANCE_UNITS = {"strong/strong-lbs-large-set-types.csv": "mi"}
COUNTS = ("rows", "workouts_created", "sets_created", "duplicates_skipped", "rows_rejected")
ATHLETES, YEARS, SEED = 12, 1.0, 7
DERIVED = (
    "analytics_daily_load", "analytics_e1rm_daily", "analytics_exercise_daily",
    "analytics_pr_events", "analytics_rep_max_prs", "analytics_periods",
    "analytics_muscle_weekly",
)  # fmt: skip


def _significant(value: float | None) -> str:
    return "null" if value is None else f"{float(value):.6g}"


def _fresh_database(base_url: str, name: str) -> str:
    url = make_url(base_url)
    admin = create_engine(
        url.set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "PROVENANCE.md")


def _checksums(conn: object) -> list[str]:
    lines = []
    for table in DERIVED:
        columns = (
            conn.execute(  # type: ignore[attr-defined]
                text(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                    "AND data_type IN ('integer', 'bigint', 'smallint', 'double precision', "
                    "'real', 'numeric') ORDER BY column_name"
                ),
                {"t": table},
            )
            .scalars()
            .all()
        )
        sums = ", ".join(f'sum("{c}")::float8' for c in columns)
        row = conn.execute(text(f"SELECT count(*), {sums} FROM {table}")).one()  # type: ignore[attr-defined]
        parts = [f"rows={row[0]}"] + [
            f"{c}={_significant(v)}" for c, v in zip(columns, row[1:], strict=True)
        ]
        lines.append(f"{table}: " + " ".join(parts))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parent.parent
    parser.add_argument("--data", type=Path, default=here.parent / "shared" / "data" / "real")
    parser.add_argument("--database", default="forma_behaviour")
    args = parser.parse_args(argv)
    base = os.environ.get("FORMA_DATABASE_URL")
    if not base:
        print("set FORMA_DATABASE_URL to a PostgreSQL server", file=sys.stderr)
        return 2
    url = _fresh_database(base, args.database)
    os.environ["FORMA_DATABASE_URL"] = url
    os.environ.setdefault("FORMA_SECRET_KEY", "behaviour-snapshot-secret-key-0123456789")

    from pipelines.db import transaction
    from pipelines.demo.seed import engine_for, seed
    from pipelines.imports import store
    from pipelines.imports.task import run_import
    from pipelines.migrate import upgrade
    from pipelines.tasks.analytics import refresh_user

    upgrade(url)
    engine = engine_for(url)
    seed(engine, athletes=ATHLETES, years=YEARS, seed=SEED, end=SEED_END)
    out: list[str] = []
    for number, path in enumerate(_files(args.data)):
        user_id = uuid.UUID(int=number + 1)
        with transaction() as conn:
            conn.execute(
                text("INSERT INTO users (id, email, password_hash) VALUES (:id, :e, 'x')"),
                {"id": user_id, "e": f"file{number}@snapshot.forma.example"},
            )
        from api.imports.formats import detect_format

        content = path.read_bytes()
        found = detect_format(content)
        name = path.relative_to(args.data).as_posix()
        if isinstance(found, tuple):
            out.append(f"{name}: not detected ({found[1]})")
            continue
        with transaction() as conn:
            job_id = store.create_job(
                conn, user_id=user_id, filename=path.name, content=content, fmt=found,
                weight_unit=WEIGHT_UNITS.get(name), distance_unit=DISTANCE_UNITS.get(name), time_zone=None, date_order=None,
            )  # fmt: skip
        status = run_import(job_id)
        with transaction() as conn:
            report = store.job_report(conn, job_id)
        counts = report.get("counts") or {}
        shown = " ".join(f"{k}={counts.get(k, 0)}" for k in COUNTS)
        out.append(f"{name}: {status} {shown}")
        refresh_user(user_id)
    with engine.begin() as conn:
        out += _checksums(conn)
    engine.dispose()
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

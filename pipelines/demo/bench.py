"""``make bench-data``: a big synthetic population in its own database, ``forma_bench``.

The server is the one of ``FORMA_DATABASE_URL`` (default the local test server); the
database is created when missing, migrated, and seeded with ``--replace``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.config import to_sync_url
from pipelines.demo import command

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = "forma_bench"


def bench_url(server_url: str) -> str:
    """The ``forma_bench`` database on the server of ``server_url``."""
    return (
        make_url(to_sync_url(server_url))
        .set(database=BENCH_DB)
        .render_as_string(hide_password=False)
    )


def ensure_database(server_url: str) -> None:
    engine = create_engine(to_sync_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": BENCH_DB}
            ).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    from pipelines.migrate import upgrade

    parser = argparse.ArgumentParser(prog="make bench-data")
    parser.add_argument("--athletes", type=int, default=10_000)
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=command.DEFAULT_SEED)
    args = parser.parse_args(argv)
    server = os.environ.get("FORMA_DATABASE_URL") or DEFAULT_SERVER
    url = bench_url(server)
    ensure_database(server)
    os.environ["FORMA_DATABASE_URL"] = url  # the analytics rebuild reads it (pipelines.db)
    command.database_only_settings(os.environ)
    upgrade(url)
    print(
        f"bench-data: {make_url(url).render_as_string(hide_password=True)} migrated",
        file=sys.stderr,
    )
    report = command.run_seed(
        url,
        athletes=args.athletes,
        years=args.years,
        seed_value=args.seed,
        replace=True,
        analytics=False,  # the rebuild is what bench/analytics_bench.py measures
    )
    print(command.summary(report))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"bench-data: {report.total_rows / report.seconds:,.0f} rows/s, peak RSS {peak_mb:,.0f} MB"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

"""``forma demo``: seed synthetic athletes; and the first-run seeding ``forma up`` does."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

from sqlalchemy import text
from tqdm import tqdm

from pipelines.demo import frames
from pipelines.demo.seed import (
    ANALYST_EMAIL,
    ANALYST_PASSWORD,
    DEMO_PASSWORD,
    SeedReport,
    engine_for,
    ensure_analyst,
    seed,
)
from pipelines.embedded import ensure_servers, stop_servers

DEFAULT_ATHLETES = 40
DEFAULT_YEARS = 2.0
DEFAULT_SEED = 7
LOGIN = (
    f"demo login: {frames.DEMO_EMAIL} / {DEMO_PASSWORD} (athlete); "
    f"{ANALYST_EMAIL} / {ANALYST_PASSWORD} (analyst)"
)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser(
        "demo", help="seed synthetic demo athletes (login demo@forma.example)"
    )
    demo.add_argument(
        "--athletes", type=int, default=DEFAULT_ATHLETES, help="how many (default 40)"
    )
    demo.add_argument(
        "--years", type=float, default=DEFAULT_YEARS, help="history length (default 2)"
    )
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 7)")
    demo.add_argument("--replace", action="store_true", help="delete existing demo users first")
    demo.add_argument(
        "--leave-dirty",
        action="store_true",
        help="skip the analytics rebuild; the worker will do it",
    )
    demo.set_defaults(func=cmd_demo)


def run_seed(
    database_url: str,
    *,
    athletes: int,
    years: float,
    seed_value: int,
    replace: bool,
    analytics: bool = True,
) -> SeedReport:
    """Seed with a progress bar on stderr, then make sure the demo analyst exists; raises
    FileExistsError like :func:`seed`."""
    engine = engine_for(database_url)
    try:
        with tqdm(total=athletes, desc="demo athletes", unit="athlete", file=sys.stderr) as bar:
            report = seed(
                engine,
                athletes=athletes,
                years=years,
                seed=seed_value,
                replace=replace,
                analytics=analytics,
                progress=bar.update,
            )
        ensure_analyst(engine)
        return report
    finally:
        engine.dispose()


def summary(report: SeedReport) -> str:
    rows = ", ".join(f"{table} {count:,}" for table, count in report.rows.items())
    rate = report.total_rows / report.seconds if report.seconds else 0.0
    return (
        f"forma: seeded {report.athletes} demo athletes in {report.seconds:.1f} s "
        f"({report.total_rows:,} rows, {rate:,.0f} rows/s: {rows}); analytics {report.analytics}"
    )


def database_only_settings(env: MutableMapping[str, str]) -> None:
    """Let this process's Settings load without a signing key: seeding signs no tokens."""
    if not env.get("FORMA_SECRET_KEY"):
        env.setdefault("FORMA_ENVIRONMENT", "development")


def cmd_demo(args: argparse.Namespace) -> int:
    """Apply migrations, then seed; refuses when demo users exist unless ``--replace``."""
    from pipelines.migrate import upgrade

    if args.athletes < 1 or args.years <= 0:
        print("forma: --athletes must be ≥ 1 and --years > 0", file=sys.stderr)
        return 2
    env = dict(os.environ)
    servers = ensure_servers(Path(args.data_dir or ".forma"), env, need_redis=False)
    database_only_settings(env)
    os.environ.update(env)
    try:
        upgrade(env["FORMA_DATABASE_URL"])
        report = run_seed(
            env["FORMA_DATABASE_URL"],
            athletes=args.athletes,
            years=args.years,
            seed_value=args.seed,
            replace=args.replace,
            analytics=not args.leave_dirty,
        )
    except FileExistsError as exc:
        print(f"forma: {exc}", file=sys.stderr)
        return 2
    finally:
        stop_servers(servers.handles)
    print(summary(report))
    print(f"forma: {LOGIN}")
    return 0


def seed_if_empty(database_url: str) -> bool:
    """``forma up`` on a fresh embedded database: seed the default demo when no user exists."""
    engine = engine_for(database_url)
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT EXISTS (SELECT 1 FROM users)")).scalar_one():
                return False
    finally:
        engine.dispose()
    report = run_seed(
        database_url,
        athletes=DEFAULT_ATHLETES,
        years=DEFAULT_YEARS,
        seed_value=DEFAULT_SEED,
        replace=False,
    )
    print(summary(report), flush=True)
    return True


#: who asked for the demo's first training run (the actor of its events)
FIRST_START_ACTOR = "forma up (demo)"


def queue_first_training(database_url: str) -> str:
    """``forma up`` after seeding the demo: queue a training run of the coach and send
    ``coaching.train`` (the worker trains in the background, its progress in the log);
    returns the line to say. A message the broker refuses is re-sent by the sweep."""
    from api.config import Settings
    from api.producer import TaskProducer
    from models.coaching import MODEL_NAMES
    from pipelines.store.coaching import RunActive, create_run

    name = MODEL_NAMES[0]
    engine = engine_for(database_url)
    try:
        with engine.begin() as conn:
            run_id = create_run(conn, name, {}, FIRST_START_ACTOR)
    except RunActive as exc:
        return f"coach: a training run of {name} is already active ({exc.run_id})"
    finally:
        engine.dispose()
    sent = TaskProducer(Settings()).send("coaching.train", str(run_id))
    when = "now" if sent else "once the sweep re-sends it"
    return f"coach: training {name} on the demo athletes {when} (run {run_id}; see the worker log)"

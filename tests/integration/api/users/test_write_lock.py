"""The per-user write lock: the API's async form and the workers' sync form are one lock."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, NoResultFound
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import create_engine
from api.users import write_lock
from tests.support.http import register


@pytest.fixture
async def user_id(live_client) -> uuid.UUID:
    headers = await register(live_client)
    me = await live_client.get("/v1/users/me", headers=headers)
    return uuid.UUID(me.json()["id"])


def _seq(sync_engine, user_id: uuid.UUID) -> int:
    with sync_engine.connect() as conn:
        return conn.execute(
            text("SELECT sync_seq FROM users WHERE id = :u"), {"u": user_id}
        ).scalar_one()


async def test_both_forms_number_changes_in_one_sequence(settings, sync_engine, user_id):
    start = _seq(sync_engine, user_id)
    with sync_engine.begin() as conn:
        assert write_lock.take_sync(conn, user_id) == start + 1
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with AsyncSession(engine) as session, session.begin():
            assert await write_lock.take(session, user_id) == start + 2
            assert await write_lock.take(session, user_id) == start + 3
    finally:
        await engine.dispose()
    assert _seq(sync_engine, user_id) == start + 3


async def test_a_worker_holding_it_blocks_the_api(settings, sync_engine, user_id):
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        with sync_engine.begin() as worker:
            held = write_lock.take_sync(worker, user_id)
            async with AsyncSession(engine) as session, session.begin():
                await session.execute(text("SET LOCAL lock_timeout = '200ms'"))
                with pytest.raises(DBAPIError, match="lock timeout"):
                    await write_lock.take(session, user_id)
        # released at the worker's commit: the API's next change follows the worker's
        async with AsyncSession(engine) as session, session.begin():
            assert await write_lock.take(session, user_id) == held + 1
    finally:
        await engine.dispose()


async def test_an_unknown_user_has_no_lock_to_take(settings):
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with AsyncSession(engine) as session, session.begin():
            with pytest.raises(NoResultFound):
                await write_lock.take(session, uuid.uuid4())
    finally:
        await engine.dispose()

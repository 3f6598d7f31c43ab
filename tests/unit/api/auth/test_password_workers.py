"""argon2 runs in its own bounded pool, off the event loop."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
from pwdlib import PasswordHash

from api.auth.security import PasswordsBusy, PasswordWorkers, default_password_workers


def test_pool_leaves_a_core_for_the_event_loop():
    cores = len(os.sched_getaffinity(0))
    assert default_password_workers() == max(1, cores - 1)
    assert PasswordWorkers().workers == max(1, cores - 1)
    assert PasswordWorkers(3).workers == 3


async def test_hashes_verify_with_pwdlib_and_run_on_pool_threads():
    workers = PasswordWorkers(1)
    try:
        hashed = await workers.hash("correct horse")
        # Checked by pwdlib itself, not by the code under test.
        assert PasswordHash.recommended().verify("correct horse", hashed)
        assert hashed.startswith("$argon2id$")
        assert await workers.verify("correct horse", hashed) is True
        assert await workers.verify("wrong horse", hashed) is False
        assert await workers.verify("anything", None) is False  # unknown account

        names = set()
        loop_thread = threading.current_thread().name

        def where() -> str:
            return threading.current_thread().name

        for _ in range(3):
            names.add(await asyncio.get_running_loop().run_in_executor(workers._pool, where))
        assert loop_thread not in names and all(n.startswith("argon2") for n in names)
        assert len(names) == 1  # bounded: one worker, one thread
    finally:
        workers.close()


async def test_the_event_loop_keeps_running_during_a_verification(monkeypatch):
    # at the production cost: a verification long enough for the loop to tick meanwhile
    import api.auth.security as security

    production = PasswordHash.recommended()
    monkeypatch.setattr(security, "_hashing", lambda: (production, production.hash("x")))
    workers = PasswordWorkers(1)
    hashed = await workers.hash("correct horse")
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        await asyncio.gather(*(workers.verify("correct horse", hashed) for _ in range(4)))
    finally:
        done.set()
        await task
        workers.close()
    # Four verifications are at least four argon2 runs; had they run on the loop, the
    # ticker would not have been scheduled between them more than a handful of times.
    assert ticks > 100, ticks


async def test_a_full_queue_answers_503_at_once():
    workers = PasswordWorkers(1, max_waiting=1)
    hashed = await workers.hash("correct horse")
    try:
        running = asyncio.create_task(workers.verify("correct horse", hashed))
        waiting = asyncio.create_task(workers.verify("correct horse", hashed))
        await asyncio.sleep(0)  # both have taken their place: one thread, one queue slot
        with pytest.raises(PasswordsBusy) as refused:
            await workers.verify("correct horse", hashed)
        assert refused.value.status_code == 503
        assert refused.value.headers == {"Retry-After": "1"}
        assert await running is True and await waiting is True
        assert await workers.verify("correct horse", hashed) is True  # room again
    finally:
        workers.close()


@pytest.mark.parametrize("cores", [1, 2, 4, 8, 64])
def test_api_processes_share_the_cores_for_hashing(monkeypatch, cores):
    import api.auth.security as security

    monkeypatch.setattr(security, "available_cores", lambda: cores)
    for processes in range(1, cores + 1):
        each = default_password_workers(processes)
        assert each >= 1
        # every process's threads together never outnumber the cores
        assert each * processes <= cores, (cores, processes, each)
    assert default_password_workers(1) == max(1, cores - 1)  # one process: a core for the loop


async def test_the_app_takes_its_share_under_forma_up(settings, monkeypatch):
    from api.main import create_app

    app = create_app(settings.model_copy(update={"api_workers": 2, "password_workers": None}))
    async with app.router.lifespan_context(app):
        assert app.state.password_workers.workers == default_password_workers(2)
    app = create_app(settings.model_copy(update={"api_workers": 2, "password_workers": 3}))
    async with app.router.lifespan_context(app):
        assert app.state.password_workers.workers == 3  # an explicit size is per process

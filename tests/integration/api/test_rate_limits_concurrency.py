"""Wrong passwords on one account stay within its quota whatever the concurrency.

Committed tier: every request has a database connection of its own, so attempts really
overlap (the rolled-back tier runs them one at a time on one connection). The app is
built from Settings with a low per-account limit, a key prefix of its own and a
password pool of one thread with a queue of two: attempts on one account that reached
the pool together would overflow it (503). The README promises 429 instead, and never
more password checks for an account than its quota in a window.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from api.main import create_app
from tests.support import accounts
from tests.support.committed import truncate_committed
from tests.support.http import PASSWORD, Clients, assert_error

HIGH = "100000/minute"
ADDRESSES = [f"203.0.113.{i}" for i in range(1, 9)]
Opener = Callable[[str], httpx.AsyncClient]


def _email() -> str:
    return f"burst-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
async def serve(settings: Any, sync_engine: Any) -> AsyncIterator[Any]:
    """``await serve(login_account=...)`` starts a committed-tier app; returns an opener."""
    stack: list[Any] = []
    clients = Clients()

    async def start(**limits: str) -> Opener:
        app = create_app(
            settings.model_copy(
                update={
                    "key_prefix": f"{settings.key_prefix}:{uuid.uuid4().hex[:8]}",
                    "rate_limit_login_address": HIGH,
                    "rate_limit_register_address": HIGH,
                    "rate_limit_register_account": HIGH,
                    "password_workers": 1,
                    "password_queue": 2,
                    # Redis is up here: a busy machine's slow answer must not be taken for
                    # an outage (the fail-open path has its own tests, redis_down)
                    "rate_limit_redis_timeout_s": 5.0,
                    **{f"rate_limit_{name}": value for name, value in limits.items()},
                }
            )
        )
        lifespan = app.router.lifespan_context(app)
        await lifespan.__aenter__()
        stack.append(lifespan)
        return clients.opener(app)

    yield start
    await clients.aclose()
    for lifespan in stack:
        await lifespan.__aexit__(None, None, None)
    truncate_committed(sync_engine)


async def _login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/v1/auth/token", data={"username": email, "password": password})


async def _burst(
    clients: list[httpx.AsyncClient], email: str, attempts: int, concurrency: int
) -> list[httpx.Response]:
    """``attempts`` wrong passwords, ``concurrency`` at a time, round-robin over ``clients``."""
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> httpx.Response:
        async with gate:
            return await _login(clients[i % len(clients)], email, f"guess {i}")

    return list(await asyncio.gather(*(one(i) for i in range(attempts))))


def _check_refusals(responses: list[httpx.Response]) -> Counter[int]:
    """Every answer is 401 (a password checked) or 429 with ``Retry-After``: never 503."""
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {401, 429}, statuses
    for response in responses:
        if response.status_code == 401:
            assert_error(response, 401, "invalid_credentials")
        else:
            error = assert_error(response, 429, "rate_limited")
            retry_after = int(response.headers["Retry-After"])
            assert error["details"]["retry_after_s"] == retry_after >= 1
            if error["details"]["limits"] == ["login_in_flight"]:
                assert retry_after == 1  # another attempt on the account is being checked
            else:
                assert error["details"]["limits"] == ["login_account"], error
    return statuses


def _locked(response: httpx.Response) -> bool:
    """429 because the account's quota is used up (not only a login in flight)."""
    return response.status_code == 429 and response.json()["error"]["details"]["limits"] == [
        "login_account"
    ]


async def test_concurrent_wrong_passwords_are_checked_at_most_the_quota(serve):
    open_from = await serve(login_account="5/minute")
    victim, bystander = _email(), _email()
    setup = open_from("198.51.100.1")
    await accounts.signup(setup, victim)
    await accounts.signup(setup, bystander)
    attackers = [open_from(address) for address in ADDRESSES]

    # The acceptance tester's bursts: 40 at concurrency 12, then 80 at concurrency 20.
    answers = await _burst(attackers, victim, 40, 12)
    answers += await _burst(attackers, victim, 80, 20)
    # Then waves of 12 until the quota is used up (a wave checks at most one password).
    for _ in range(20):
        if _locked(answers[-1]):
            break
        answers += await _burst(attackers, victim, 12, 12)
    statuses = _check_refusals(answers)
    assert statuses[401] == 5, statuses  # exactly the quota: no overshoot, no lost failure
    assert _locked(answers[-1]), answers[-1].headers

    # The right password waits too (answering it would confirm a guess) ...
    locked = await _login(open_from("192.0.2.7"), victim)
    assert _locked(locked), locked.text
    # ... while another account logs in from the attackers' own addresses.
    for http in attackers[:3]:
        response = await _login(http, bystander)
        assert response.status_code == 200, response.text


async def test_the_right_password_works_once_the_window_has_passed(serve):
    open_from = await serve(login_account="3/4 seconds")
    victim = _email()
    await accounts.signup(open_from("198.51.100.2"), victim)
    attackers = [open_from(address) for address in ADDRESSES]

    answers = await _burst(attackers, victim, 40, 20)
    for _ in range(20):
        if _locked(answers[-1]):
            break
        answers += await _burst(attackers, victim, 8, 8)
    assert _check_refusals(answers)[401] == 3
    await asyncio.sleep(float(answers[-1].headers["Retry-After"]) + 0.2)

    response = await _login(open_from("192.0.2.8"), victim)
    assert response.status_code == 200, response.text


async def test_a_login_racing_another_on_its_account_is_429_retry_after_1(serve):
    """Two overlapping attempts on one account: one is checked, the other told to retry."""
    open_from = await serve(login_account="5/minute")
    email = _email()
    await accounts.signup(open_from("198.51.100.3"), email)
    first, second = await asyncio.gather(
        _login(open_from("203.0.113.20"), email), _login(open_from("203.0.113.21"), email)
    )
    answers = sorted([first, second], key=lambda r: r.status_code)
    assert [r.status_code for r in answers] == [200, 429], [r.text for r in answers]
    refused = answers[1]
    error = assert_error(refused, 429, "rate_limited")
    assert refused.headers["Retry-After"] == "1"
    assert error["details"] == {"limits": ["login_in_flight"], "retry_after_s": 1}
    assert refused.headers["RateLimit-Remaining"] == "5"  # no failure was counted
    # The token is given back: the next attempt is checked.
    assert (await _login(open_from("203.0.113.21"), email)).status_code == 200

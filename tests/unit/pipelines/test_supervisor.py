"""The supervisor with tiny ``python -c`` children: restarts, backoff, crash loop, stop."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.supervisor import Child, CrashLoop, RestartPolicy, Supervisor, describe_exit

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def _until(condition: Callable[[], bool], sup: Supervisor, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        sup.check()
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RestartPolicy(backoff_s=0.5, backoff_max_s=3.0)
    assert [policy.delay(k) for k in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_exit_descriptions_name_the_signal() -> None:
    assert describe_exit(-9) == "killed by SIGKILL (-9)"
    assert describe_exit(-15) == "killed by SIGTERM (-15)"
    assert describe_exit(3) == "exit code 3"


def test_a_killed_child_is_restarted_and_the_others_keep_running(tmp_path: Path) -> None:
    lines: list[str] = []
    pid_file = tmp_path / "pids.json"
    sup = Supervisor(
        [Child("a", SLEEPER), Child("b", SLEEPER)],
        policy=RestartPolicy(backoff_s=0.05),
        log=lines.append,
        pid_file=pid_file,
    )
    sup.start()
    try:
        first = sup.pids()
        assert json.loads(pid_file.read_text()) == {"pid": os.getpid(), "children": first}
        os.kill(first["a"], signal.SIGKILL)
        _until(lambda: sup.pids().get("a") not in (None, first["a"]), sup)
        again = sup.pids()
        assert again["b"] == first["b"] and _alive(first["b"])
        assert _alive(again["a"])
        assert json.loads(pid_file.read_text())["children"] == again
        assert f"a (pid {first['a']}) exited: killed by SIGKILL (-9); restart 1 in 0.1 s" in lines
        assert f"a restarted (pid {again['a']})" in lines
    finally:
        sup.stop(5.0)
    assert not _alive(again["a"]) and not _alive(again["b"])
    assert json.loads(pid_file.read_text())["children"] == {}


def test_the_restart_waits_for_its_backoff() -> None:
    now = [100.0]
    sup = Supervisor(
        [Child("c", [sys.executable, "-c", "raise SystemExit(3)"])],
        policy=RestartPolicy(backoff_s=2.0, crash_limit=10),
        log=lambda _line: None,
        clock=lambda: now[0],
    )
    sup.start()
    try:
        first = sup.pids()["c"]
        _until(lambda: "c" not in sup.pids(), sup)  # exit noticed at t = 100
        now[0] = 101.9
        sup.check()
        assert "c" not in sup.pids()  # 1.9 s < 2 s: not yet
        now[0] = 102.0
        sup.check()
        assert sup.pids()["c"] != first
        _until(lambda: "c" not in sup.pids(), sup)  # second exit at t = 102: 4 s now
        now[0] = 105.9
        sup.check()
        assert "c" not in sup.pids()
        now[0] = 106.0
        sup.check()
        assert "c" in sup.pids()
    finally:
        sup.stop(5.0)


def test_repeated_crashes_within_the_window_stop_the_whole() -> None:
    lines: list[str] = []
    sup = Supervisor(
        [Child("flaky", [sys.executable, "-c", "raise SystemExit(7)"]), Child("ok", SLEEPER)],
        policy=RestartPolicy(backoff_s=0.01, crash_limit=3, crash_window_s=60.0),
        log=lines.append,
    )
    sup.start()
    steady = sup.pids()["ok"]
    try:
        with pytest.raises(CrashLoop, match=r"exit code 7; 3 exits within 60 s"):
            _until(lambda: False, sup)
        restarts = [line for line in lines if line.startswith("flaky restarted")]
        assert len(restarts) == 2  # exits 1 and 2 restart, the third gives up
        assert sup.pids()["ok"] == steady
    finally:
        sup.stop(5.0)
    assert not _alive(steady)


def test_exits_older_than_the_window_are_forgotten() -> None:
    now = [0.0]
    sup = Supervisor(
        [Child("c", [sys.executable, "-c", "raise SystemExit(1)"])],
        policy=RestartPolicy(backoff_s=1.0, crash_limit=2, crash_window_s=10.0),
        log=lambda _line: None,
        clock=lambda: now[0],
    )
    sup.start()
    try:
        _until(lambda: "c" not in sup.pids(), sup)  # exit 1 at t = 0
        now[0] = 11.0  # past the window: the next exit counts as the first again
        _until(lambda: "c" in sup.pids(), sup)
        _until(lambda: "c" not in sup.pids(), sup)  # no CrashLoop at limit 2
        now[0] = 12.0  # 1 s backoff again, not 2
        _until(lambda: "c" in sup.pids(), sup)
    finally:
        sup.stop(5.0)


def test_a_dead_leader_takes_its_orphaned_children_with_it() -> None:
    """Like a Celery worker's pool: the grandchild must not outlive the killed child."""
    script = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"forma-sup-{os.getpid()}.txt"
    sup = Supervisor(
        [Child("leader", ["sh", "-c", f'exec "{sys.executable}" -c "$0" > {out}', script])],
        policy=RestartPolicy(backoff_s=30.0),
        log=lambda _line: None,
    )
    sup.start()
    try:
        deadline = time.monotonic() + 10
        while not out.exists() or not out.read_text().strip():
            assert time.monotonic() < deadline
            time.sleep(0.02)
        grandchild = int(out.read_text())
        assert _alive(grandchild)
        os.kill(sup.pids()["leader"], signal.SIGKILL)
        _until(lambda: "leader" not in sup.pids(), sup)
        _until(lambda: not _alive(grandchild), sup, timeout=5.0)
    finally:
        sup.stop(5.0)
        out.unlink(missing_ok=True)


def test_stop_kills_a_child_that_ignores_sigterm() -> None:
    stubborn = [
        sys.executable,
        "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)",
    ]
    sup = Supervisor([Child("stubborn", stubborn)], log=lambda _line: None)
    sup.start()
    pid = sup.pids()["stubborn"]
    time.sleep(0.5)  # let it install its handler
    sup.stop(0.5)
    assert not _alive(pid)  # it would sleep 60 s: only the SIGKILL after the grace ends it

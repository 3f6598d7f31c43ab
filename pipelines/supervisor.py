"""Supervision of ``forma up``'s children: restart with backoff, give up on a crash loop.

Each child runs in its own session, so a child's own processes (the Celery pool)
form one process group that is killed with it: a worker whose main process died
leaves no orphaned pool process behind holding a transaction or an advisory lock.
A child that exits is restarted after ``backoff_s · 2^(k−1)`` seconds (capped at
``backoff_max_s``), k being its exits within the last ``crash_window_s``; the
``crash_limit``-th exit within that window stops the whole (:class:`CrashLoop`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Child:
    """One supervised program: a name for the logs, its argv, and descriptors it inherits
    (the API's listening socket)."""

    name: str
    argv: Sequence[str]
    pass_fds: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """When to restart a child that exited, and when to stop trying."""

    backoff_s: float = 0.5
    backoff_max_s: float = 30.0
    crash_limit: int = 5
    crash_window_s: float = 60.0

    def delay(self, crashes: int) -> float:
        """Seconds to wait before the restart that follows the ``crashes``-th recent exit."""
        return float(min(self.backoff_s * 2 ** max(crashes - 1, 0), self.backoff_max_s))


class CrashLoop(Exception):
    """A child exited ``crash_limit`` times within ``crash_window_s``."""


def describe_exit(returncode: int) -> str:
    """``exit code 3`` or ``killed by SIGKILL (-9)``."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name} ({returncode})"
    return f"exit code {returncode}"


@dataclass(slots=True)
class _Slot:
    child: Child
    proc: subprocess.Popen[bytes] | None = None
    exits: deque[float] = field(default_factory=deque)
    restart_at: float | None = None


def _kill_group(pgid: int) -> None:
    """SIGKILL what is left of a child's process group (its leader may be gone already)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Supervisor:
    """Starts the children, restarts those that exit, stops them all on request.

    Parameters
    ----------
    children
        The programs, started in this order.
    env
        Their environment.
    policy
        Backoff and crash-loop limits.
    log
        Receives one line per event (start, exit with code or signal, restart).
    pid_file
        When given, rewritten as JSON ``{"pid": …, "children": {name: pid}}`` on every
        (re)start, so operators and tests can find each child.
    """

    def __init__(
        self,
        children: Sequence[Child],
        *,
        env: Mapping[str, str] | None = None,
        policy: RestartPolicy | None = None,
        log: Callable[[str], None] = print,
        pid_file: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._slots = [_Slot(child) for child in children]
        self._env = dict(env) if env is not None else None
        self._policy = policy or RestartPolicy()
        self._log = log
        self._pid_file = pid_file
        self._clock = clock

    def start(self) -> None:
        """Start every child."""
        for slot in self._slots:
            self._spawn(slot)

    def pids(self) -> dict[str, int]:
        """Name → pid of the children running now."""
        return {s.child.name: s.proc.pid for s in self._slots if s.proc is not None}

    def check(self) -> None:
        """Notice exits and schedule restarts; restart children whose backoff is over.

        Raises
        ------
        CrashLoop
            When a child reaches the crash limit; the caller then stops everything.
        """
        now = self._clock()
        for slot in self._slots:
            proc = slot.proc
            if proc is not None:
                code = proc.poll()
                if code is None:
                    continue
                _kill_group(proc.pid)
                slot.proc = None
                self._write_pids()
                slot.exits.append(now)
                while slot.exits and now - slot.exits[0] > self._policy.crash_window_s:
                    slot.exits.popleft()
                recent = len(slot.exits)
                what = f"{slot.child.name} (pid {proc.pid}) exited: {describe_exit(code)}"
                if recent >= self._policy.crash_limit:
                    raise CrashLoop(
                        f"{what}; {recent} exits within {self._policy.crash_window_s:g} s"
                    )
                delay = self._policy.delay(recent)
                self._log(f"{what}; restart {recent} in {delay:.1f} s")
                slot.restart_at = now + delay
            elif slot.restart_at is not None and now >= slot.restart_at:
                self._spawn(slot)

    def stop(self, grace_s: float, hurry: Callable[[], bool] = lambda: False) -> None:
        """SIGTERM every child, wait up to ``grace_s`` (less once ``hurry()``), then SIGKILL.

        Only each child's main process gets SIGTERM (a Celery worker stops its own pool);
        whatever is left in a child's process group afterwards is killed.
        """
        procs = [s.proc for s in self._slots if s.proc is not None]
        for slot in self._slots:
            slot.restart_at = None
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = self._clock() + grace_s
        while not hurry() and self._clock() < deadline:
            if all(p.poll() is not None for p in procs):
                break
            time.sleep(0.1)
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            _kill_group(proc.pid)
        for slot in self._slots:
            slot.proc = None
        self._write_pids()

    def _spawn(self, slot: _Slot) -> None:
        restart = slot.restart_at is not None
        slot.restart_at = None
        slot.proc = subprocess.Popen(
            list(slot.child.argv),
            env=self._env,
            stdin=subprocess.DEVNULL,
            pass_fds=slot.child.pass_fds,
            start_new_session=True,  # one process group per child, killed as a whole
        )
        self._write_pids()
        verb = "restarted" if restart else "started"
        self._log(f"{slot.child.name} {verb} (pid {slot.proc.pid})")

    def _write_pids(self) -> None:
        if self._pid_file is None:
            return
        tmp = self._pid_file.with_name(self._pid_file.name + ".tmp")
        tmp.write_text(json.dumps({"pid": os.getpid(), "children": self.pids()}))
        os.replace(tmp, self._pid_file)  # readers never see half a file

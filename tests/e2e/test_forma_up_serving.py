"""``forma up`` serves for load: one uvicorn worker per core, keep-alive past 5 s, no
access log, an open-file limit raised to the hard one; killing the API's main process
takes its workers with it and brings a full set back."""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from api.config import Settings
from tests.support.forma_up import FormaUp, forma_up

pytestmark = pytest.mark.e2e

LOW_SOFT_LIMIT = 1024
WAIT_S = 60.0


def _workers(master: int) -> list[int]:
    """uvicorn's worker processes: the children of its main process that it spawned."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = fh.read().replace(b"\0", b" ")
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if fields[0] != b"Z" and int(fields[1]) == master and b"spawn_main" in argv:
            found.append(int(entry))
    return sorted(found)


def _soft_open_files(pid: int) -> int:
    limits = Path(f"/proc/{pid}/limits").read_text()
    match = re.search(r"^Max open files\s+(\d+)\s+(\d+)", limits, re.MULTILINE)
    assert match, limits
    return int(match.group(1))


def _all_workers(up: FormaUp, count: int) -> tuple[int, list[int]]:
    """(API main pid, its workers) once ``count`` workers run."""
    deadline = time.monotonic() + WAIT_S
    while True:
        master = up.children().get("api")
        workers = _workers(master) if master else []
        if len(workers) == count:
            assert master is not None
            return master, workers
        assert time.monotonic() < deadline, f"api {master}: workers {workers}, not {count}"
        time.sleep(0.2)


def _response(sock: socket.socket) -> bytes:
    """One whole HTTP response (head and ``Content-Length`` body) read from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"the server closed the connection (after {data!r})"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        chunk = sock.recv(4096)
        assert chunk, "the server closed the connection mid-body"
        body += chunk
    assert len(body) == length, "more than one response"
    return head


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] != b"Z"


def test_forma_up_serves_with_a_worker_per_core_and_room_for_connections(tmp_path: Path) -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard <= LOW_SOFT_LIMIT:
        pytest.skip(f"the hard open-file limit is {hard}: nothing to raise")
    cores = Settings(environment="test", secret_key="k" * 32).api_processes
    spawned = cores if cores > 1 else 0  # one worker: uvicorn serves from its main process
    with forma_up(tmp_path, open_files=LOW_SOFT_LIMIT) as up:
        master, workers = _all_workers(up, spawned)
        log = up.log.read_text(errors="replace")
        assert f"open-file limit raised from {LOW_SOFT_LIMIT} to {hard}" in log, up.tail()
        assert f"API: {cores} uvicorn worker(s), uvloop loop, keep-alive 120 s" in log
        for pid in [master, *workers]:
            assert _soft_open_files(pid) == hard, pid

        # Keep-alive: an idle connection outlives uvicorn's default 5 s. (One idle gap,
        # between the two requests: idling after the last one proved nothing.)
        with socket.create_connection(("127.0.0.1", up.port), timeout=10) as sock:
            for idle_s in (6.0, 0.0):
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                assert _response(sock).startswith(b"HTTP/1.1 200")
                time.sleep(idle_s)
        assert '"GET /healthz HTTP/1.1" 200' not in up.log.read_text(errors="replace")

        # SIGKILL of uvicorn's main process: its workers go with it, a full set comes back.
        os.kill(master, signal.SIGKILL)
        deadline = time.monotonic() + WAIT_S
        while up.children().get("api") in (None, master):
            assert time.monotonic() < deadline, up.tail()
            time.sleep(0.2)
        assert not [pid for pid in workers if _alive(pid)], "workers outlived their main process"
        new_master, new_workers = _all_workers(up, spawned)
        assert new_master != master and not set(new_workers) & set(workers)
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                if httpx.get(f"{up.base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, up.tail()
            time.sleep(0.2)


def test_while_the_api_restarts_connections_wait_in_the_backlog_instead_of_being_refused(
    tmp_path: Path,
) -> None:
    """``forma up`` holds the listening socket: with the API process killed, a client
    connecting meanwhile is accepted by the kernel and answered by the restarted process
    (before, it was refused until the new process had bound the port again)."""
    with forma_up(tmp_path) as up:
        master = up.children()["api"]
        assert httpx.get(f"{up.base_url}/healthz", timeout=10).status_code == 200
        os.kill(master, signal.SIGKILL)
        while _alive(master):
            time.sleep(0.01)
        killed_at = time.monotonic()
        answers: list[tuple[float, int]] = []
        for _ in range(3):  # each connects while no API process is running yet
            with socket.create_connection(("127.0.0.1", up.port), timeout=WAIT_S) as sock:
                sock.settimeout(WAIT_S)
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                head = _response(sock)
            answers.append((time.monotonic() - killed_at, int(head.split()[1])))
        print(f"answers after the kill (s, status): {answers}")
        assert [status for _, status in answers] == [200, 200, 200], answers
        new = up.children().get("api")
        assert new not in (None, master), up.tail()
        # the first answer had to wait for the new process: it was queued, not refused
        assert answers[0][0] > 0.2, answers

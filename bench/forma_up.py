"""``forma up`` (API, worker and beat) as a child process on a free port: how the load
benchmarks, the soak and the end-to-end tests start the whole stack.

Each caller builds its own environment (database, Redis prefix, limits) and waits for
``/readyz`` its own way; this module only starts the process the same way for all.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    data_dir: Path,
    port: int,
    env: Mapping[str, str],
    log: Path,
    *,
    preexec_fn: Callable[[], None] | None = None,
) -> subprocess.Popen[bytes]:
    """``python -m pipelines.cli --data-dir DATA_DIR up --port PORT`` from the repository.

    Its stdin is closed and its stdout and stderr go to ``log`` (truncated first). It runs
    in a session of its own: one target for a signal, and its children findable by their
    session id. ``preexec_fn`` runs in the child before ``forma up`` starts.
    """
    argv = [sys.executable, "-m", "pipelines.cli", "--data-dir", str(data_dir), "up"]
    with log.open("wb") as out:
        return subprocess.Popen(
            [*argv, "--port", str(port)],
            cwd=REPO,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=preexec_fn,
        )

"""What an upload costs the API before it is answered: bytes read, memory, temporary disk.

Usage: ``python -m bench.upload_bench [--code DIR] [--big-mb 1024] [--legal-mb 60]
[--http h11] [--only legal]``. Starts uvicorn in a subprocess (the code under ``DIR`` when given, so
another checkout can be measured the same way) on a database of its own on
FORMA_DATABASE_URL's server, with the broker pointed at a closed port (publishing
fails fast; nothing is queued anywhere). For each case it prints the body bytes the
application received (counted at its ASGI ``receive``), the bytes the server's socket
accepted from a raw client that sends until the answer comes or the socket errors,
whether a ``100 Continue`` was sent, whether the server closed, and the time taken.
For a legal upload it prints the server's peak RSS (VmHWM) before and after, and the
peak size of the temporary files it held open, with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from api.datasets.sql_role import role_name

BOUNDARY = "bench-boundary"
STRONG_HEAD = (
    b"Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,"
    b"Notes,Workout Notes,RPE\n"
)
STRONG_ROW = b'2024-01-02 07:00:00,"Push",1h,"Bench Press (Barbell)",1,60,5,,,,,\n'


# --------------------------------------------------------------------------- server side


def serve(port: int, stats: Path) -> None:
    """Run uvicorn on ``port`` with every request's body byte count appended to ``stats``."""
    import uvicorn

    from api.main import create_app

    inner = create_app()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        read = 0

        async def counted() -> Any:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
            return message

        try:
            await inner(scope, counted, send)
        finally:
            with stats.open("a") as out:
                out.write(f"{scope['path']} {read}\n")

    uvicorn.run(app, host="127.0.0.1", port=port, http=os.environ["BENCH_HTTP"], log_level="error")


# --------------------------------------------------------------------------- client side


def _envelope(fields: dict[str, str]) -> tuple[bytes, bytes]:
    head = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    )
    head += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


def body(size: int, piece: int = 256 * 1024) -> tuple[int, Iterator[bytes]]:
    """A multipart body carrying a ``size``-byte Strong CSV, generated as it is sent."""
    head, tail = _envelope({"weight_unit": "kg"})
    rows = STRONG_ROW * (piece // len(STRONG_ROW))

    def pieces() -> Iterator[bytes]:
        yield head + STRONG_HEAD
        left = size - len(STRONG_HEAD)
        while left > 0:
            yield rows[:left]
            left -= len(rows[:left])
        yield tail

    return len(head) + size + len(tail), pieces()


def chunked(pieces: Iterator[bytes]) -> Iterator[bytes]:
    for p in pieces:
        yield f"{len(p):x}\r\n".encode() + p + b"\r\n"
    yield b"0\r\n\r\n"


def exchange(port: int, head: bytes, pieces: Iterator[bytes], wait_first: float) -> dict[str, Any]:
    """Send until the answer arrives or the socket errors; time to the answer; closed ≤ 3 s after?"""
    sock = socket.create_connection(("127.0.0.1", port))
    started = time.monotonic()
    sock.sendall(head)
    sock.setblocking(False)
    response = bytearray()
    sent = 0
    closed = False
    if wait_first:
        if select.select([sock], [], [], wait_first)[0]:
            data = sock.recv(65536)
            response += data
            closed = not data
    pending = b""

    def answered() -> bool:
        return any(
            not line.startswith(b"HTTP/1.1 100") and line.startswith(b"HTTP/1.1")
            for line in bytes(response).split(b"\r\n")
        )

    try:
        while not closed and not answered():
            if not pending:
                pending = next(pieces, b"")
                if not pending:
                    break
            readable, writable, _ = select.select([sock], [sock], [], 5)
            if readable:
                data = sock.recv(65536)
                response += data
                closed = not data
            elif writable:
                n = sock.send(pending)
                sent += n
                pending = pending[n:]
    except (BrokenPipeError, ConnectionResetError):
        pass
    answered_after: float | None = None
    # The whole body may be sent before the answer comes: wait for it (≤ 60 s), then
    # up to 3 s more to see whether the server closes.
    deadline = time.monotonic() + 60
    while not closed and time.monotonic() < deadline:
        if answered_after is None and answered():
            answered_after = time.monotonic() - started
            deadline = time.monotonic() + 3
        if select.select([sock], [], [], 0.05)[0]:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                closed = True
                break
            response += data
            closed = not data
    if answered_after is None and answered():
        answered_after = time.monotonic() - started
    sock.close()
    text = bytes(response)
    final = [ln for ln in text.split(b"\r\n") if ln.startswith(b"HTTP/1.1") and b" 100 " not in ln]
    return {
        "status": int(final[0].split()[1]) if final else None,
        "sent_by_client": sent,
        "got_100": b"HTTP/1.1 100" in text,
        "closed": closed,
        "seconds": None if answered_after is None else round(answered_after, 2),
    }


def _head(token: str | None, length: int | None, expect: bool = False) -> bytes:
    lines = [
        "POST /v1/imports HTTP/1.1",
        "Host: bench",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
    ]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    if expect:
        lines.append("Expect: 100-continue")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Watch(threading.Thread):
    """Polls the server's RSS and its temporary files (descriptors under TMPDIR, deleted too)."""

    def __init__(self, pid: int, tmp: Path) -> None:
        super().__init__(daemon=True)
        self.pid, self.tmp, self.peak_tmp, self.stop = pid, str(tmp), 0, False
        self.rss_before = rss(pid)
        self.peak_rss = self.rss_before

    def run(self) -> None:
        fd_dir = f"/proc/{self.pid}/fd"
        while not self.stop:
            self.peak_rss = max(self.peak_rss, rss(self.pid))
            total = 0
            for fd in os.listdir(fd_dir):
                try:
                    if os.readlink(f"{fd_dir}/{fd}").startswith(self.tmp):
                        total += os.stat(f"{fd_dir}/{fd}").st_size
                except OSError:
                    continue
            self.peak_tmp = max(self.peak_tmp, total)
            time.sleep(0.05)


def rss(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def vm_hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--code", type=Path, help="a checkout to measure instead of this one")
    parser.add_argument("--big-mb", type=int, default=1024)
    parser.add_argument("--legal-mb", type=int, default=60)
    parser.add_argument("--http", default="h11", choices=["h11", "httptools"])
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()

    import httpx
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from api.config import to_sync_url

    admin = os.environ["FORMA_DATABASE_URL"]
    name = f"forma_upload_bench_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(to_sync_url(admin), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    work = Path(tempfile.mkdtemp(prefix="forma-upload-bench-"))
    env = {
        **os.environ,
        "FORMA_DATABASE_URL": make_url(admin).set(database=name).render_as_string(False),
        "FORMA_REDIS_URL": "redis://127.0.0.1:1/0",
        "FORMA_SECRET_KEY": uuid.uuid4().hex * 2,
        "FORMA_ENVIRONMENT": "test",
        "TMPDIR": str(work),
        "BENCH_HTTP": args.http,
    }
    if args.code:
        env["PYTHONPATH"] = str(args.code.resolve())
    me = str(Path(__file__).resolve())
    try:
        subprocess.run(
            [sys.executable, "-c", "import sys; from pipelines.migrate import upgrade; "
             "upgrade(sys.argv[1])", env["FORMA_DATABASE_URL"]],
            env=env, check=True, cwd=work,
        )  # fmt: skip
        results: dict[str, Any] = {"load_average": os.getloadavg(), "http": args.http}
        big = args.big_mb * 1024 * 1024
        cases = [
            ("no token, Content-Length 1 body", None, True, False),
            ("bad token + Expect: 100-continue", "bad", True, True),
            ("token, Content-Length over cap", "good", True, False),
            ("token, chunked over cap", "good", False, False),
        ]
        all_cases = [*cases, ("legal upload", "good", True, False)]
        for label, who, with_length, expect in [c for c in all_cases if args.only in c[0]]:
            legal = label == "legal upload"
            stats = work / f"stats-{uuid.uuid4().hex[:6]}"
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            sock.close()
            server = subprocess.Popen(
                [sys.executable, me, "serve", str(port), str(stats)], env=env, cwd=work
            )
            try:
                base = f"http://127.0.0.1:{port}"
                for _ in range(200):
                    try:
                        httpx.get(base + "/healthz", timeout=1)
                        break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
                httpx.post(base + "/v1/auth/register", json={"email": email, "password": "x" * 12})
                answer = httpx.post(
                    base + "/v1/auth/token", data={"username": email, "password": "x" * 12}
                )
                token = {"good": answer.json()["access_token"], "bad": "not-a-jwt", None: None}[who]
                length, pieces = body(args.legal_mb * 1024 * 1024 if legal else big)
                if not with_length:
                    pieces = chunked(pieces)
                head = _head(token, length if with_length else None, expect)
                hwm_before = vm_hwm(server.pid)
                watch = Watch(server.pid, work)
                watch.start()
                outcome = exchange(port, head, pieces, wait_first=1.0 if expect else 0.0)
                time.sleep(0.5)
                watch.stop = True
                watch.join()
                reads = [ln.split() for ln in stats.read_text().splitlines()]
                outcome["read_by_app"] = int([r for r in reads if r[0] == "/v1/imports"][-1][1])
                outcome["body_bytes"] = length
                outcome["peak_rss_before"] = hwm_before
                outcome["peak_rss_after"] = vm_hwm(server.pid)
                outcome["rss_before"] = watch.rss_before
                outcome["peak_rss_during"] = watch.peak_rss
                outcome["peak_tmp_bytes"] = watch.peak_tmp
                results[label.replace("1 body", f"{args.big_mb} MiB")] = outcome
                print(label, json.dumps(outcome), flush=True)
            finally:
                server.terminate()
                server.wait(20)
        print(json.dumps(results, indent=1))
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role_name(name)}"'))  # outlives it
        admin_engine.dispose()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]), Path(sys.argv[3]))
    else:
        main()

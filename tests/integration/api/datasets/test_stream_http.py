"""Exports over a real uvicorn socket: whole bodies, hang-ups that free the database at
once, the per-process cap (503) and a database that cannot be reached (503)."""

from __future__ import annotations

import io
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI, Request

from api.datasets.stream import (
    EXPORT_RETRY_AFTER_S,
    Column,
    ExportSlots,
    conninfo,
    streaming_response,
)
from api.disconnect import WatchDisconnect
from api.errors import install_error_handlers
from api.http_protocol import FormaHttpProtocol
from tests.support.uvicorn_server import Server

COLUMNS = [Column("n", pa.int64()), Column("label", pa.string(), text=True)]
#: the backend must be gone from pg_stat_activity this soon after the client hangs up
GONE_WITHIN_S = 1.0


def export_app(settings: Any, marker: str) -> FastAPI:
    """An app whose ``/export`` streams ``rows`` generated rows (after ``sleep`` seconds
    of computing), its query tagged with ``marker`` for pg_stat_activity."""
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(WatchDisconnect)
    # generate_series in the SELECT list streams its rows (in FROM it would store them all
    # before the first: seconds for the hang-up tests' millions)
    select = (
        f"SELECT i AS n, '{marker} ' || i AS label, pg_sleep(CASE WHEN i = 1 THEN "
        "%(sleep)s ELSE 0 END) FROM (SELECT generate_series(1, %(rows)s) AS i) AS s"
    )
    wrapped = f"SELECT n, label FROM ({select}) AS q"

    @app.get("/export")
    async def export(request: Request, fmt: str = "csv", rows: int = 10, sleep: float = 0):
        return streaming_response(
            request,
            settings,
            fmt,  # type: ignore[arg-type]
            wrapped,
            {"rows": rows, "sleep": sleep},
            COLUMNS,
            f"rows.{fmt}",
            {"X-Test": "1"},
        )

    return app


@pytest.fixture
def admin(settings: Any) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(conninfo(settings), autocommit=True) as conn:
        yield conn


def backends(admin: psycopg.Connection[Any], marker: str) -> list[tuple[Any, ...]]:
    """The other backends whose last query carries ``marker``."""
    return admin.execute(
        "SELECT pid, state, application_name FROM pg_stat_activity"
        " WHERE query LIKE %s AND pid <> pg_backend_pid()",
        [f"%{marker}%"],
    ).fetchall()


def wait_until(check: Any, timeout_s: float) -> float:
    """Seconds until ``check()`` was true; fails after ``timeout_s``."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout_s, "condition not reached in time"
        time.sleep(0.02)
    return time.monotonic() - start


def hang_up_after(port: int, path: str, *, read_bytes: int) -> None:
    """GET ``path``, read ``read_bytes`` of the answer (0: none), then close the socket."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    got = 0
    while got < read_bytes:
        data = sock.recv(65536)
        assert data, "the server closed first"
        got += len(data)
    sock.close()


def test_csv_and_parquet_bodies_arrive_whole(settings: Any) -> None:
    app = export_app(settings, "whole")
    with Server(app, FormaHttpProtocol) as server:
        base = f"http://127.0.0.1:{server.port}"
        csv = httpx.get(f"{base}/export?fmt=csv&rows=3", timeout=30)
        assert csv.status_code == 200
        assert csv.headers["content-type"] == "text/csv; charset=utf-8"
        assert csv.headers["content-disposition"] == 'attachment; filename="rows.csv"'
        assert csv.headers["x-test"] == "1"
        assert csv.content == b"n,label\n1,whole 1\n2,whole 2\n3,whole 3\n"
        parquet = httpx.get(f"{base}/export?fmt=parquet&rows=50000", timeout=30)
        assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
        table = pq.read_table(io.BytesIO(parquet.content))
        assert table.column("n").to_pylist() == list(range(1, 50_001))
        arrow = httpx.get(f"{base}/export?fmt=arrow&rows=5", timeout=30)
        assert arrow.headers["content-type"] == "application/vnd.apache.arrow.stream"
        assert pa.ipc.open_stream(arrow.content).read_all().num_rows == 5
        # the slot is given back once the response's last message is sent
        wait_until(lambda: app.state.export_slots.in_flight == 0, timeout_s=2)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_hang_up_mid_stream_frees_the_backend_at_once(
    settings: Any, admin: psycopg.Connection[Any], fmt: str
) -> None:
    marker = f"m{uuid.uuid4().hex}"
    app = export_app(settings, marker)
    with Server(app, FormaHttpProtocol) as server:
        # far more rows than any buffer: the query is still producing when the client goes
        hang_up_after(server.port, f"/export?fmt={fmt}&rows=50000000", read_bytes=64 * 1024)
        assert backends(admin, marker), "the export's query should still be running"
        hung_up = time.monotonic()
        wait_until(lambda: not backends(admin, marker), timeout_s=10)
        assert time.monotonic() - hung_up < GONE_WITHIN_S
        wait_until(lambda: app.state.export_slots.in_flight == 0, timeout_s=2)


def test_a_hang_up_before_the_first_row_cancels_the_query(
    settings: Any, admin: psycopg.Connection[Any]
) -> None:
    marker = f"m{uuid.uuid4().hex}"
    app = export_app(settings, marker)
    with Server(app, FormaHttpProtocol) as server:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(b"GET /export?rows=5&sleep=60 HTTP/1.1\r\nHost: test\r\n\r\n")
        wait_until(lambda: any(row[1] == "active" for row in backends(admin, marker)), 10)
        sock.close()
        hung_up = time.monotonic()
        wait_until(lambda: not backends(admin, marker), timeout_s=10)
        assert time.monotonic() - hung_up < GONE_WITHIN_S
        wait_until(lambda: app.state.export_slots.in_flight == 0, timeout_s=2)


class QuickStall(FormaHttpProtocol):
    write_stall_timeout_s = 0.5


def _reader(port: int, path: str) -> socket.socket:
    """A connection that asked for ``path`` with a small receive buffer (so the server's
    send buffer fills after a few hundred KB), having read nothing yet."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    return sock


def test_a_client_that_stops_reading_is_cut_off_and_frees_the_export(
    settings: Any, admin: psycopg.Connection[Any]
) -> None:
    marker = f"m{uuid.uuid4().hex}"
    app = export_app(settings, marker)
    with Server(app, QuickStall) as server:
        sock = _reader(server.port, "/export?fmt=csv&rows=50000000")
        try:
            assert sock.recv(65536), "the export should have started"
            # from here the client reads nothing and keeps the connection open
            stopped = time.monotonic()
            wait_until(lambda: not backends(admin, marker), timeout_s=15)
            freed = wait_until(lambda: app.state.export_slots.in_flight == 0, timeout_s=5)
            # the stall timer (0.5 s) starts once the buffers are full: a few seconds at most
            assert time.monotonic() - stopped + freed < 10
            # the server dropped the connection: what the kernel held drains, then it ends
            # (EOF or a reset), far short of the 50 million rows' ~1 GB
            sock.settimeout(10)
            drained = 0
            try:
                while chunk := sock.recv(1 << 20):
                    drained += len(chunk)
            except ConnectionResetError:
                pass
            assert drained < 64 << 20
        finally:
            sock.close()


def test_a_slow_reader_is_not_cut_off(settings: Any, admin: psycopg.Connection[Any]) -> None:
    marker = f"m{uuid.uuid4().hex}"
    app = export_app(settings, marker)
    with Server(app, QuickStall) as server:
        sock = _reader(server.port, "/export?fmt=csv&rows=50000000")
        try:
            # 16 KB every 0.1 s for 3 s: six times the stall timeout, never idle for one
            got = 0
            for _ in range(30):
                got += len(sock.recv(16384))
                time.sleep(0.1)
            assert got > 100_000
            assert backends(admin, marker), "the export of a reading client goes on"
            assert app.state.export_slots.in_flight == 1
        finally:
            sock.close()
        wait_until(lambda: app.state.export_slots.in_flight == 0, timeout_s=5)


async def test_no_free_slot_is_503_with_retry_after(settings: Any) -> None:
    app = export_app(settings, "busy")
    app.state.export_slots = ExportSlots(1)
    app.state.export_slots.take()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        refused = await http.get("/export")
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == str(EXPORT_RETRY_AFTER_S)
        assert refused.json()["error"]["code"] == "overloaded"
        app.state.export_slots.give_back()
        served = await http.get("/export?rows=2")
        assert served.status_code == 200
        assert served.content == b"n,label\n1,busy 1\n2,busy 2\n"
    assert app.state.export_slots.in_flight == 0


async def test_an_unreachable_database_is_503_not_a_broken_200(settings: Any) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    away = settings.model_copy(
        update={"database_url": f"postgresql+asyncpg://postgres@127.0.0.1:{port}/x"}
    )
    app = export_app(away, "away")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        answer = await http.get("/export")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == str(EXPORT_RETRY_AFTER_S)
    assert answer.json()["error"]["code"] == "overloaded"
    assert app.state.export_slots.in_flight == 0


async def test_a_query_that_fails_before_its_first_row_is_an_error_not_a_200(
    settings: Any,
) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/broken")
    async def broken(request: Request) -> Any:
        sql = "SELECT n, 'x' AS label FROM no_such_table"
        return streaming_response(request, settings, "parquet", sql, {}, COLUMNS, "x.parquet")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        answer = await http.get("/broken")
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal_error"
    assert app.state.export_slots.in_flight == 0

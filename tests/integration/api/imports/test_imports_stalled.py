"""Stalled and abandoned uploads through a real uvicorn server (h11 and httptools).

An upload holds a database connection while its body streams in. These tests stall
uploads the way a slow or hostile client does (a valid token, ``Content-Length:
10000000``, 80 KiB of a real CSV, then nothing) and check that the API stays up:
uploads beyond the per-account and per-process caps are refused at once (429, 503),
a stalled one is abandoned with 408 after the idle timeout and stores nothing, other
routes keep answering, and a client that goes away mid-upload is one INFO line, not
an ``Exception in ASGI application`` traceback.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.config import Settings
from tests.conftest import REAL_DATA
from tests.support import accounts
from tests.support.committed import truncate_committed
from tests.support.stored import scalar
from tests.support.uploads import CountingApp, LazyUpload, request_head
from tests.support.uvicorn_server import Server

SWEDISH = REAL_DATA / "strong" / "strong-kg-swedish-names.csv"
DECLARED = 10_000_000
SENT = 80 * 1024  # past the 64 KiB head: the job row exists in the open transaction
PER_PROCESS = 3
PER_ACCOUNT = 2
IDLE_S = 2.0
_POOL_FIELDS = Settings.model_fields
POOL = _POOL_FIELDS["db_pool_size"].default + _POOL_FIELDS["db_max_overflow"].default


def _settings(**update: Any) -> Any:
    from api.config import Settings

    settings = Settings()
    return settings.model_copy(
        update={
            # a queue no worker reads: nothing stalled here is ever imported
            "celery_queue": f"{settings.celery_queue}-unread",
            "upload_concurrency": PER_PROCESS,
            "upload_concurrency_account": PER_ACCOUNT,
            **update,
        }
    )


@pytest.fixture(scope="module", params=["h11", "httptools"])
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def server(protocol: str, sync_engine: Any) -> Iterator[Server]:
    """Uploads are only abandoned after a minute: the caps tests hold them that long."""
    from api.main import create_app

    with Server(CountingApp(create_app(_settings(upload_idle_timeout_s=60.0))), protocol) as up:
        yield up
    truncate_committed(sync_engine)


@pytest.fixture(scope="module")
def quick_server(protocol: str, sync_engine: Any) -> Iterator[Server]:
    """Uploads are abandoned after :data:`IDLE_S` without a byte."""
    from api.main import create_app

    with Server(CountingApp(create_app(_settings(upload_idle_timeout_s=IDLE_S))), protocol) as up:
        yield up
    truncate_committed(sync_engine)


def _token(server: Server) -> str:
    return accounts.live_access_token(server.port, "staller")


def _slots(server: Server) -> Any:
    return server.app.app.state.upload_slots


def _stall(server: Server, token: str) -> socket.socket:
    """Start an upload declaring 10 MB, send its first 80 KiB, and send nothing more."""
    upload = LazyUpload(DECLARED, prefix=SWEDISH.read_bytes() * 3)
    sock = socket.create_connection(("127.0.0.1", server.port))
    head, first = request_head(token=token, length=upload.length), bytearray()
    for piece in upload.pieces():
        first += piece
        if len(first) >= SENT:
            break
    sock.sendall(head + bytes(first[:SENT]))
    return sock


def _answer(sock: socket.socket, timeout: float) -> tuple[bytes, bool]:
    """What the server answers within ``timeout`` seconds, and whether it then closed."""
    sock.settimeout(timeout)
    data = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return bytes(data), True
        if not chunk:
            return bytes(data), True
        data += chunk
        sock.settimeout(max(0.01, deadline - time.monotonic()))
    return bytes(data), False


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def _wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _close_all(socks: list[socket.socket], server: Server) -> None:
    for sock in socks:
        sock.close()
    # the server sees each client go and gives its slot back
    _wait_for(lambda: _slots(server).in_flight == 0)


def _refused_at_once(server: Server, token: str, status: int) -> tuple[bytes, bool]:
    """Start one more upload: answered ``status`` within 2 s with ``Retry-After: 5``.

    Its answer, and whether the server closed the connection.
    """
    sock = _stall(server, token)
    started = time.monotonic()
    response, closed = _answer(sock, timeout=5.0)
    sock.close()
    assert _status(response) == status, response[:400]
    assert time.monotonic() - started < 2.0
    assert b"retry-after: 5" in response.lower()
    return response, closed


def test_one_account_stalling_30_uploads_holds_two_and_the_api_answers(server):
    token = _token(server)
    stalled = [_stall(server, token) for _ in range(PER_ACCOUNT)]
    try:
        _wait_for(lambda: _slots(server).in_flight == PER_ACCOUNT)
        # the tester's 30 (the account's hourly quota): as many as the database pool has
        for _ in range(POOL - PER_ACCOUNT):
            response, closed = _refused_at_once(server, token, 429)
            assert b'"limits":["imports_in_flight_account"]' in response
            assert closed  # refused before its body: the connection is not kept
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=5.0) as http:
            me = http.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200, me.text
            assert http.get("/readyz").status_code == 200
    finally:
        _close_all(stalled, server)


def test_uploads_beyond_the_process_cap_get_503_at_once(server):
    tokens = [_token(server) for _ in range(PER_PROCESS + 1)]
    server.app.body_bytes = 0
    stalled = [_stall(server, token) for token in tokens[:PER_PROCESS]]
    try:
        _wait_for(lambda: _slots(server).in_flight == PER_PROCESS)
        # every byte the stalled ones sent has been read: what follows is the next one's
        _wait_for(lambda: server.app.body_bytes == PER_PROCESS * SENT)
        server.app.body_bytes = 0
        response, closed = _refused_at_once(server, tokens[-1], 503)
        assert b'"code":"overloaded"' in response
        assert closed
        assert server.app.body_bytes == 0  # refused before a byte of its body was read
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=5.0) as http:
            me = http.get("/v1/users/me", headers={"Authorization": f"Bearer {tokens[-1]}"})
            assert me.status_code == 200, me.text
    finally:
        _close_all(stalled, server)
    # the slots are free again: the refused account's upload is taken in now
    sock = _stall(server, tokens[-1])
    _wait_for(lambda: _slots(server).in_flight == 1)
    _close_all([sock], server)


def _stored(sync_engine: Any) -> tuple[int, int]:
    return (
        scalar(sync_engine, "SELECT count(*) FROM import_jobs"),
        scalar(sync_engine, "SELECT count(*) FROM import_files"),
    )


def _idle_in_transaction(sync_engine: Any) -> int:
    return scalar(
        sync_engine,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state = 'idle in transaction'",
    )


def test_a_stalled_upload_is_408_after_the_idle_timeout_and_stores_nothing(
    quick_server, sync_engine
):
    token = _token(quick_server)
    before = _stored(sync_engine)
    sock = _stall(quick_server, token)
    started = time.monotonic()
    try:
        # the upload is under way: its transaction waits for the body
        _wait_for(lambda: _idle_in_transaction(sync_engine) >= 1, timeout=IDLE_S)
        response, closed = _answer(sock, timeout=IDLE_S + 10)
    finally:
        sock.close()
    waited = time.monotonic() - started
    assert _status(response) == 408, response[:400]
    assert IDLE_S - 0.5 <= waited < IDLE_S + 5, waited
    assert b'"code":"request_timeout"' in response
    assert b"connection: close" in response.lower()
    assert closed
    assert _stored(sync_engine) == before
    _wait_for(lambda: _idle_in_transaction(sync_engine) == 0)
    assert _slots(quick_server).in_flight == 0


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_client_leaving_mid_upload_is_one_info_line_and_stores_nothing(quick_server, sync_engine):
    token = _token(quick_server)
    before = _stored(sync_engine)
    handler = _Records()
    # uvicorn's loggers do not propagate to the root (caplog's) logger: listen on them
    loggers = [logging.getLogger(name) for name in ("forma.api", "uvicorn.error", "uvicorn")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
    logging.getLogger("forma.api").setLevel(logging.INFO)
    try:
        sock = _stall(quick_server, token)
        _wait_for(lambda: _slots(quick_server).in_flight == 1)
        sock.close()
        _wait_for(lambda: _slots(quick_server).in_flight == 0)
        time.sleep(0.3)  # anything logged after the slot was given back
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
    seen = [(r.name, r.levelno, r.getMessage()) for r in handler.records]
    assert not [r for r in handler.records if r.levelno >= logging.WARNING], seen
    assert not [r for r in handler.records if r.exc_info], seen
    (info,) = [r for r in handler.records if r.name == "forma.api"]
    assert info.levelno == logging.INFO
    assert "disconnected" in info.getMessage() and "/v1/imports" in info.getMessage()
    assert _stored(sync_engine) == before

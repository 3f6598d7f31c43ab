"""POST /v1/imports through a real uvicorn server (h11 and httptools) on a free port.

A raw socket client shows what goes over the wire: whether ``100 Continue`` is sent,
when the answer comes, whether the server closes instead of receiving the rest of a
refused body, and how many bytes its socket took in the meantime (kernel buffers
included). The app is wrapped in :class:`CountingApp` to count what it read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import REAL_DATA
from tests.support import accounts
from tests.support.committed import truncate_committed
from tests.support.uploads import (
    GIB,
    CountingApp,
    LazyUpload,
    chunked,
    exchange,
    multipart,
    request_head,
)
from tests.support.uvicorn_server import Server

SWEDISH = REAL_DATA / "strong" / "strong-kg-swedish-names.csv"
CAP = 4 * 1024 * 1024
ENVELOPE = 64 * 1024  # api.imports.multipart.ENVELOPE_BYTES, restated
# What the two sockets' kernel buffers can hold on loopback: far below the 1 GiB sent.
KERNEL_BUFFERS = 32 * 1024 * 1024
# The most one ASGI body message can carry: the app counts the message that crosses the
# cap. uvicorn queues body bytes until 64 KiB (its high-water mark) before pausing the
# socket, and asyncio hands over up to 256 KiB per read; a loaded machine sees both.
ONE_MESSAGE = 64 * 1024 + 256 * 1024


@pytest.fixture(scope="module", params=["h11", "httptools"])
def server(request: pytest.FixtureRequest, sync_engine: Any) -> Iterator[Server]:
    from api.config import Settings
    from api.main import create_app

    settings = Settings()
    # a queue no worker reads: these tests look at the stored pieces, which a worker
    # (a suite's forma up, still draining) would import and delete under them
    settings = settings.model_copy(
        update={"import_max_bytes": CAP, "celery_queue": f"{settings.celery_queue}-unread"}
    )
    with Server(CountingApp(create_app(settings)), request.param) as running:
        yield running
    truncate_committed(sync_engine)


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    return accounts.live_access_token(server.port, "uploader")


def _read_by_app(server: Server, run: Any) -> tuple[Any, int]:
    server.app.body_bytes = 0
    result = run()
    return result, server.app.body_bytes


@pytest.mark.parametrize("bearer", [None, "not-a-jwt"])
def test_unauthenticated_gib_upload_is_refused_and_the_connection_closed(server, bearer):
    upload = LazyUpload(GIB)
    head = request_head(token=bearer, length=upload.length)
    seen, read = _read_by_app(server, lambda: exchange(server.port, head, upload.pieces()))
    assert seen.status == 401, seen.response[:300]
    assert b"www-authenticate: Bearer" in seen.response
    assert read == 0
    assert seen.closed
    assert seen.sent < KERNEL_BUFFERS, seen.sent


def test_expect_continue_with_a_bad_token_gets_401_and_no_100(server):
    upload = LazyUpload(GIB)
    head = request_head(token="not-a-jwt", length=upload.length, expect_continue=True)
    seen, read = _read_by_app(
        server, lambda: exchange(server.port, head, upload.pieces(), wait_first=2.0)
    )
    assert seen.response.startswith(b"HTTP/1.1 401 "), seen.response[:300]
    assert b"100 Continue" not in seen.response
    assert read == 0 and seen.closed


def test_expect_continue_with_a_good_token_gets_100_then_202(server, token):
    body = multipart(SWEDISH.read_bytes(), weight_unit="kg")
    head = request_head(token=token, length=len(body), expect_continue=True)
    seen, read = _read_by_app(
        server, lambda: exchange(server.port, head, iter([body]), wait_first=2.0)
    )
    assert seen.response.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 ")
    assert read == len(body)
    assert not seen.closed  # a fully read request keeps its connection


def test_declared_oversize_with_a_token_is_413_and_closed(server, token):
    upload = LazyUpload(GIB)
    head = request_head(token=token, length=upload.length)
    seen, read = _read_by_app(server, lambda: exchange(server.port, head, upload.pieces()))
    assert seen.status == 413 and read == 0 and seen.closed
    assert seen.sent < KERNEL_BUFFERS, seen.sent


def test_chunked_upload_is_cut_off_at_the_cap_and_closed(server, token):
    upload = LazyUpload(GIB, prefix=SWEDISH.read_bytes(), filler=b"\n")
    head = request_head(token=token, length=None)
    seen, read = _read_by_app(server, lambda: exchange(server.port, head, chunked(upload.pieces())))
    assert seen.status == 413 and seen.closed
    assert CAP < read <= CAP + ENVELOPE + ONE_MESSAGE, read
    assert seen.sent < CAP + KERNEL_BUFFERS, seen.sent


def test_files_are_stored_in_pieces_that_join_to_the_file(server, token, sync_engine):
    real = SWEDISH.read_bytes()
    rows = real.split(b"\n", 1)[1]
    large = real + rows * (2_600_000 // len(rows))  # about 2.6 MB: three 1 MiB pieces
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}") as http:
        for content, pieces in ((real, 1), (large, 3)):
            response = http.post(
                "/v1/imports",
                headers={"Authorization": f"Bearer {token}"},
                files={"file": ("export.csv", content, "text/csv")},
                data={"weight_unit": "kg", "time_zone": "Europe/Stockholm"},
            )
            assert response.status_code == 202, response.text
            with sync_engine.connect() as conn:
                stored = conn.execute(
                    text("SELECT seq, content FROM import_files WHERE job_id = :id ORDER BY seq"),
                    {"id": response.json()["id"]},
                ).all()
                job = conn.execute(
                    text(
                        "SELECT size_bytes, weight_unit, time_zone FROM import_jobs WHERE id = :id"
                    ),
                    {"id": response.json()["id"]},
                ).one()
            assert [seq for seq, _ in stored] == list(range(pieces))
            assert b"".join(piece for _, piece in stored) == content
            assert tuple(job) == (len(content), "kg", "Europe/Stockholm")


def test_a_bad_field_after_the_file_stores_nothing(server, token, sync_engine):
    large = SWEDISH.read_bytes() * 40  # stored pieces are written before the field is seen
    body = multipart(large).replace(b"--\r\n", b"") + (
        b'\r\nContent-Disposition: form-data; name="weight_unit"\r\n\r\nstone\r\n'
    )
    body += b"--forma-upload-boundary--\r\n"
    head = request_head(token=token, length=len(body))
    with sync_engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM import_files")).scalar_one()
    seen = exchange(server.port, head, iter([body]))
    assert seen.status == 422, seen.response[:400]
    assert b'"loc":["body","weight_unit"]' in seen.response
    with sync_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM import_files")).scalar_one() == before

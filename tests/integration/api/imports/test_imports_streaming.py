"""POST /v1/imports at the ASGI level: what the application reads before it answers.

The app is wrapped in :class:`CountingApp`, which counts every body byte handed to it
through ``receive``; uploads are generated lazily, so 1 GiB costs nothing unless read.
"""

from __future__ import annotations

import httpx
import jwt
import pytest

from tests.conftest import REAL_DATA
from tests.support.http import assert_error, register
from tests.support.uploads import CONTENT_TYPE, GIB, CountingApp, LazyUpload, multipart

SWEDISH = REAL_DATA / "strong" / "strong-kg-swedish-names.csv"
ENVELOPE = 64 * 1024  # api.imports.multipart.ENVELOPE_BYTES, restated: the documented allowance
PIECE = 64 * 1024  # LazyUpload's piece size


@pytest.fixture
async def counted(client: httpx.AsyncClient):
    """A client on the same app whose body reads are counted."""
    app = CountingApp(client.forma_app)  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        http.counter = app  # type: ignore[attr-defined]
        yield http


def _set_cap(http: httpx.AsyncClient, cap: int) -> None:
    app = http.forma_app  # type: ignore[attr-defined]
    app.state.settings = app.state.settings.model_copy(update={"import_max_bytes": cap})


async def _upload(http, upload: LazyUpload, headers=None, *, declare_length=True):
    headers = {"Content-Type": CONTENT_TYPE, **(headers or {})}
    if declare_length:
        headers["Content-Length"] = str(upload.length)
    return await http.post("/v1/imports", headers=headers, content=upload.apieces())


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "unauthorized"),
        ("Bearer not-a-jwt", "invalid_token"),
        ("Bearer " + jwt.encode({"sub": "x"}, "another-key-" * 4, algorithm="HS256"), None),
    ],
)
async def test_unauthenticated_gib_upload_is_401_before_any_body(
    client, counted, authorization, code
):
    headers = {"Authorization": authorization} if authorization else {}
    response = await _upload(counted, LazyUpload(GIB), headers)
    error = assert_error(response, 401, code)
    assert counted.counter.body_bytes == 0
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["connection"] == "close"
    # The same answer any other route gives for the same credentials.
    elsewhere = await client.get(
        "/v1/imports/00000000-0000-0000-0000-000000000000", headers=headers
    )
    assert elsewhere.json()["error"] == error
    assert elsewhere.headers["www-authenticate"] == "Bearer"


async def test_declared_oversize_is_413_before_any_body(client, counted):
    headers = await register(client)
    _set_cap(client, 1024 * 1024)
    upload = LazyUpload(1024 * 1024 + ENVELOPE)  # a body one envelope over cap + allowance
    response = await _upload(counted, upload, headers)
    assert "1,048,576" in assert_error(response, 413, "payload_too_large")["message"]
    assert counted.counter.body_bytes == 0
    assert response.headers["connection"] == "close"


async def test_a_file_just_under_the_cap_is_accepted(client, counted):
    headers = await register(client)
    _set_cap(client, 1024 * 1024)
    prefix = SWEDISH.read_bytes()
    upload = LazyUpload(1024 * 1024, prefix=prefix, filler=b"\n")
    response = await _upload(counted, upload, headers)
    assert response.status_code == 202, response.text
    assert counted.counter.body_bytes == upload.length
    assert "connection" not in response.headers
    job = (await client.get(f"/v1/imports/{response.json()['id']}", headers=headers)).json()
    assert job["size_bytes"] == 1024 * 1024 and job["format"] == "strong"


async def test_chunked_upload_is_cut_off_once_past_the_cap(client, counted):
    headers = await register(client)
    cap = 1024 * 1024
    _set_cap(client, cap)
    upload = LazyUpload(GIB, prefix=SWEDISH.read_bytes(), filler=b"\n")
    response = await _upload(counted, upload, headers, declare_length=False)
    assert_error(response, 413, "payload_too_large")
    # Read up to the piece that passed the cap, and not one piece more.
    assert cap < counted.counter.body_bytes <= cap + ENVELOPE + PIECE
    assert response.headers["connection"] == "close"


async def test_unimportable_head_is_415_before_the_rest_is_read(client, counted):
    headers = await register(client)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    upload = LazyUpload(GIB, prefix=png)
    response = await _upload(counted, upload, headers, declare_length=False)
    assert_error(response, 415, "binary_file")
    # The format is told from the first 64 KiB of the file (api.imports.formats.HEAD_BYTES).
    assert counted.counter.body_bytes <= 64 * 1024 + 2 * PIECE
    assert response.headers["connection"] == "close"


async def test_file_split_across_reads_at_every_size_is_stored_whole(client, counted):
    headers = await register(client)
    content = SWEDISH.read_bytes()
    body = multipart(content, weight_unit="kg", time_zone="Europe/Stockholm")
    for step in (1, 7, 4096):

        async def pieces(step: int = step):
            for start in range(0, len(body), step * 97):
                yield body[start : start + step * 97]

        response = await counted.post(
            "/v1/imports", headers={**headers, "Content-Type": CONTENT_TYPE}, content=pieces()
        )
        assert response.status_code == 202, response.text
        job = (await client.get(f"/v1/imports/{response.json()['id']}", headers=headers)).json()
        assert (job["size_bytes"], job["format"]) == (41663, "strong")


async def test_a_body_without_its_closing_boundary_is_422(client):
    headers = await register(client)
    body = multipart(SWEDISH.read_bytes())
    cut = body[: -len(b"--\r\n") - 10]
    response = await client.post(
        "/v1/imports", headers={**headers, "Content-Type": CONTENT_TYPE}, content=cut
    )
    assert_error(response, 422, "malformed_body")


async def test_a_second_file_part_is_422(client):
    headers = await register(client)
    content = SWEDISH.read_bytes()
    one = multipart(content)
    two = one[: -len(b"--\r\n")] + b"\r\n" + one.split(b"\r\n", 1)[1]
    response = await client.post(
        "/v1/imports", headers={**headers, "Content-Type": CONTENT_TYPE}, content=two
    )
    assert_error(response, 422, "malformed_body")


async def test_openapi_describes_the_multipart_form(client):
    operation = (await client.get("/openapi.json")).json()["paths"]["/v1/imports"]["post"]
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["file"]
    assert schema["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": "Strong/Hevy/FitNotes/GymBook CSV, GPX, TCX, FIT, or a .zip/.gz of them",
    }
    assert {"weight_unit", "distance_unit", "time_zone"} <= set(schema["properties"])
    # exactly what is accepted: no null branch (a form field is sent or left out), no
    # empty string, no other part
    assert schema["properties"]["weight_unit"]["enum"] == ["kg", "lb"]
    assert "anyOf" not in schema["properties"]["time_zone"]
    assert schema["additionalProperties"] is False
    assert {"202", "401", "408", "413", "415", "422", "429", "503"} <= set(operation["responses"])
    assert "Retry-After" in operation["responses"]["503"]["headers"]

"""Upload-time checks of POST /v1/imports: what is refused before a job exists."""

from __future__ import annotations

import gzip

import pytest
from sqlalchemy import text

from tests.conftest import REAL_DATA
from tests.support.http import register
from tests.support.uploads import CONTENT_TYPE, multipart

SWEDISH = REAL_DATA / "strong" / "strong-kg-swedish-names.csv"


async def _post(http, headers, content: bytes, name="export.csv", **form):
    return await http.post(
        "/v1/imports", headers=headers, files={"file": (name, content, "text/csv")}, data=form
    )


async def test_accepted_upload_is_a_queued_job_with_the_file(client):
    headers = await register(client)
    content = SWEDISH.read_bytes()
    response = await _post(client, headers, content, weight_unit="kg", time_zone="Europe/Stockholm")
    assert response.status_code == 202
    job = (await client.get(f"/v1/imports/{response.json()['id']}", headers=headers)).json()
    assert job["status"] == "queued" and job["format"] == "strong"
    assert job["size_bytes"] == len(content) == 41663
    assert job["progress"] == 0.0 and job["counts"]["rows"] == 0


async def test_archives_and_activity_files_are_accepted(client):
    headers = await register(client)
    for content, fmt in (
        (gzip.compress(SWEDISH.read_bytes()), "gzip"),
        ((REAL_DATA / "fit" / "fenix2-run-4laps.fit").read_bytes(), "fit"),
        ((REAL_DATA / "gpx" / "strava-run-hr-full.gpx").read_bytes(), "gpx"),
        ((REAL_DATA / "tcx" / "edge520-ride-power.tcx").read_bytes(), "tcx"),
        ((REAL_DATA / "hevy" / "hevy-lbs-miles.csv").read_bytes(), "hevy"),
    ):
        response = await _post(client, headers, content)
        assert response.status_code == 202, response.text
        job = (await client.get(f"/v1/imports/{response.json()['id']}", headers=headers)).json()
        assert job["format"] == fmt


async def test_over_the_size_cap_is_413(client):
    headers = await register(client)
    app = client.forma_app
    app.state.settings = app.state.settings.model_copy(update={"import_max_bytes": 4096})
    response = await _post(client, headers, SWEDISH.read_bytes(), weight_unit="kg")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert "4,096" in response.json()["error"]["message"]


async def test_refused_files_are_415_with_a_reason(client):
    headers = await register(client)
    cases = {
        b"": "empty_file",
        b"   \n": "empty_file",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR": "binary_file",
        "Datum,Träning\n".encode("latin-1") + b"\xff\xfe" * 10 + b"\nabc": "encoding",
        b"name,age\nalice,30\n": "unsupported_format",
        b'{"workouts": []}': "unsupported_format",
    }
    for content, code in cases.items():
        response = await _post(client, headers, content)
        assert response.status_code == 415, (content[:20], response.text)
        assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    ("field", "value"),
    [("weight_unit", "stone"), ("distance_unit", "yd"), ("time_zone", "Mars/Base")],
)
async def test_bad_form_fields_are_422_naming_the_field(client, field, value):
    headers = await register(client)
    response = await _post(client, headers, SWEDISH.read_bytes(), **{field: value})
    assert response.status_code == 422
    locs = [d["loc"] for d in response.json()["error"]["details"]]
    assert ["body", field] in locs


async def test_a_control_character_in_the_file_name_is_422_naming_it(client):
    headers = await register(client)
    for name in ("export\x00.csv", "a\x1b[2J.csv"):  # raw in the part header, as sent
        body = multipart(SWEDISH.read_bytes(), filename=name, weight_unit="kg")
        response = await client.post(
            "/v1/imports", headers={**headers, "Content-Type": CONTENT_TYPE}, content=body
        )
        assert response.status_code == 422, response.text
        (detail,) = response.json()["error"]["details"]
        assert detail["loc"] == ["body", "file", "filename"]


async def test_missing_file_is_422_and_no_token_is_401(client):
    headers = await register(client)
    response = await client.post("/v1/imports", headers=headers, data={"weight_unit": "kg"})
    assert response.status_code == 422
    anonymous = await client.post("/v1/imports", files={"file": ("a.csv", b"x", "text/csv")})
    assert anonymous.status_code == 401


async def test_unknown_import_id_is_404_and_bad_id_is_422(client):
    headers = await register(client)
    missing = await client.get("/v1/imports/00000000-0000-0000-0000-000000000000", headers=headers)
    assert missing.status_code == 404
    assert (await client.get("/v1/imports/not-a-uuid", headers=headers)).status_code == 422


async def test_refused_upload_leaves_no_job(live_client, sync_engine):
    headers = await register(live_client)
    response = await _post(live_client, headers, b"name,age\nalice,30\n")
    assert response.status_code == 415
    with sync_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM import_jobs")).scalar_one() == 0


async def test_accepted_upload_is_visible_to_another_connection_at_once(live_client, sync_engine):
    headers = await register(live_client)
    content = SWEDISH.read_bytes()
    response = await _post(live_client, headers, content, weight_unit="kg")
    assert response.status_code == 202
    with sync_engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT j.status, sum(length(f.content)) FROM import_jobs j "
                "JOIN import_files f ON f.job_id = j.id WHERE j.id = :id GROUP BY j.status"
            ),
            {"id": response.json()["id"]},
        ).one()
    assert tuple(row) == ("queued", len(content))


async def _raw_post(http, headers, body: bytes):
    return await http.post(
        "/v1/imports", headers={**headers, "Content-Type": CONTENT_TYPE}, content=body
    )


def _locs(response) -> list[list[str]]:
    return [detail["loc"] for detail in response.json()["error"]["details"]]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("weight_unit", ""),
        ("weight_unit", " kg"),
        ("weight_unit", "kg "),
        ("distance_unit", ""),
        ("distance_unit", "km\t"),
        ("time_zone", ""),
        ("time_zone", " Europe/Stockholm"),
    ],
)
async def test_empty_or_padded_form_fields_are_422_naming_the_field(client, field, value):
    headers = await register(client)
    body = multipart(SWEDISH.read_bytes(), **{field: value})
    response = await _raw_post(client, headers, body)
    assert response.status_code == 422, (field, value, response.text)
    assert _locs(response) == [["body", field]], (field, value)


async def test_unknown_or_malformed_field_names_are_422_naming_the_field(client):
    headers = await register(client)
    for name in ("weight\x00_unit", "weight\x01_unit", "weight_units", "unit", "file_name"):
        body = multipart(SWEDISH.read_bytes(), **{name: "kg"})
        response = await _raw_post(client, headers, body)
        assert response.status_code == 422, (name, response.text)
        assert _locs(response) == [["body", name]], name


async def test_a_second_file_part_under_another_name_is_422(client):
    headers = await register(client)
    extra = (
        b'--forma-upload-boundary\r\nContent-Disposition: form-data; name="other"; '
        b'filename="b.csv"\r\n\r\nx\r\n'
    )
    response = await _raw_post(client, headers, extra + multipart(SWEDISH.read_bytes()))
    assert response.status_code == 422, response.text
    assert _locs(response) == [["body", "other"]]


async def test_a_non_utf8_field_value_is_422_naming_the_field(client):
    headers = await register(client)
    body = multipart(SWEDISH.read_bytes(), time_zone="TZ").replace(b"TZ", b"\xff\xfe")
    response = await _raw_post(client, headers, body)
    assert response.status_code == 422, response.text
    (detail,) = response.json()["error"]["details"]
    assert detail["loc"] == ["body", "time_zone"]
    assert detail["msg"] == "is not valid UTF-8"


async def test_the_accepted_fields_are_stored_as_sent(client):
    headers = await register(client)
    body = multipart(
        SWEDISH.read_bytes(), weight_unit="lb", distance_unit="mi", time_zone="Europe/Stockholm"
    )
    response = await _raw_post(client, headers, body)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    assert (await client.get(f"/v1/imports/{job_id}", headers=headers)).status_code == 200

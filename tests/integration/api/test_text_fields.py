"""Characters no text field accepts answer 422 naming the field, in forms and JSON alike.

NUL would reach PostgreSQL (which refuses it: a 500), a lone surrogate cannot be
encoded as UTF-8 (a 500 too), and the other C0 controls are never typed by a person.
Tab, line feed and carriage return stay allowed.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.http import PASSWORD, assert_error, register

BAD = ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f", "\ud800"]


def _details(response) -> list[dict]:
    return assert_error(response, 422, "validation_error")["details"]


@pytest.mark.parametrize("char", BAD)
@pytest.mark.parametrize("field", ["username", "password"])
async def test_login_form_fields(client, field, char):
    form = {"username": "someone@example.com", "password": PASSWORD}
    form[field] = f"ab{char}cd"
    # Encoded by hand: httpx cannot encode a lone surrogate, a client may still send one
    # (as an escaped JSON string or, here, as its CESU-8 bytes in a form).
    body = "&".join(f"{k}={v.encode('utf-8', 'surrogatepass').hex()}" for k, v in form.items())
    body = "&".join(
        f"{k}=" + "".join(f"%{b:02X}" for b in v.encode("utf-8", "surrogatepass"))
        for k, v in form.items()
    )
    response = await client.post(
        "/v1/auth/token",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    if char == "\ud800":
        # The form decoder turns the invalid UTF-8 into U+FFFD: harmless text, so the
        # login is simply wrong (no such account), not a 500.
        assert_error(response, 401, "invalid_credentials")
        return
    assert ["body", field] in [d["loc"] for d in _details(response)]


async def test_nul_in_the_login_username_is_a_422_naming_it(client):
    response = await client.post(
        "/v1/auth/token", data={"username": "a\x00@example.com", "password": "x"}
    )
    details = _details(response)
    assert details == [
        {
            "loc": ["body", "username"],
            "msg": "Value error, must not contain NUL characters",
            "type": "value_error",
        }
    ]


async def test_refresh_token_form_field(client):
    response = await client.post(
        "/v1/auth/token", data={"grant_type": "refresh_token", "refresh_token": "ab\x00"}
    )
    assert ["body", "refresh_token"] in [d["loc"] for d in _details(response)]


@pytest.mark.parametrize("char", BAD)
async def test_json_register_fields(client, char):
    body = {"email": f"text-{uuid.uuid4().hex[:8]}@example.com", "password": f"long pass{char}"}
    # json.dumps escapes every control and the lone surrogate as \\uXXXX, as a phone would.
    response = await client.post(
        "/v1/auth/register",
        content=json.dumps(body),
        headers={"content-type": "application/json"},
    )
    assert ["body", "password"] in [d["loc"] for d in _details(response)]


async def test_tab_and_newline_stay_allowed(client):
    email = f"text-{uuid.uuid4().hex[:8]}@example.com"
    password = "tab\there\nand\r\nlines"
    created = await client.post("/v1/auth/register", json={"email": email, "password": password})
    assert created.status_code == 201, created.text
    token = await client.post("/v1/auth/token", data={"username": email, "password": password})
    assert token.status_code == 200, token.text


async def test_imports_form_time_zone(client):
    headers = await register(client)
    response = await client.post(
        "/v1/imports",
        files={"file": ("w.csv", b"Date,Exercise Name\n", "text/csv")},
        data={"time_zone": "Europe/Stockholm\x00"},
        headers=headers,
    )
    details = _details(response)
    assert {
        "loc": ["body", "time_zone"],
        "msg": "Value error, must not contain NUL characters",
        "type": "value_error",
    } in details


@pytest.mark.parametrize("header", ["Idempotency-Key", "If-Match"])
async def test_c1_control_in_a_text_header_is_a_422_naming_it(client, header):
    from tests.support.workouts import a_workout

    headers = await register(client)
    # C1 arrives as latin-1 obs-text (HTTP refuses C0 bytes before the app sees them)
    headers[header] = b"key\x85value"  # type: ignore[assignment]
    if header == "Idempotency-Key":
        response = await client.post("/v1/workouts", headers=headers, json=a_workout())
    else:
        response = await client.put(
            f"/v1/workouts/{uuid.uuid4()}", headers=headers, json=a_workout()
        )
    (detail,) = _details(response)
    assert detail["loc"] == ["header", header]


async def test_a_trailing_c1_control_is_refused_not_stripped(client):
    from tests.support.workouts import a_workout

    headers = await register(client)
    body = a_workout(time_zone="Europe/Stockholm\x85")
    response = await client.put(f"/v1/workouts/{uuid.uuid4()}", headers=headers, json=body)
    (detail,) = _details(response)
    assert detail["loc"] == ["body", "time_zone"]

"""The auth routes' OpenAPI contract: declared responses, described request fields."""

from __future__ import annotations

import pytest

# --- the OpenAPI contract -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "statuses"),
    [
        ("/v1/auth/token", {"200", "401", "413", "422", "429", "503"}),
        # 503: every operation that needs the database can be overloaded (api/openapi.py)
        ("/v1/auth/refresh", {"200", "401", "413", "422", "429", "503"}),
        ("/v1/auth/logout", {"204", "401", "413", "422", "503"}),
        ("/v1/auth/password", {"204", "401", "403", "409", "413", "422", "503"}),
    ],
)
async def test_routes_declare_their_responses(client, path, statuses):
    schema = (await client.get("/openapi.json")).json()
    operation = schema["paths"][path]["post"]
    assert set(operation["responses"]) == statuses
    assert operation["description"] or operation["summary"]


@pytest.mark.parametrize("model", ["RefreshRequest", "LogoutRequest", "PasswordChange"])
async def test_request_fields_are_described(client, model):
    schema = (await client.get("/openapi.json")).json()
    properties = schema["components"]["schemas"][model]["properties"]
    assert properties
    assert all(prop.get("description") for prop in properties.values()), properties

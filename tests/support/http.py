"""HTTP helpers shared by the integration and end-to-end tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

PASSWORD = "correct horse battery"


async def register(
    http: httpx.AsyncClient, email: str | None = None, **extra: Any
) -> dict[str, str]:
    """Register a fresh athlete and return its bearer header."""
    email = email or f"athlete-{uuid.uuid4().hex[:8]}@example.com"
    password = PASSWORD
    response = await http.post(
        "/v1/auth/register", json={"email": email, "password": password, **extra}
    )
    assert response.status_code == 201, response.text
    token = await http.post("/v1/auth/token", data={"username": email, "password": password})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}

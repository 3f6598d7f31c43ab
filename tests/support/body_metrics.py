"""``/v1/body-metrics`` through the API: post, list, and whose rows they are."""

from __future__ import annotations

from typing import Any

import httpx

URL = "/v1/body-metrics"
LB = 0.45359237  # kg per international pound, by definition


async def post(http: httpx.AsyncClient, headers: dict[str, str], **body: Any) -> httpx.Response:
    """``POST /v1/body-metrics`` with ``body``."""
    return await http.post(URL, json=body, headers=headers)


async def listed(http: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict]:
    """The items of one ``GET /v1/body-metrics`` page (200 asserted)."""
    response = await http.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]

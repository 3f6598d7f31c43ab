"""Fixtures shared by the ``/v1/analytics`` tests: the main training plan, refreshed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.analytics import athlete, put_plan, today
from tests.support.analytics_rules import main_plan


@pytest.fixture
async def trained(live_client):
    # Imported here: pytest loads this file before the root conftest sets FORMA_* up.
    from pipelines.tasks.analytics import refresh_user

    headers, user_id = await athlete(live_client)
    plans = main_plan(today() - timedelta(days=40))
    ids = [await put_plan(live_client, headers, p) for p in plans]
    assert refresh_user(user_id) is True
    return headers, user_id, plans, ids

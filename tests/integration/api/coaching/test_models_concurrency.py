"""Two admins asking to train at the same moment (committed tier: separate transactions):
the partial unique index lets one run in, the other is told which run is active."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from tests.support.http import register, user_id_of
from tests.support.registry import BASE


async def test_simultaneous_train_requests_queue_exactly_one_run(live_client, sync_engine):
    headers = await register(live_client)
    with sync_engine.begin() as conn:
        conn.execute(
            text("UPDATE users SET role = 'admin' WHERE id = :id"),
            {"id": await user_id_of(live_client, headers)},
        )
    answers = await asyncio.gather(
        *(live_client.post(f"{BASE}/train", json={}, headers=headers) for _ in range(4))
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [202, 409, 409, 409], [a.text for a in answers]
    [accepted] = [a.json()["id"] for a in answers if a.status_code == 202]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error"]["code"] == "training_in_progress"
            assert answer.json()["error"]["details"] == {"run_id": accepted}
    with sync_engine.connect() as conn:
        runs = conn.execute(text("SELECT id::text, status FROM model_runs")).all()
    assert [tuple(r) for r in runs] == [(accepted, "queued")]

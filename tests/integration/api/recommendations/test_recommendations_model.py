"""The model-backed path: with a champion stored, on-demand scoring answers with its
name and version, an interval around the forecast and weights on the plates; the loaded
coach is cached per process by (name, version, sha256); a refused artifact (its hash
differs) is answered by rule, never a 500."""

from __future__ import annotations

import logging
from datetime import timedelta

from api.db import create_engine, create_sessionmaker
from api.recommendations.champion import Champions
from tests.support.analytics import BENCH, athlete, local, put, s, today
from tests.support.http import json_of
from tests.support.tiny_coach import MODEL, store_champion

TZ = "Europe/Oslo"


def _days_ago(days: int):
    day = today(TZ) - timedelta(days=days)
    return local(TZ, day.year, day.month, day.day, 18)


async def _lifter(http):
    headers, user_id = await athlete(http, TZ)
    for days, kg in ((24, 90.0), (18, 92.5), (12, 95.0), (6, 97.5), (2, 100.0)):
        await put(http, headers, _days_ago(days), [s(BENCH, kg, 5, rpe=8)] * 3)
    return headers, user_id


async def test_a_champion_answers_with_its_version_and_interval(live_client, sync_engine):
    store_champion(sync_engine)
    headers, _ = await _lifter(live_client)
    items = json_of(await live_client.get("/v1/recommendations", headers=headers), 200)["items"]
    assert [i["exercise_id"] for i in items] == [BENCH]
    item = items[0]
    assert item["model"] == {"name": MODEL, "version": 1} and item["rule"] is None
    low, high = item["interval_kg"]
    assert low <= item["predicted_e1rm_kg"] <= high
    # 100 × 5 last time is an e1RM of 100·(1 + 5/30) = 116.7 kg: the forecast is near it
    predicted = item["predicted_e1rm_kg"]
    assert 100.0 <= predicted <= 135.0
    # the usual 3 × 5 at RPE 8: the chart's x = 10 − 8 + 5 − 1 = 6, 97.0955 − 2.64249·6 =
    # 81.24 % of the forecast, at most 5 % over the last top set (105 kg), on 2.5 kg plates
    raw = predicted * (97.0955 - 2.64249 * 6) / 100
    weight = round(raw / 2.5) * 2.5 if raw <= 105.0 else 105.0
    one = {"weight_kg": weight, "weight": weight, "unit": "kg", "reps": 5, "target_rpe": 8.0}
    assert item["sets"] == [one] * 3
    assert item["explanation"]
    # the same stored answer next time
    again = json_of(await live_client.get("/v1/recommendations", headers=headers), 200)
    assert again["items"] == items


async def test_a_refused_artifact_is_served_by_rule(live_client, sync_engine, caplog):
    store_champion(sync_engine, sha256="0" * 64)
    headers, _ = await _lifter(live_client)
    with caplog.at_level(logging.ERROR, logger="forma.recommendations"):
        item = json_of(await live_client.get("/v1/recommendations", headers=headers), 200)
    assert item["items"][0]["model"] is None and item["items"][0]["rule"] == "last_sets"
    assert any("refused" in r.getMessage() for r in caplog.records)


async def test_the_loaded_coach_is_cached_by_name_version_and_hash(
    live_client, sync_engine, settings
):
    store_champion(sync_engine)
    engine = create_engine(settings.database_url, pool_size=1)
    champions = Champions()
    try:
        async with create_sessionmaker(engine)() as session:
            first = await champions.current(session)
            second = await champions.current(session)
            assert first is not None and second is not None
            assert (first.name, first.version) == (MODEL, 1)
            assert second.coach is first.coach  # warm: not deserialised again
            store_champion(sync_engine, 2)  # promoted: a new version is loaded
            await session.rollback()  # a fresh snapshot sees the alias move
            third = await champions.current(session)
            assert third is not None and third.version == 2 and third.coach is not first.coach
            store_champion(sync_engine, 3, sha256="f" * 64)  # refused: no champion
            await session.rollback()
            assert await champions.current(session) is None
    finally:
        await engine.dispose()

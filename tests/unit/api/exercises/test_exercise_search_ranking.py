"""Search ranking: the tier a name matches in, the rank key, the popularity cache."""

from __future__ import annotations

import uuid

import pytest

from api.exercises import search
from api.exercises.catalogue import match_key
from api.exercises.search import (
    ALIAS,
    EXACT_NAME,
    INSIDE,
    NAME_PREFIX,
    WORD_PREFIX,
    PopularityCache,
    rank_key,
    tier,
)


@pytest.mark.parametrize(
    ("q", "name", "aliases", "expected"),
    [
        ("belt squat", "Belt Squat", (), EXACT_NAME),
        ("belt squat", "BELT-SQUAT", (), EXACT_NAME),
        ("squat", "Squat (Barbell)", ("Squat",), NAME_PREFIX),
        ("squat", "Belt Squat", (), WORD_PREFIX),
        ("barbell", "Squat (Barbell)", (), WORD_PREFIX),  # "(" ends a word too
        ("kneeling landmine", "Half-Kneeling Landmine Jab", (), WORD_PREFIX),
        ("squat", "Clean (Barbell)", ("Clean", "Squat Clean"), ALIAS),
        ("sentadilla", "Squat (Barbell)", ("Sentadilla",), ALIAS),
        ("developpe", "Bench Press (Barbell)", ("Développé Couché",), ALIAS),
        ("quat", "Squat (Barbell)", (), INSIDE),
        ("quat", "Wall Sit", ("Sissysquat",), INSIDE),
        ("squat", "Bench Press (Barbell)", ("Bench",), None),
        ("élévation", "Elevation Laterale", (), NAME_PREFIX),  # q folded by the caller
    ],
)
def test_tier(q: str, name: str, aliases: tuple[str, ...], expected: int | None) -> None:
    assert tier(match_key(q), name, aliases) == expected


def test_a_later_occurrence_at_a_word_start_counts() -> None:
    # "squat" first appears mid-word, then at the start of a word.
    assert tier("squat", "Sissysquat Squat", ()) == WORD_PREFIX


def test_rank_key_orders_tier_then_popularity_then_name_then_id() -> None:
    a, b = uuid.UUID(int=1), uuid.UUID(int=2)
    keys = [
        rank_key(tier=WORD_PREFIX, popularity=9, name_key="a", exercise_id=a),
        rank_key(tier=NAME_PREFIX, popularity=0, name_key="z", exercise_id=b),
        rank_key(tier=NAME_PREFIX, popularity=3, name_key="z", exercise_id=a),
        rank_key(tier=NAME_PREFIX, popularity=3, name_key="y", exercise_id=b),
        rank_key(tier=NAME_PREFIX, popularity=3, name_key="y", exercise_id=a),
    ]
    assert sorted(keys) == [keys[4], keys[3], keys[2], keys[1], keys[0]]


async def test_popularity_cache_loads_once_per_ttl() -> None:
    calls: list[int] = []

    async def load() -> dict[uuid.UUID, int]:
        calls.append(1)
        return {uuid.UUID(int=len(calls)): len(calls)}

    cache = PopularityCache(ttl_s=3600.0)
    first = await cache.get(load)
    assert await cache.get(load) is first and len(calls) == 1
    cache.clear()
    assert await cache.get(load) == {uuid.UUID(int=2): 2}
    stale = PopularityCache(ttl_s=0.0)
    await stale.get(load)
    await stale.get(load)
    assert len(calls) == 4


async def test_popularity_cache_serves_the_old_counts_while_reloading() -> None:
    cache = PopularityCache(ttl_s=0.0)
    old = {uuid.UUID(int=1): 1}

    async def load_old() -> dict[uuid.UUID, int]:
        return old

    await cache.get(load_old)

    async def load_new() -> dict[uuid.UUID, int]:
        # Another request arriving mid-reload gets the old counts, not a second load.
        async def never() -> dict[uuid.UUID, int]:
            raise AssertionError("a second load ran")

        assert await cache.get(never) is old
        return {}

    assert await cache.get(load_new) == {}


def test_tiers_are_the_documented_five() -> None:
    assert search.TIERS == (EXACT_NAME, NAME_PREFIX, WORD_PREFIX, ALIAS, INSIDE) == (0, 1, 2, 3, 4)

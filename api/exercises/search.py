"""Ranking a catalogue search, so that what people type finds what they mean first.

A search ``q`` and every name and alias are compared by :func:`match_key` (case,
accents, dashes and spacing folded). An exercise matches in the first of these tiers
that holds:

0. its name is ``q``;
1. its name starts with ``q``;
2. a word of its name starts with ``q``;
3. a word of one of its aliases (stored or translated) starts with ``q``;
4. ``q`` appears anywhere else inside its name or an alias.

Within a tier, the more athletes train an exercise the earlier it comes
(:class:`PopularityCache`), then its ``name_key``, then its id: a total order, so a
page boundary is one :data:`RankKey` and the next page is everything after it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Iterable

from api.exercises.catalogue import match_key

EXACT_NAME, NAME_PREFIX, WORD_PREFIX, ALIAS, INSIDE = range(5)
TIERS = (EXACT_NAME, NAME_PREFIX, WORD_PREFIX, ALIAS, INSIDE)

RankKey = tuple[int, int, str, str]
"""``(tier, -popularity, name_key, str(id))``: smaller ranks first."""


def _at_word_start(key: str, q: str) -> bool:
    """Whether ``q`` occurs in ``key`` at the start of a word (after a non-alphanumeric)."""
    start = key.find(q)
    while start != -1:
        if start == 0 or not key[start - 1].isalnum():
            return True
        start = key.find(q, start + 1)
    return False


def tier(q: str, name: str, aliases: Iterable[str]) -> int | None:
    """The tier ``name`` and ``aliases`` match ``q`` in (``q`` already a match key), or None."""
    name_key = match_key(name)
    if name_key == q:
        return EXACT_NAME
    if name_key.startswith(q):
        return NAME_PREFIX
    if _at_word_start(name_key, q):
        return WORD_PREFIX
    alias_keys = [match_key(a) for a in aliases]
    if any(_at_word_start(a, q) for a in alias_keys):
        return ALIAS
    if q in name_key or any(q in a for a in alias_keys):
        return INSIDE
    return None


def rank_key(*, tier: int, popularity: int, name_key: str, exercise_id: uuid.UUID) -> RankKey:
    """The sort key of one match."""
    return (tier, -popularity, name_key, str(exercise_id))


class PopularityCache:
    """Catalogue exercise id → how many athletes have sets of it, kept for ``ttl_s``.

    The count is an aggregate over every athlete's sets: far too dear to run on each
    keystroke of a search, cheap once every few minutes. While one request reloads a
    stale value the others keep answering with the old one. Within one ``ttl_s``
    every page of a search ranks by the same counts, so its pages fit together.
    """

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._value: dict[uuid.UUID, int] | None = None
        self._expires = 0.0
        self._loading = False

    def clear(self) -> None:
        """Forget the counts; the next :meth:`get` loads them."""
        self._value = None
        self._expires = 0.0

    async def get(
        self, load: Callable[[], Awaitable[dict[uuid.UUID, int]]]
    ) -> dict[uuid.UUID, int]:
        """The counts, calling ``load`` when they are missing or stale."""
        now = time.monotonic()
        if self._value is not None and (now < self._expires or self._loading):
            return self._value
        self._loading = True
        try:
            value = await load()
        finally:
            self._loading = False
        self._value, self._expires = value, time.monotonic() + self.ttl_s
        return value

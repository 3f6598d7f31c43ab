"""The champion of a model, loaded once per API process.

``app.state.champions`` (a :class:`Champions`, made in the app's lifespan) keeps the
deserialised coach of each model keyed by (name, version, sha256): a request finds the
alias with one small query and deserialises only when the champion moved. An artifact
the loader refuses (hash mismatch, a type off the allow-list) is logged once and
remembered as refused: its athletes are answered by rule, never with a 500.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import anyio.to_thread
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from api.recommendations import repository
from models.coaching import artifact
from models.coaching.estimator import Coach

logger = logging.getLogger("forma.recommendations")

#: The model recommendations are served from.
MODEL_NAME = "next_e1rm"

_Key = tuple[str, int, str]


@dataclass(frozen=True, slots=True)
class Champion:
    """A loaded champion: its name, version and coach."""

    name: str
    version: int
    coach: Coach

    @property
    def model(self) -> tuple[str, int]:
        """``(name, version)``, as ``models.coaching.scoring.score`` takes it."""
        return self.name, self.version


class Champions:
    """This process's loaded champions, one entry per model name (the current one)."""

    def __init__(self) -> None:
        # name → ((name, version, sha256), coach or None when the artifact was refused)
        self._loaded: dict[str, tuple[_Key, Coach | None]] = {}
        # one deserialisation at a time: a burst of cold requests loads the artifact once
        self._lock = asyncio.Lock()

    async def current(self, session: AsyncSession, model_name: str = MODEL_NAME) -> Champion | None:
        """The model's champion, or None (no champion, or its artifact refused)."""
        ref = await repository.champion(session, model_name)
        if ref is None:
            return None
        version, sha256 = ref
        key = (model_name, version, sha256)
        coach = await self._coach(session, key)
        return None if coach is None else Champion(model_name, version, coach)

    async def _coach(self, session: AsyncSession, key: _Key) -> Coach | None:
        name, version, sha256 = key
        cached = self._loaded.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        async with self._lock:
            cached = self._loaded.get(name)
            if cached is not None and cached[0] == key:
                return cached[1]
            blob = await repository.artifact(session, name, version)
            coach: Coach | None
            try:
                # skops walks the whole tree: seconds for a big model, off the event loop
                coach = await anyio.to_thread.run_sync(artifact.loads, blob, sha256)
            except artifact.ArtifactRefused as exc:
                logger.error(
                    "champion %s v%d refused (%s): serving rules until another is promoted",
                    name, version, exc,
                )  # fmt: skip
                coach = None
            self._loaded[name] = (key, coach)
            return coach


def champions_of(request: Request) -> Champions:
    """The app's cache (made in the lifespan; an app assembled without its lifespan, as
    the rolled-back test tier does, gets one on first use)."""
    state = request.app.state
    champions: Champions | None = getattr(state, "champions", None)
    if champions is None:
        champions = state.champions = Champions()
    return champions

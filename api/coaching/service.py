"""Rules of the model registry: which models exist, one training run at a time, and how
the champion moves (promote, roll back) with an event for every move (DESIGN §2.8)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.coaching import repository
from api.coaching.schemas import (
    ChampionMoved,
    EventPage,
    EventRead,
    ModelList,
    ModelSummary,
    RunBrief,
    TrainingWindow,
    VersionPage,
    VersionRead,
)
from api.coaching.tables import ModelRun, ModelVersion
from api.db import after_commit
from api.errors import Conflict, NotFound
from api.pagination import encode_cursor, read_cursor, split_page
from api.users.tables import User
from models.coaching import MODEL_NAMES
from models.coaching.estimator import Params

#: Celery tasks (by name, DESIGN §3): a run's orchestrator, and batch scoring with the champion
TRAIN_TASK = "coaching.train"
SCORE_ALL_TASK = "coaching.score_all"
PROMOTED_REASON = "promoted by an admin"
ROLLED_BACK_REASON = "rolled back by an admin"


class ModelNotFound(NotFound, code="model_not_found"):
    """404: no model of that name is registered (:data:`models.coaching.MODEL_NAMES`)."""


class VersionNotFound(NotFound, code="version_not_found"):
    """404: the model has no such version."""


class RunNotFound(NotFound, code="run_not_found"):
    """404: the model has no such training run."""


class TrainingInProgress(Conflict, code="training_in_progress"):
    """409: the model already has a queued, building or fitting run (``details.run_id``)."""


class AlreadyChampion(Conflict, code="already_champion"):
    """409: the version asked for is the champion already."""


class NoEarlierChampion(Conflict, code="no_earlier_champion"):
    """409: a rollback without a version, and the events record no champion before this one."""


def check_model(name: str) -> str:
    """``name`` when it is a registered model; 404 ``model_not_found`` otherwise."""
    if name not in MODEL_NAMES:
        # a path segment can be kilobytes: say enough of it to recognise
        shown = name if len(name) <= 64 else name[:64] + "…"
        raise ModelNotFound(f"no model named {shown!r}; models: {', '.join(MODEL_NAMES)}")
    return name


async def list_models(session: AsyncSession) -> ModelList:
    """Every registered model with its aliases, latest version and latest run."""
    items = []
    for name in MODEL_NAMES:
        aliases = await repository.aliases(session, model_name=name)
        run = await repository.latest_run(session, model_name=name)
        items.append(
            ModelSummary(
                name=name,
                champion=aliases.get("champion"),
                challenger=aliases.get("challenger"),
                latest_version=await repository.latest_version(session, model_name=name),
                latest_run=RunBrief.model_validate(run) if run is not None else None,
            )
        )
    return ModelList(items=items)


def _version_read(row: ModelVersion, aliases: Mapping[str, int]) -> VersionRead:
    return VersionRead(
        name=row.model_name,
        version=row.version,
        created_at=row.created_at,
        run_id=row.run_id,
        window=TrainingWindow(
            trained_from=row.trained_from, trained_to=row.trained_to, cut=row.cut
        ),
        snapshot=row.snapshot,
        code_version=row.code_version,
        params=row.params,
        metrics=row.metrics,
        artifact_sha256=row.artifact_sha256,
        aliases=sorted(alias for alias, version in aliases.items() if version == row.version),
    )


def _cursor_int(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError("not an integer")
    return raw


async def list_versions(
    session: AsyncSession, *, name: str, limit: int, cursor: str | None
) -> VersionPage:
    """A page of the model's versions, newest first, with the aliases each holds."""
    check_model(name)
    before = read_cursor(cursor, size=1, parse=_cursor_int)
    rows, more = split_page(
        await repository.versions_page(session, model_name=name, limit=limit + 1, before=before),
        limit,
    )
    aliases = await repository.aliases(session, model_name=name)
    return VersionPage(
        items=[_version_read(row, aliases) for row in rows],
        next_cursor=encode_cursor([rows[-1].version]) if more else None,
    )


async def list_events(
    session: AsyncSession, *, name: str, limit: int, cursor: str | None
) -> EventPage:
    """A page of the model's events, newest first."""
    check_model(name)
    before = read_cursor(cursor, size=1, parse=_cursor_int)
    rows, more = split_page(
        await repository.events_page(session, model_name=name, limit=limit + 1, before=before),
        limit,
    )
    return EventPage(
        items=[EventRead.model_validate(row) for row in rows],
        next_cursor=encode_cursor([rows[-1].id]) if more else None,
    )


def resolve_params(overrides: Mapping[str, str]) -> dict[str, float | int | str]:
    """The full hyper-parameters of a run: the defaults with ``overrides`` applied.

    422 ``validation_error`` with one item per refused key at ``["body", "params", key]``
    (the message of :meth:`Params.with_overrides`, which names the key and the problem).
    """
    problems = []
    for key, value in overrides.items():
        try:
            Params.with_overrides({key: value})
        except ValueError as exc:
            problems.append(
                {"type": "value_error", "loc": ("body", "params", key), "msg": str(exc)}
            )
    if problems:
        raise RequestValidationError(problems)
    try:
        params = Params.with_overrides(overrides)
    except ValueError as exc:  # each key is fine alone, not together
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "params"), "msg": str(exc)}]
        ) from exc
    return params.as_dict()


def _in_progress(run_id: uuid.UUID) -> TrainingInProgress:
    return TrainingInProgress(
        f"a training run of this model is in progress: {run_id}", details={"run_id": str(run_id)}
    )


async def start_training(
    session: AsyncSession, *, name: str, overrides: Mapping[str, str], user: User
) -> ModelRun:
    """Queue a training run (``requested_by`` = the admin's e-mail) and, after commit, send
    ``coaching.train(run_id)``.

    404 for an unknown model, 422 for a bad parameter, 409 ``training_in_progress`` (with
    ``details.run_id``) while another run of the model is queued, building or fitting.
    """
    check_model(name)
    params = resolve_params(overrides)
    active = await repository.active_run_id(session, model_name=name)
    if active is not None:
        raise _in_progress(active)
    run = ModelRun(model_name=name, status="queued", params=params, requested_by=user.email)
    try:
        async with session.begin_nested():
            await repository.add_run(session, run=run)
    except IntegrityError as exc:
        # Another request or the nightly beat queued one since the check: the partial
        # unique index is the rule, the check above only the common case's answer.
        active = await repository.active_run_id(session, model_name=name)
        if active is None:
            raise
        raise _in_progress(active) from exc
    after_commit(session, TRAIN_TASK, str(run.id))
    return run


async def get_run(session: AsyncSession, *, name: str, run_id: uuid.UUID) -> ModelRun:
    """One run of the model; 404 ``run_not_found`` (also for another model's run)."""
    check_model(name)
    run = await repository.get_run(session, model_name=name, run_id=run_id)
    if run is None:
        raise RunNotFound("training run not found")
    return run


def earlier_champion(history: list[tuple[str, int]], current: int) -> int | None:
    """The champion before ``current``, replaying the champion's moves (oldest first).

    The moves form a stack: a promotion pushes its version, a rollback pops back to the
    version it restored (or pushes one never champion before). So rolling back twice
    walks back two champions instead of swapping the last two.
    """
    stack: list[int] = []
    for event, version in history:
        if event == "rolled_back" and version in stack:
            del stack[len(stack) - stack[::-1].index(version) :]
        elif not stack or stack[-1] != version:
            stack.append(version)
    # An alias moved without an event (never through Forma's code) still counts as current.
    if not stack or stack[-1] != current:
        stack.append(current)
    earlier = [v for v in stack[:-1] if v != current]
    return earlier[-1] if earlier else None


async def _move_champion(
    session: AsyncSession,
    *,
    name: str,
    version: int,
    previous: int | None,
    event: str,
    reason: str,
    user: User,
) -> ChampionMoved:
    await repository.set_alias(
        session, model_name=name, alias="champion", version=version, actor=user.email
    )
    row = await repository.add_event(
        session,
        model_name=name,
        version=version,
        event=event,
        reason=reason,
        actor=user.email,
        details={"previous_champion": previous},
    )
    # the champion changed: every athlete's stored scores are re-made with it
    after_commit(session, SCORE_ALL_TASK)
    return ChampionMoved(
        name=name, champion=version, previous_champion=previous, event=EventRead.model_validate(row)
    )


async def promote(session: AsyncSession, *, name: str, version: int, user: User) -> ChampionMoved:
    """Make ``version`` the champion; event ``promoted`` (previous champion in its details).

    404 for an unknown model or version, 409 ``already_champion``.
    """
    check_model(name)
    await repository.lock_aliases(session, model_name=name)
    if not await repository.version_exists(session, model_name=name, version=version):
        raise VersionNotFound(f"{name} has no version {version}")
    current = (await repository.aliases(session, model_name=name)).get("champion")
    if current == version:
        raise AlreadyChampion(f"version {version} is the champion already")
    return await _move_champion(
        session,
        name=name,
        version=version,
        previous=current,
        event="promoted",
        reason=PROMOTED_REASON,
        user=user,
    )


async def rollback(
    session: AsyncSession, *, name: str, version: int | None, user: User
) -> ChampionMoved:
    """Put an earlier champion back: ``version``, or by default the champion before the
    current one as the events record it; event ``rolled_back``.

    404 for an unknown model or version; 409 ``no_earlier_champion`` when there is no
    champion, or no earlier one to go back to; 409 ``already_champion``.
    """
    check_model(name)
    await repository.lock_aliases(session, model_name=name)
    current = (await repository.aliases(session, model_name=name)).get("champion")
    if version is None:
        if current is None:
            raise NoEarlierChampion(f"{name} has no champion to roll back from")
        history = await repository.champion_history(session, model_name=name)
        version = earlier_champion(history, current)
        if version is None:
            raise NoEarlierChampion(f"the events record no champion of {name} before {current}")
    elif not await repository.version_exists(session, model_name=name, version=version):
        raise VersionNotFound(f"{name} has no version {version}")
    if current == version:
        raise AlreadyChampion(f"version {version} is the champion already")
    return await _move_champion(
        session,
        name=name,
        version=version,
        previous=current,
        event="rolled_back",
        reason=ROLLED_BACK_REASON,
        user=user,
    )

"""Rules for exercises: search, and the caller's custom ones (create, edit, merge, delete).

Services flush, never commit: the request's session commits before the response.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.analytics import service as analytics_service
from api.db import in_autocommit
from api.errors import Conflict, Forbidden, NotFound, Unprocessable
from api.exercises import repository, search
from api.exercises.catalogue import (
    fold_accents,
    match_key,
    normalise_name,
    translated_aliases,
)
from api.exercises.schemas import ExerciseCreate, ExercisePage, ExerciseRead, ExerciseUpdate
from api.exercises.search import PopularityCache, RankKey
from api.exercises.tables import Exercise
from api.pagination import decode_cursor, encode_cursor
from api.users import write_lock
from api.users.tables import User

logger = logging.getLogger("forma.exercises")

POPULARITY = PopularityCache(ttl_s=300.0)
"""How many athletes train each catalogue exercise, shared by every search of this process."""


async def list_exercises(
    session: AsyncSession, *, user: User, q: str | None, limit: int, cursor: str | None
) -> ExercisePage:
    """A page of the catalogue and the caller's unmerged custom exercises.

    Without ``q`` (or one that folds to nothing) they come by name; with ``q`` only the
    matches come, best first (:mod:`api.exercises.search`).
    """
    key = match_key(q) if q else ""
    if key:
        return await _search(session, user=user, q=key, limit=limit, cursor=cursor)
    after = None
    if cursor:
        name_key, raw_id = decode_cursor(cursor, size=2)
        after = (str(name_key), _cursor_uuid(raw_id))
    rows = await repository.by_name(session, user_id=user.id, limit=limit + 1, after=after)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].name_key, str(rows[-1].id)]) if more else None
    return ExercisePage(items=[ExerciseRead.from_row(r) for r in rows], next_cursor=next_cursor)


async def _load_popularity(session: AsyncSession) -> dict[uuid.UUID, int]:
    """The catalogue's popularity counts, or none when the database cannot give them.

    The count is ranking garnish: if it fails (a statement timeout on a huge
    database), the search still answers, ranked without it until the next reload.
    In a transaction, a savepoint keeps it usable after the failure; a read request's
    statements run in autocommit mode (:func:`api.db.get_session`), where there is no
    transaction to keep and no savepoint can be taken.
    """
    try:
        if await in_autocommit(session):
            return await repository.catalogue_popularity(session)
        async with session.begin_nested():
            return await repository.catalogue_popularity(session)
    except DBAPIError:
        logger.warning("exercise popularity unavailable; searching without it", exc_info=True)
        return {}


def _cursor_uuid(raw: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise Unprocessable("cursor is not valid", code="invalid_cursor") from exc


def _search_cursor(cursor: str) -> RankKey:
    """The rank key a search cursor carries: ``[tier, popularity, name_key, id]``."""
    tier, popularity, name_key, raw_id = decode_cursor(cursor, size=4)
    if (
        not isinstance(tier, int)
        or tier not in search.TIERS
        or not isinstance(popularity, int)
        or popularity < 0
        or not isinstance(name_key, str)
    ):
        raise Unprocessable("cursor is not valid", code="invalid_cursor")
    return search.rank_key(
        tier=tier, popularity=popularity, name_key=name_key, exercise_id=_cursor_uuid(raw_id)
    )


async def _search(
    session: AsyncSession, *, user: User, q: str, limit: int, cursor: str | None
) -> ExercisePage:
    """The matches of ``q`` (a match key) ranked, one page after the cursor's rank key.

    The whole ranked list is built and cut after the cursor's key, so a page boundary
    never depends on offsets: while the popularity counts stay the same (a process
    keeps them 5 minutes), paging through a search gives the same sequence as one big
    page. A page read after a reload, or by another process, may see an exercise whose
    count changed cross the boundary (shown twice or not at all); names, tiers and ids
    never move.
    """
    after = _search_cursor(cursor) if cursor else None
    matches: list[tuple[uuid.UUID, uuid.UUID | None, str, int]] = []
    for ex_id, owner, name, name_key, aliases in await repository.searchable(
        session, user_id=user.id
    ):
        found = search.tier(q, name, [*aliases, *translated_aliases(ex_id)])
        if found is not None:
            matches.append((ex_id, owner, name_key, found))
    if not matches:
        return ExercisePage(items=[], next_cursor=None)
    catalogue = await POPULARITY.get(lambda: _load_popularity(session))
    # The caller's own exercises: only the caller can train them, so 1 or 0.
    own = await repository.trained_by(
        session, user_id=user.id, exercise_ids=[m[0] for m in matches if m[1] is not None]
    )
    ranked = sorted(
        search.rank_key(
            tier=found,
            popularity=catalogue.get(ex_id, 0) if owner is None else int(ex_id in own),
            name_key=name_key,
            exercise_id=ex_id,
        )
        for ex_id, owner, name_key, found in matches
    )
    if after is not None:
        ranked = [k for k in ranked if k > after]
    page = ranked[:limit]
    rows = await repository.by_ids(
        session, user_id=user.id, exercise_ids=[uuid.UUID(k[3]) for k in page]
    )
    # An exercise deleted since the first read is simply left out of the page.
    found_rows = (rows.get(uuid.UUID(k[3])) for k in page)
    items = [ExerciseRead.from_row(r) for r in found_rows if r is not None]
    next_cursor = None
    if len(ranked) > limit:
        last = page[-1]
        next_cursor = encode_cursor([last[0], -last[1], last[2], last[3]])
    return ExercisePage(items=items, next_cursor=next_cursor)


async def get_exercise(session: AsyncSession, *, user: User, exercise_id: uuid.UUID) -> Exercise:
    """A catalogue exercise or one of the caller's own (merged ones too); 404 otherwise."""
    exercise = await repository.get(session, user_id=user.id, exercise_id=exercise_id)
    if exercise is None:
        raise NotFound("exercise not found")
    return exercise


def _editable(exercise: Exercise | None) -> Exercise:
    """The caller's own, unmerged custom exercise, or the 404/403/409 that says why not."""
    if exercise is None:
        raise NotFound("exercise not found")
    if exercise.user_id is None:
        raise Forbidden(
            "catalogue exercises cannot be changed; create a custom exercise instead",
            code="catalogue_exercise",
        )
    if exercise.merged_into_id is not None:
        raise Conflict(
            "this exercise was merged into another; change that one instead",
            code="already_merged",
            details={"merged_into_id": str(exercise.merged_into_id)},
        )
    return exercise


async def _locked_editable(
    session: AsyncSession, *, user: User, exercise_id: uuid.UUID
) -> Exercise:
    rows = await repository.lock_visible(session, user_id=user.id, exercise_ids=[exercise_id])
    return _editable(rows.get(exercise_id))


def _exists(existing_id: uuid.UUID, existing_name: str, field: str) -> Conflict:
    return Conflict(
        f"an exercise called {existing_name!r} already exists; use it or pick another name",
        code="exercise_exists",
        details={"id": str(existing_id), "name": existing_name, "field": field},
    )


async def _ensure_names_free(
    session: AsyncSession,
    *,
    user: User,
    name: str | None,
    aliases: list[str],
    exclude_id: uuid.UUID | None = None,
) -> None:
    """409 ``exercise_exists`` when a name or alias matches (by :func:`match_key`: case
    and accents folded) the name, an alias or a translated alias of a catalogue
    exercise, or the name or an alias of another of the caller's custom exercises.

    Aliases count too because imports resolve names through them: a custom alias equal
    to a catalogue name would silently send that exercise's future imports elsewhere.
    """
    taken: dict[str, tuple[uuid.UUID, str]] = {}
    for ex_id, ex_name, ex_key, ex_aliases in await repository.names(session, user_id=user.id):
        if ex_id == exclude_id:
            continue
        taken.setdefault(fold_accents(ex_key), (ex_id, ex_name))
        for alias in (*ex_aliases, *translated_aliases(ex_id)):
            taken.setdefault(match_key(alias), (ex_id, ex_name))
    wanted = ([(name, "name")] if name is not None else []) + [(a, "aliases") for a in aliases]
    for value, field in wanted:
        hit = taken.get(match_key(value))
        if hit is not None:
            raise _exists(hit[0], hit[1], field)


async def _conflict_after_race(session: AsyncSession, *, user: User, name_key: str) -> Conflict:
    """The 409 for a name a concurrent request took between our check and our write."""
    for ex_id, ex_name, ex_key, _ in await repository.names(session, user_id=user.id):
        if ex_key == name_key:
            return _exists(ex_id, ex_name, "name")
    return Conflict("an exercise with this name already exists", code="exercise_exists")


async def create_exercise(session: AsyncSession, *, user: User, data: ExerciseCreate) -> Exercise:
    """A new custom exercise of the caller; 409 ``exercise_exists`` on a taken name."""
    await _ensure_names_free(session, user=user, name=data.name, aliases=data.aliases)
    name_key = normalise_name(data.name)
    exercise_id = uuid.uuid4()
    inserted = await repository.insert_custom(
        session,
        values={
            "id": exercise_id,
            "user_id": user.id,
            "name": data.name,
            "name_key": name_key,
            "aliases": data.aliases,
            "kind": data.kind,
            "equipment": data.equipment,
            "primary_muscles": data.primary_muscles,
            "secondary_muscles": data.secondary_muscles,
        },
    )
    if not inserted:
        raise await _conflict_after_race(session, user=user, name_key=name_key)
    return await get_exercise(session, user=user, exercise_id=exercise_id)


async def update_exercise(
    session: AsyncSession, *, user: User, exercise_id: uuid.UUID, data: ExerciseUpdate
) -> Exercise:
    """Change the caller's custom exercise; a rename or kind change owes an analytics refresh.

    e1RM and records depend on the kind (and the records carry the name), so the
    caller's analytics are marked stale from the first local day the exercise was trained.
    A rename also re-sends, through the sync feed, every workout that shows the name.
    """
    # The user row first, then the exercise row: the order the import task and merges
    # take them in, so the three can never deadlock.
    change_seq = await write_lock.take(session, user.id)
    exercise = await _locked_editable(session, user=user, exercise_id=exercise_id)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    renamed = "name" in changes and changes["name"] != exercise.name
    kind_changed = "kind" in changes and changes["kind"] != exercise.kind
    aliases_changed = "aliases" in changes and changes["aliases"] != list(exercise.aliases or [])
    if renamed or aliases_changed:
        await _ensure_names_free(
            session,
            user=user,
            name=changes["name"] if renamed else None,
            aliases=changes["aliases"] if aliases_changed else [],
            exclude_id=exercise.id,
        )
    for field, value in changes.items():
        setattr(exercise, field, value)
    if renamed:
        exercise.name_key = normalise_name(exercise.name)
    if not await repository.flush_rename(session):
        raise await _conflict_after_race(session, user=user, name_key=exercise.name_key)
    if renamed:
        await repository.stamp_workouts_with_sets(
            session, user_id=user.id, exercise_id=exercise.id, change_seq=change_seq
        )
    if renamed or kind_changed:
        since = await repository.first_local_day(session, user_id=user.id, exercise_id=exercise.id)
        if since is not None:
            await analytics_service.mark_stale(session, user_id=user.id, since_day=since)
    return exercise


async def merge_exercise(
    session: AsyncSession, *, user: User, exercise_id: uuid.UUID, into: uuid.UUID
) -> Exercise:
    """Move every set of the caller's custom exercise to ``into`` and leave a redirect.

    One transaction: the user's sync sequence is bumped once and every workout that
    held sets of the source gets the new ``change_seq`` (the sync feed re-sends them),
    the sets move in one UPDATE, the source (and anything merged into it earlier)
    points at the target, and analytics are marked stale from the earliest local day
    affected. Returns the target.
    """
    # The user row first, then the exercise rows: the import task takes its locks in
    # the same order (sync sequence, then sets referencing exercises), so the two
    # serialise instead of deadlocking.
    change_seq = await write_lock.take(session, user.id)
    rows = await repository.lock_visible(session, user_id=user.id, exercise_ids=[exercise_id, into])
    source = _editable(rows.get(exercise_id))
    if into == exercise_id:
        raise Unprocessable(
            "an exercise cannot be merged into itself",
            code="invalid_merge_target",
            details=[{"loc": ["body", "into"], "msg": "is the exercise itself", "type": "value"}],
        )
    target = rows.get(into)
    if target is None:
        raise NotFound("target exercise not found", details={"into": str(into)})
    if target.merged_into_id is not None:
        raise Conflict(
            "the target was itself merged into another exercise; merge into that one",
            code="target_merged",
            details={"merged_into_id": str(target.merged_into_id)},
        )
    since = await repository.first_local_day(session, user_id=user.id, exercise_id=source.id)
    await repository.stamp_workouts_with_sets(
        session, user_id=user.id, exercise_id=source.id, change_seq=change_seq
    )
    await repository.move_sets(session, user_id=user.id, source_id=source.id, target_id=target.id)
    await repository.mark_merged(session, user_id=user.id, source_id=source.id, target_id=target.id)
    if since is not None:
        await analytics_service.mark_stale(session, user_id=user.id, since_day=since)
    return target


async def delete_exercise(session: AsyncSession, *, user: User, exercise_id: uuid.UUID) -> None:
    """Delete the caller's custom exercise; 409 ``exercise_in_use`` while sets use it."""
    exercise = await _locked_editable(session, user=user, exercise_id=exercise_id)
    sets = await repository.count_sets(session, user_id=user.id, exercise_id=exercise.id)
    merged = await repository.merged_from(session, user_id=user.id, exercise_id=exercise.id)
    if sets or merged:
        raise _in_use(sets, merged)
    if not await repository.delete(session, exercise=exercise):
        # A set was written meanwhile (a concurrent import); the foreign key refused.
        raise _in_use(None, [])


def _in_use(sets: int | None, merged: list[uuid.UUID]) -> Conflict:
    return Conflict(
        "sets use this exercise; merge it into another exercise instead "
        "(POST /v1/exercises/{id}/merge), which moves its sets",
        code="exercise_in_use",
        details={"sets": sets, "merged_from": [str(m) for m in merged]},
    )

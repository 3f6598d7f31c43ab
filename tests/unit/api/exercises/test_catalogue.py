"""The seeded exercise catalogue: table hygiene (vocabulary, slugs, names, lookup) and ids."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import replace

import pytest

from api.exercises.catalogue import (
    CATALOGUE_V1,
    EQUIPMENT,
    EXERCISE_KINDS,
    EXERCISE_NAMESPACE,
    MUSCLE_GROUPS,
    TRANSLATED_ALIASES,
    CatalogueExercise,
    build_lookup,
    exercise_id,
    match_key,
    normalise_name,
    translated_aliases,
)

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def lookup() -> dict[str, CatalogueExercise]:
    return build_lookup()


def _resolve(lookup: dict[str, CatalogueExercise], name: str) -> CatalogueExercise | None:
    return lookup.get(match_key(name))


# ── table hygiene ───────────────────────────────────────────────────────────


def test_catalogue_size() -> None:
    assert len(CATALOGUE_V1) >= 200


def test_muscle_vocabulary_is_the_agreed_one() -> None:
    assert len(set(MUSCLE_GROUPS)) == len(MUSCLE_GROUPS) == 23
    assert {"chest", "lats", "quads", "full_body", "cardio"} <= set(MUSCLE_GROUPS)


@pytest.mark.parametrize("exercise", CATALOGUE_V1, ids=lambda e: e.slug)
def test_exercise_uses_known_vocabulary(exercise: CatalogueExercise) -> None:
    assert exercise.kind in EXERCISE_KINDS
    assert exercise.equipment in EQUIPMENT
    assert exercise.primary_muscles, "every exercise names a primary muscle group"
    muscles = exercise.primary_muscles + exercise.secondary_muscles
    assert set(muscles) <= set(MUSCLE_GROUPS), set(muscles) - set(MUSCLE_GROUPS)
    assert len(set(muscles)) == len(muscles), "a muscle is listed twice"
    assert exercise.name == exercise.name.strip() and "  " not in exercise.name
    assert all(a == a.strip() and a for a in exercise.aliases)
    if exercise.kind == "cardio":
        assert exercise.primary_muscles == ("cardio",)


def test_slugs_unique_and_lowercase_hyphen() -> None:
    slugs = [e.slug for e in CATALOGUE_V1]
    assert len(set(slugs)) == len(slugs), [s for s in slugs if slugs.count(s) > 1]
    bad = [s for s in slugs if not SLUG_RE.fullmatch(s)]
    assert not bad


def test_display_names_unique_after_normalising() -> None:
    keys = [normalise_name(e.name) for e in CATALOGUE_V1]
    assert len(set(keys)) == len(keys)


def _every_name(exercise: CatalogueExercise) -> tuple[str, ...]:
    return (exercise.name, *exercise.aliases, *TRANSLATED_ALIASES.get(exercise.slug, ()))


def test_build_lookup_has_no_collisions(lookup: dict[str, CatalogueExercise]) -> None:
    expected = {match_key(n) for e in CATALOGUE_V1 for n in _every_name(e)}
    assert set(lookup) == expected
    for exercise in CATALOGUE_V1:
        for name in _every_name(exercise):
            assert lookup[match_key(name)] is exercise


def test_no_two_exercises_share_a_folded_key() -> None:
    # Independent of build_lookup: every folded key of the whole catalogue, names,
    # aliases and translations, belongs to exactly one exercise, so folding case and
    # accents never merges two entries on import.
    owners: dict[str, set[str]] = defaultdict(set)
    for exercise in CATALOGUE_V1:
        for name in _every_name(exercise):
            owners[match_key(name)].add(exercise.slug)
    shared = {key: slugs for key, slugs in owners.items() if len(slugs) > 1}
    assert shared == {}
    # Folding accents adds no collision that case-folding alone did not have.
    unfolded = {normalise_name(n) for e in CATALOGUE_V1 for n in _every_name(e)}
    assert len(unfolded) == len(owners)


def test_build_lookup_raises_on_a_collision_only_accents_tell_apart() -> None:
    bench = CATALOGUE_V1[0]
    one = replace(bench, slug="one", name="Développé", aliases=())
    two = replace(bench, slug="two", name="Developpe", aliases=())
    with pytest.raises(ValueError, match="two"):
        build_lookup((one, two))


def test_translated_aliases_name_catalogue_exercises() -> None:
    slugs = {e.slug for e in CATALOGUE_V1}
    assert set(TRANSLATED_ALIASES) <= slugs
    for slug, names in TRANSLATED_ALIASES.items():
        assert names and all(n == n.strip() and n for n in names)
        assert translated_aliases(exercise_id(slug)) == names
    assert translated_aliases(uuid.uuid4()) == ()


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Sentadilla", "squat-barbell"),
        ("SENTADILLA CON BARRA", "squat-barbell"),
        ("Développé couché", "bench-press-barbell"),
        ("developpe couche", "bench-press-barbell"),
        ("Bankdrücken", "bench-press-barbell"),
        ("bankdrucken", "bench-press-barbell"),
        ("Peso muerto", "deadlift-barbell"),
        ("Soulevé de terre", "deadlift-barbell"),
        ("Klimmzüge", "pull-up"),
        ("Flexões", "push-up"),
    ],
)
def test_translated_names_resolve(
    lookup: dict[str, CatalogueExercise], name: str, slug: str
) -> None:
    found = _resolve(lookup, name)
    assert found is not None and found.slug == slug


def test_build_lookup_raises_on_collision() -> None:
    bench = CATALOGUE_V1[0]
    other = replace(
        bench, slug="other-press", name="Other Press", aliases=("barbell  BENCH press",)
    )
    with pytest.raises(ValueError, match="other-press"):
        build_lookup((bench, other))


def test_build_lookup_tolerates_an_exercise_repeating_its_own_name() -> None:
    ex = CatalogueExercise(
        "x-press", "X Press", "strength", "barbell", ("chest",), (), ("x-press",)
    )
    assert build_lookup((ex,)) == {"x press": ex}


# ── ids ─────────────────────────────────────────────────────────────────────


def test_namespace_is_pinned() -> None:
    # Changing the namespace would change every catalogue id.
    assert EXERCISE_NAMESPACE == uuid.UUID("0b76bddb-1ef6-4685-ae6e-b8ded2003cc5")


def test_exercise_id_is_uuid5_of_slug() -> None:
    expected = uuid.uuid5(EXERCISE_NAMESPACE, "bench-press-barbell")
    assert exercise_id("bench-press-barbell") == expected
    assert expected.version == 5
    ids = {exercise_id(e.slug) for e in CATALOGUE_V1}
    assert len(ids) == len(CATALOGUE_V1)

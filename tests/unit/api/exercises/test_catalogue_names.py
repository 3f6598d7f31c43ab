"""Name matching against the catalogue: normalising, folding, kinds and aliases of
well-known exercises.
"""

from __future__ import annotations

import pytest

from api.exercises.catalogue import (
    CATALOGUE_V1,
    CatalogueExercise,
    build_lookup,
    fold_accents,
    match_key,
    normalise_name,
)


@pytest.fixture(scope="module")
def lookup() -> dict[str, CatalogueExercise]:
    return build_lookup()


def _resolve(lookup: dict[str, CatalogueExercise], name: str) -> CatalogueExercise | None:
    return lookup.get(match_key(name))


def _found(lookup: dict[str, CatalogueExercise], name: str) -> CatalogueExercise:
    """The exercise ``name`` resolves to; fails the test, naming it, when none does."""
    exercise = _resolve(lookup, name)
    assert exercise is not None, name
    return exercise


# ── normalise_name ──────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bench Press (Barbell)", "bench press (barbell)"),
        ("  Belt Squat ", "belt squat"),
        ("Lat   Pulldown\t(Cable)", "lat pulldown (cable)"),
        ("Bench Press – Close Grip (Barbell)", "bench press close grip (barbell)"),
        ("Bench Press — Close Grip (Barbell)", "bench press close grip (barbell)"),
        ("Bench Press - Close Grip (Barbell)", "bench press close grip (barbell)"),
        ("Push-Up", "push up"),
        ("Knee Raise (Captain’s Chair)", "knee raise (captain's chair)"),
        ("Knee Raise (Captain`s Chair)", "knee raise (captain's chair)"),
        ("“Quoted” Curl", '"quoted" curl'),
        ("Squat ( Barbell )", "squat (barbell)"),
        ("Squat(Barbell)", "squat (barbell)"),
        ("Ｓｑｕａｔ（Ｂａｒｂｅｌｌ）", "squat (barbell)"),
        ("STRASSE ß", "strasse ss"),
        ("Preacher Hammer Curl (Dumbell)", "preacher hammer curl (dumbbell)"),
        ("Low Bar Squat (Barbel)", "low bar squat (barbell)"),
        ("Barbells", "barbells"),
        ("", ""),
    ],
)
def test_normalise_name(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Développé Couché", "developpe couche"),
        ("DÉVELOPPÉ  couché", "developpe couche"),
        ("Klimmzüge", "klimmzuge"),
        ("Flexões", "flexoes"),
        ("Ørsted Łódź", "orsted lodz"),
        ("Cœur Æble", "coeur aeble"),
        ("Straße", "strasse"),
        ("Presse à cuisses – 45°", "presse a cuisses 45°"),
        ("Squat (Barbell)", "squat (barbell)"),
        ("Жим лёжа", "жим лежа"),  # Cyrillic keeps its letters; only marks go
    ],
)
def test_match_key_folds_case_and_accents(raw: str, expected: str) -> None:
    assert match_key(raw) == expected


def test_match_key_of_a_stored_name_key_is_its_folded_form() -> None:
    # exercise_lookup folds the stored name_key instead of re-normalising the name.
    for name in ("Développé Couché", "Bench Press (Barbell)", "Klimmzüge – Weighted", "ÆØÅ"):
        assert fold_accents(normalise_name(name)) == match_key(name)
        assert match_key(match_key(name)) == match_key(name)


def test_normalise_name_is_idempotent() -> None:
    for exercise in CATALOGUE_V1:
        for name in (exercise.name, *exercise.aliases):
            once = normalise_name(name)
            assert normalise_name(once) == once


# ── kinds and aliases of well-known exercises ───────────────────────────────


#: kind → well-known exercises of that kind, by their catalogue names
KINDS: dict[str, tuple[str, ...]] = {
    "bodyweight": ("Pull Up", "Chin Up", "Push Up", "Chest Dip", "Triceps Dip"),
    "assisted": ("Pull Up (Assisted)", "Chin Up (Assisted)", "Chest Dip (Assisted)"),
    "strength": (
        "Pull Up (Weighted)",
        "Chest Dip (Weighted)",
        "Bench Press (Barbell)",
        "Lat Pulldown (Cable)",
    ),
    "timed": ("Plank", "Side Plank", "Dead Hang", "Stretching"),
    "cardio": ("Running", "Running (Treadmill)", "Cycling", "Rowing (Machine)"),
}


@pytest.mark.parametrize(
    ("name", "kind"), [(name, kind) for kind, names in KINDS.items() for name in names]
)
def test_kinds(lookup: dict[str, CatalogueExercise], name: str, kind: str) -> None:
    assert _found(lookup, name).kind == kind


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        # Hevy
        ("Bench Press (Barbell)", "bench-press-barbell"),
        ("Leg Press (Machine)", "leg-press"),
        ("Leg Press Horizontal (Machine)", "seated-leg-press-machine"),
        ("Butterfly (Pec Deck)", "pec-deck-machine"),
        ("Hip Abduction (Machine)", "hip-abductor-machine"),
        ("Seated Incline Curl (Dumbbell)", "incline-curl-dumbbell"),
        ("Rear Delt Reverse Fly (Cable)", "reverse-fly-cable"),
        ("Straight Arm Lat Pulldown (Cable)", "straight-arm-pulldown-cable"),
        ("Treadmill", "running-treadmill"),
        ("Triceps Rope Pushdown", "triceps-pushdown-cable-rope"),
        ("Shoulder Press (Dumbbell)", "overhead-press-dumbbell"),
        ("Single Arm Lat Pulldown", "lat-pulldown-single-arm"),
        # FitNotes
        ("Flat Barbell Bench Press", "bench-press-barbell"),
        ("Barbell Bench Press", "bench-press-barbell"),
        ("Barbell Back Squat", "squat-barbell"),
        ("Conventional Deadlift", "deadlift-barbell"),
        ("Pushups", "push-up"),
        ("Chin Ups", "chin-up"),
        ("Assisted Chinups", "chin-up-assisted"),
        ("Running (Outdoor)", "running"),
        ("Standard Lat Pulldown", "lat-pulldown-cable"),
        ("Dumbell Pullover", "pullover-dumbbell"),
        # Strong, other spellings
        ("Tricep Pushdown (Rope)", "triceps-pushdown-cable-rope"),
        ("Low Bar Squat (Barbel)", "low-bar-squat-barbell"),
        ("Bent-Over Lateral Raise (Dumbbell)", "bent-over-lateral-raise-dumbbell"),
        ("Iso Lateral Leg Press", "iso-lateral-leg-press-machine"),
        ("V-bar pulldown", "lat-pulldown-neutral-grip-cable"),
        ("Lat pulldown (close grip)", "lat-pulldown-close-grip-cable"),
        ("smith machine bulgarian split squat", "bulgarian-split-squat-smith-machine"),
    ],
)
def test_aliases_resolve(lookup: dict[str, CatalogueExercise], name: str, slug: str) -> None:
    assert _found(lookup, name).slug == slug


def test_required_standard_names_not_in_the_strong_files(
    lookup: dict[str, CatalogueExercise],
) -> None:
    for name in ("Running", "Plank", "Walking", "Cycling", "Pull Up (Weighted)"):
        assert _resolve(lookup, name) is not None, name


def test_unknown_names_stay_unknown(lookup: dict[str, CatalogueExercise]) -> None:
    # User-invented names become the user's custom exercises, not a guess.
    for name in ("Brutal Biceps", "Gar Hammer", "Practice Squat", "Bench"):
        assert _resolve(lookup, name) is None, name

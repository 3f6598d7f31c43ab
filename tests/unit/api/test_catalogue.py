"""The seeded exercise catalogue: table hygiene, name matching, coverage of real exports."""

from __future__ import annotations

import csv
import functools
import re
import uuid
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

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
    fold_accents,
    match_key,
    normalise_name,
    translated_aliases,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
REAL_DATA = REPO_ROOT.parent / "shared" / "data" / "real"
STRONG_FILES = sorted((REAL_DATA / "strong").glob("*.csv"))


def needs_real_data(test):  # the real exports are part of the test fixture set: never skip
    @functools.wraps(test)
    def checked(*args, **kwargs):
        assert len(STRONG_FILES) == 5, f"the 5 real Strong exports are not under {REAL_DATA}"
        return test(*args, **kwargs)

    return checked


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Standard Strong catalogue names seen in the five real Strong exports.
STANDARD_STRONG_NAMES = (
    "Arnold Press (Dumbbell)",
    "Back Extension",
    "Back Extension (Machine)",
    "Bench Dip",
    "Bench Press (Barbell)",
    "Bench Press (Dumbbell)",
    "Bench Press - Close Grip (Barbell)",
    "Bent Over One Arm Row (Dumbbell)",
    "Bent Over Row (Barbell)",
    "Bent Over Row (Dumbbell)",
    "Bent Over Row - Underhand (Barbell)",
    "Bicep Curl (Barbell)",
    "Bicep Curl (Cable)",
    "Bicep Curl (Dumbbell)",
    "Bicep Curl (Machine)",
    "Bulgarian Split Squat",
    "Cable Crossover",
    "Cable Crunch",
    "Cable Twist",
    "Calf Press on Leg Press",
    "Calf Press on Seated Leg Press",
    "Chest Dip",
    "Chest Dip (Assisted)",
    "Chest Fly",
    "Chest Press (Machine)",
    "Chin Up",
    "Concentration Curl (Dumbbell)",
    "Crunch (Machine)",
    "Deadlift (Barbell)",
    "Deadlift (Smith Machine)",
    "Decline Crunch",
    "Face Pull (Cable)",
    "Front Raise (Barbell)",
    "Front Raise (Dumbbell)",
    "Front Squat (Barbell)",
    "Glute Ham Raise",
    "Hack Squat",
    "Hammer Curl (Cable)",
    "Hammer Curl (Dumbbell)",
    "Hanging Leg Raise",
    "Hip Abductor (Machine)",
    "Hip Adductor (Machine)",
    "Hip Thrust (Barbell)",
    "Incline Bench Press (Barbell)",
    "Incline Bench Press (Dumbbell)",
    "Incline Bench Press (Smith Machine)",
    "Incline Chest Fly (Dumbbell)",
    "Incline Chest Press (Machine)",
    "Incline Curl (Dumbbell)",
    "Incline Row (Barbell)",
    "Incline Row (Dumbbell)",
    "Inverted Row (Bodyweight)",
    "Iso-Lateral Chest Press (Machine)",
    "Iso-Lateral Row (Machine)",
    "Knee Raise (Captain's Chair)",
    "Lat Pulldown (Cable)",
    "Lat Pulldown (Machine)",
    "Lat Pulldown (Single Arm)",
    "Lat Pulldown - Underhand (Cable)",
    "Lat Pulldown - Wide Grip (Cable)",
    "Lateral Raise (Cable)",
    "Lateral Raise (Dumbbell)",
    "Lateral Raise (Machine)",
    "Leg Extension (Machine)",
    "Leg Press",
    "Lunge (Dumbbell)",
    "Lying Leg Curl (Machine)",
    "Overhead Press (Barbell)",
    "Overhead Press (Dumbbell)",
    "Overhead Press (Smith Machine)",
    "Pec Deck (Machine)",
    "Pistol Squat",
    "Preacher Curl (Barbell)",
    "Preacher Curl (Dumbbell)",
    "Preacher Curl (Machine)",
    "Pull Up",
    "Pull Up (Assisted)",
    "Pullover (Dumbbell)",
    "Pullover (Machine)",
    "Push Up",
    "Rack Pull (Barbell)",
    "Reverse Curl (Barbell)",
    "Reverse Fly (Cable)",
    "Reverse Fly (Dumbbell)",
    "Reverse Fly (Machine)",
    "Romanian Deadlift (Barbell)",
    "Romanian Deadlift (Dumbbell)",
    "Running (Treadmill)",
    "Seated Calf Raise (Machine)",
    "Seated Calf Raise (Plate Loaded)",
    "Seated Leg Curl (Machine)",
    "Seated Leg Press (Machine)",
    "Seated Overhead Press (Barbell)",
    "Seated Overhead Press (Dumbbell)",
    "Seated Palms Up Wrist Curl (Dumbbell)",
    "Seated Row (Cable)",
    "Seated Row (Machine)",
    "Seated Wide-Grip Row (Cable)",
    "Shoulder Press (Machine)",
    "Shoulder Press (Plate Loaded)",
    "Shrug (Barbell)",
    "Shrug (Dumbbell)",
    "Shrug (Smith Machine)",
    "Side Bend (Dumbbell)",
    "Skullcrusher (Barbell)",
    "Skullcrusher (Dumbbell)",
    "Snatch (Barbell)",
    "Squat (Barbell)",
    "Squat (Bodyweight)",
    "Squat (Machine)",
    "Squat (Smith Machine)",
    "Standing Calf Raise (Barbell)",
    "Standing Calf Raise (Dumbbell)",
    "Standing Calf Raise (Machine)",
    "Standing Calf Raise (Smith Machine)",
    "Stiff Leg Deadlift (Dumbbell)",
    "Straight Arm Pulldown (Cable)",
    "Stretching",
    "Strict Military Press (Barbell)",
    "Sumo Deadlift (Barbell)",
    "T Bar Row",
    "Triceps Dip",
    "Triceps Extension",
    "Triceps Extension (Barbell)",
    "Triceps Extension (Cable)",
    "Triceps Extension (Dumbbell)",
    "Triceps Extension (Machine)",
    "Triceps Pushdown (Cable - Straight Bar)",
    "Upright Row (Barbell)",
    "Upright Row (Cable)",
    "Upright Row (Dumbbell)",
    "Wide Pull Up",
)


def _strong_names(path: Path) -> set[str]:
    """Distinct exercise names of one Strong export (English or Chinese header, ; or ,)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        header = f.readline()
        f.seek(0)
        delimiter = ";" if header.count(";") > header.count(",") else ","
        reader = csv.DictReader(f, delimiter=delimiter)
        fields = reader.fieldnames or []
        column = "Exercise Name" if "Exercise Name" in fields else "运动名称"
        assert column in fields, f"{path.name}: no exercise column in {fields}"
        return {row[column] for row in reader if row[column]}


def _column_names(path: Path, column: str) -> set[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {row[column] for row in csv.DictReader(f) if row[column]}


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


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Pull Up", "bodyweight"),
        ("Chin Up", "bodyweight"),
        ("Push Up", "bodyweight"),
        ("Chest Dip", "bodyweight"),
        ("Triceps Dip", "bodyweight"),
        ("Pull Up (Assisted)", "assisted"),
        ("Chin Up (Assisted)", "assisted"),
        ("Chest Dip (Assisted)", "assisted"),
        ("Pull Up (Weighted)", "strength"),
        ("Chest Dip (Weighted)", "strength"),
        ("Plank", "timed"),
        ("Side Plank", "timed"),
        ("Dead Hang", "timed"),
        ("Stretching", "timed"),
        ("Running", "cardio"),
        ("Running (Treadmill)", "cardio"),
        ("Cycling", "cardio"),
        ("Rowing (Machine)", "cardio"),
        ("Bench Press (Barbell)", "strength"),
        ("Lat Pulldown (Cable)", "strength"),
    ],
)
def test_kinds(lookup: dict[str, CatalogueExercise], name: str, kind: str) -> None:
    exercise = _resolve(lookup, name)
    assert exercise is not None, name
    assert exercise.kind == kind


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
    exercise = _resolve(lookup, name)
    assert exercise is not None, name
    assert exercise.slug == slug


def test_required_standard_names_not_in_the_strong_files(
    lookup: dict[str, CatalogueExercise],
) -> None:
    for name in ("Running", "Plank", "Walking", "Cycling", "Pull Up (Weighted)"):
        assert _resolve(lookup, name) is not None, name


def test_unknown_names_stay_unknown(lookup: dict[str, CatalogueExercise]) -> None:
    # User-invented names become the user's custom exercises, not a guess.
    for name in ("Brutal Biceps", "Gar Hammer", "Practice Squat", "Bench"):
        assert _resolve(lookup, name) is None, name


# ── real exports ────────────────────────────────────────────────────────────


@needs_real_data
def test_standard_strong_names_resolve(lookup: dict[str, CatalogueExercise]) -> None:
    seen = set().union(*(_strong_names(p) for p in STRONG_FILES))
    not_seen = [n for n in STANDARD_STRONG_NAMES if n not in seen]
    assert not not_seen, f"listed but not in the Strong exports: {not_seen}"
    missing = [n for n in STANDARD_STRONG_NAMES if _resolve(lookup, n) is None]
    assert not missing


@needs_real_data
def test_strong_coverage(lookup: dict[str, CatalogueExercise]) -> None:
    """Share of each export's distinct exercise names that resolve to the catalogue.

    Pooled over the exports (a name counts once per export that uses it), it must
    be at least 80%. The union of all distinct names is reported too: it is lower
    because one export holds dozens of personal nicknames and drills.
    """
    matched_total = distinct_total = 0
    union: set[str] = set()
    lines = []
    for path in STRONG_FILES:
        names = _strong_names(path)
        matched = {n for n in names if _resolve(lookup, n) is not None}
        matched_total += len(matched)
        distinct_total += len(names)
        union |= names
        lines.append(
            f"{path.name}: {len(matched)}/{len(names)} = {len(matched) / len(names):.1%}; "
            f"unmatched {sorted(names - matched)}"
        )
    union_matched = sum(1 for n in union if _resolve(lookup, n) is not None)
    pooled = matched_total / distinct_total
    lines.append(f"pooled per export: {matched_total}/{distinct_total} = {pooled:.1%}")
    lines.append(f"union of names: {union_matched}/{len(union)} = {union_matched / len(union):.1%}")
    report = "\n".join(lines)
    print(report)
    assert pooled >= 0.80, report


@needs_real_data
def test_imports_never_merge_two_names_of_one_export(
    lookup: dict[str, CatalogueExercise],
) -> None:
    """Two different exercises a user logged in one export never become one exercise."""
    exports: list[tuple[str, set[str]]] = [(p.name, _strong_names(p)) for p in STRONG_FILES]
    exports += [(p.name, _column_names(p, "exercise_title")) for p in REAL_DATA.glob("hevy/*.csv")]
    exports += [(p.name, _column_names(p, "Exercise")) for p in REAL_DATA.glob("fitnotes/*.csv")]
    merged = []
    for file_name, names in exports:
        keys_by_slug: dict[str, set[str]] = defaultdict(set)
        for name in names:
            exercise = _resolve(lookup, name)
            if exercise is not None:
                keys_by_slug[exercise.slug].add(normalise_name(name))
        merged += [(file_name, s, k) for s, k in keys_by_slug.items() if len(k) > 1]
    assert not merged

"""The catalogue against the real exports: standard Strong names resolve, coverage, and
no two names of one export merged.
"""

from __future__ import annotations

import csv
import functools
from collections import defaultdict
from pathlib import Path

import pytest

from api.exercises.catalogue import (
    CatalogueExercise,
    build_lookup,
    match_key,
    normalise_name,
)

REPO_ROOT = Path(__file__).resolve().parents[4]
REAL_DATA = REPO_ROOT.parent / "shared" / "data" / "real"
STRONG_FILES = sorted((REAL_DATA / "strong").glob("*.csv"))


def needs_real_data(test):  # the real exports are part of the test fixture set: never skip
    @functools.wraps(test)
    def checked(*args, **kwargs):
        assert len(STRONG_FILES) == 5, f"the 5 real Strong exports are not under {REAL_DATA}"
        return test(*args, **kwargs)

    return checked


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

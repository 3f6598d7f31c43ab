"""The one sport table: every file's spelling → Forma's sport, unknown → "other"."""

from __future__ import annotations

from typing import get_args

import fitdecode.profile
import pytest

from pipelines.imports.parsers import sports
from pipelines.imports.parsers.base import Sport

# The FIT profile's sport names that are a Forma sport; every other one is "other".
FIT_MAPPED = {
    "running": "run",
    "cycling": "ride",
    "swimming": "swim",
    "walking": "walk",
    "hiking": "hike",
    "rowing": "row",
}


@pytest.mark.parametrize(
    ("label", "sport"),
    [
        ("Running", "run"),
        ("trail_running", "run"),
        ("Biking", "ride"),
        ("VirtualRide", "ride"),
        ("cycling", "ride"),
        ("Walking", "walk"),
        ("hiking", "hike"),
        ("open_water_swimming", "swim"),
        ("Rowing", "row"),
        ("Other", "other"),
        ("jkljkl", "other"),
        ("9", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_sport_of(label: str | None, sport: str) -> None:
    assert sports.sport_of(label) == sport


@pytest.mark.parametrize(("spelling", "sport"), sorted(sports.SPORT_WORDS.items()))
def test_every_spelling_in_the_table(spelling: str, sport: str) -> None:
    assert sport in get_args(Sport)
    assert sports.sport_of(spelling) == sport
    assert sports.sport_of(spelling.upper()) == sport
    assert sports.sport_of(f"Morning {spelling.capitalize()}") == sport


@pytest.mark.parametrize(
    ("label", "sport"),
    [("Running", "run"), ("Biking", "ride"), ("Other", "other"), ("Kayaking", "other")],
)
def test_tcx_sport_attribute(label: str, sport: str) -> None:
    assert sports.sport_of(label) == sport


def test_every_fit_sport_name() -> None:
    names = fitdecode.profile.FIELD_TYPES["sport"].enum.values()
    assert set(FIT_MAPPED) <= set(names)
    for name in names:
        assert sports.fit_sport(name) == FIT_MAPPED.get(name, "other"), name


@pytest.mark.parametrize(
    "name",
    # Whole names, not words: these contain a sport word but are not that sport.
    ["e_biking", "horseback_riding", "wheelchair_push_run", "wheelchair_push_walk"],
)
def test_fit_names_are_matched_whole(name: str) -> None:
    assert sports.fit_sport(name) == "other"


@pytest.mark.parametrize("name", [None, "", "254", "Running", "jkljkl"])
def test_unknown_fit_sport_is_other(name: str | None) -> None:
    assert sports.fit_sport(name) == "other"


def test_titles_cover_every_sport_but_other() -> None:
    assert set(sports.SPORT_TITLES) == set(get_args(Sport)) - {"other"}
    assert sports.SPORT_TITLES["ride"] == "Ride"

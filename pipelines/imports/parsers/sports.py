"""The one sport table: every activity file's sport spelling → Forma's :data:`base.Sport`.

The spellings come from three vocabularies, all looked up in :data:`SPORT_WORDS`:

* **GPX** ``<type>`` and **TCX** ``Sport`` are free text (``Running``, ``trail_running``,
  ``VirtualRide``, ``Biking``, ``Other`` …): :func:`sport_of` splits them into words.
* **FIT** ``sport`` is an enum name from the FIT profile (``running``, ``cycling``,
  ``e_biking``, ``horseback_riding`` …): :func:`fit_sport` looks the whole name up,
  so only an exact entry counts (``e_biking`` is not a ride, ``horseback_riding``
  not a ride, ``wheelchair_push_run`` not a run). ``sub_sport`` (``indoor_cycling``,
  ``trail`` …) never changes the sport; the FIT parser keeps it in the label.

Whatever is not in the table is ``"other"``: a sport is never guessed.
"""

from __future__ import annotations

import re
from typing import Final

from pipelines.imports.parsers.base import Sport

SPORT_WORDS: Final[dict[str, Sport]] = {
    **dict.fromkeys(["run", "running", "jog", "jogging"], "run"),
    **dict.fromkeys(
        ["ride", "riding", "cycling", "cycle", "biking", "bike", "bicycle", "mtb"], "ride"
    ),
    **dict.fromkeys(["walk", "walking"], "walk"),
    **dict.fromkeys(["hike", "hiking"], "hike"),
    **dict.fromkeys(["swim", "swimming"], "swim"),
    **dict.fromkeys(["row", "rowing"], "row"),
}
"""Case-folded spelling → sport. FIT's six mapped enum names (``running``, ``cycling``,
``swimming``, ``walking``, ``hiking``, ``rowing``) are entries of their own."""

SPORT_TITLES: Final[dict[Sport, str]] = {
    "run": "Run",
    "ride": "Ride",
    "walk": "Walk",
    "hike": "Hike",
    "swim": "Swim",
    "row": "Row",
}
"""A workout's default title by sport (``other`` has none: each parser names it)."""

_WORD: Final = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def sport_of(label: str | None) -> Sport:
    """Map a file's free-text activity type (GPX ``<type>``, TCX ``Sport``) to a sport.

    Words are matched case-insensitively, CamelCase and ``_``/``-`` split
    (``Running``, ``trail_running``, ``VirtualRide``, ``Biking`` …); the first word
    that names a sport wins. Anything else (``Other``, ``9``, ``jkljkl``, ``None``) is
    ``"other"``.
    """
    for word in _WORD.findall(label or ""):
        sport = SPORT_WORDS.get(word.casefold())
        if sport is not None:
            return sport
    return "other"


def fit_sport(name: str | None) -> Sport:
    """Map a FIT ``sport`` enum name (as fitdecode decodes it) to a sport, or ``"other"``.

    The whole name is looked up, not its words (see the module docstring); an
    undocumented sport number (decoded as text of digits) or None is ``"other"``.
    """
    return SPORT_WORDS.get(name or "", "other")

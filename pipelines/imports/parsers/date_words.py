"""The date words of every CLDR locale, and how each writes an all-numeric date.

Read through babel: month names and abbreviations (format and stand-alone forms),
weekday names, the AM/PM markers and the literal words of the locale's date patterns
(``de``, ``г.``, ``at``), each case-folded, NFKC-normalised (narrow no-break spaces are
spaces), with dots dropped and an accent-free spelling too — because the apps drop
CLDR's trailing dots and change case (``Fev`` for ``fev.``). Used by :mod:`dates`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from typing import Any

from babel import Locale, localedata

PREFERRED = (
    "en", "pt_BR", "pt_PT", "es", "de", "fr", "it", "nl", "sv", "pl", "ru", "tr", "ja", "zh",
    "ko", "da", "nb", "fi", "cs", "uk", "el", "hu", "ro", "id", "vi", "he", "ar",
    "en_GB", "en_AU", "en_IN", "es_419", "es_MX", "fr_CA", "de_AT", "de_CH", "nl_BE",
    "zh_Hant",
)  # fmt: skip
"""Locales tried first, in order: the languages the gym apps ship in, then the regional
variants whose month words differ from their language's (``Sept`` in en-GB, ``Jänner``
in de-AT). Other CLDR languages are tried after these, for their own words only."""

AM_PM = re.compile(r"(?<![^\W\d_])([ap])\.?\s*m\.?(?![^\W\d_])")
# Two-letter abbreviations with dots in any script: Greek "π.μ."/"μ.μ." like "a.m.".
DOTTED = re.compile(r"(?<![^\W\d_])([^\W\d_])\.\s?([^\W\d_])\.(?![^\W\d_])")
_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_QUOTED = re.compile(r"'([^']+)'")

Meaning = tuple[str, int]
"""What a word means: ``("month", 1–12)``, ``("period", 0 or 12)`` or ``("skip", 0)``."""


def fold(text: str) -> str:
    """NFKC, case-folded, composed again (case-folding Greek ``ΐ`` decomposes it, and a
    lone combining mark would split the word)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def normalise_word(text: str) -> str:
    """The key a date word is looked up by: NFKC, case-folded, dots and spaces dropped,
    ``a. m.``/``p.m.`` as ``am``/``pm``."""
    folded = AM_PM.sub(r"\1m", fold(text))
    return DOTTED.sub(r"\1\2", folded).replace(".", "").replace(" ", "")


def _unaccented(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _Words:
    """A locale's date words being collected: later meanings never demote a month."""

    def __init__(self) -> None:
        self.words: dict[str, Meaning] = {}

    def add(self, text: str, meaning: Meaning) -> None:
        key = normalise_word(text)
        if not key or not key.isalpha():
            return
        for spelling in (key, _unaccented(key)):
            current = self.words.get(spelling)
            if current is None or (current[0] != "month" and meaning[0] == "month"):
                self.words[spelling] = meaning

    def add_calendar(self, months: Any, days: Any, periods: Any) -> None:
        """Months, weekdays and AM/PM from CLDR's ``months``/``days``/``day_periods``."""
        for context in ("format", "stand-alone"):
            for width in ("abbreviated", "wide"):
                for name in _names(days, context, width).values():
                    self.add(name, ("skip", 0))
                for key, name in _names(periods, context, width).items():
                    if key in ("am", "pm"):
                        self.add(name, ("period", 0 if key == "am" else 12))
                for number, name in _names(months, context, width).items():
                    self.add(name, ("month", number))


def _names(table: Any, context: str, width: str) -> dict[Any, str]:
    """``table[context][width]`` when it is there as names (raw CLDR data has aliases)."""
    try:
        found = table[context][width]
        return {key: value for key, value in found.items() if isinstance(value, str)}
    except (KeyError, TypeError, AttributeError):
        return {}


@cache
def vocabulary(locale: str) -> Mapping[str, Meaning]:
    """Every date word of a CLDR ``locale`` (``"pt_BR"``) → its meaning.

    A word that is both a month and something else (Spanish ``mar``: March and the
    abbreviation of Tuesday) is the month. Locales of :data:`PREFERRED` are read whole
    (with what they inherit, and the literal words of their patterns); any other only
    for its own months, weekdays and AM/PM, and babel's copy of its data is dropped
    again — holding every locale's data would cost a worker about 220 MB (measured),
    the words alone about 7 MB.
    """
    collected = _Words()
    if locale not in PREFERRED:
        raw = localedata.load(locale, merge_inherited=False)
        collected.add_calendar(raw.get("months"), raw.get("days"), raw.get("day_periods"))
        localedata._cache.pop(locale, None)  # noqa: SLF001 - babel has no public way
        return collected.words
    data = Locale.parse(locale)
    for patterns in (data.date_formats, data.time_formats):
        for pattern in patterns.values():
            for literal in _QUOTED.findall(str(pattern)):
                for word in _TOKEN.findall(literal.casefold()):
                    collected.add(word, ("skip", 0))
    # "{1} 'à' {0}": the relative forms are where most locales keep their "at" word
    # (babel has no public name for them).
    joined = [
        *data.datetime_formats.values(),
        *data._data.get("datetime_formats_relative", {}).values(),  # noqa: SLF001
    ]
    for literal in _QUOTED.findall(" ".join(str(pattern) for pattern in joined)):
        collected.add(literal, ("skip", 0))
    collected.add_calendar(data.months, data.days, data.day_periods)
    return collected.words


@cache
def all_locales() -> tuple[str, ...]:
    # Languages, not each territory's variant: their month words are the language's, and
    # loading all 1,147 CLDR locales would hold 220 MB of babel's data in a worker.
    languages = {name for name in localedata.locale_identifiers() if "_" not in name}
    return (*PREFERRED, *sorted(languages - set(PREFERRED)))


_FIELD = re.compile(r"d+|M+|y+")


@cache
def numeric_shapes(locale: str | None) -> frozenset[tuple[str, int, tuple[str, ...]]]:
    """How CLDR writes all-numeric dates: ``(order, year digits, separators)``.

    From the short and medium date patterns of every locale of ``locale``'s language
    (every locale when None):
    ``dd/MM/y`` gives ``("dmy", 4, ("/", "/"))``, Korean ``yy. M. d.`` ``("ymd", 2, (".", "."))``.
    """
    shapes = set()
    # Every region of the language: an Italian GymBook may run on a Swiss phone.
    language = locale.split("_")[0] if locale else None
    names = [n for n in all_locales() if language is None or n.split("_")[0] == language]
    for name in names:
        formats = Locale.parse(name).date_formats
        for width in ("short", "medium"):
            pattern = str(formats[width].pattern).replace("'", "")
            fields = _FIELD.findall(pattern)
            if "L" in pattern or any(f.startswith("M") and len(f) > 2 for f in fields):
                continue
            if sorted(f[0] for f in fields) != ["M", "d", "y"]:
                continue
            order = "".join(f[0] for f in fields).replace("M", "m")
            year = next(len(f) for f in fields if f[0] == "y")
            between = tuple("".join(s.split()) for s in _FIELD.split(pattern)[1:-1])
            shapes.add((order, 2 if year == 2 else 4, between))
    return frozenset(shapes)


def choose_vocabulary(words: set[str]) -> Mapping[str, Meaning]:
    """The vocabulary of the locale that reads the file's date words best.

    Scored by (words covered, words read as months): a date column names months, so
    French, where ``mar`` is Tuesday, loses ``1 Mar``/``1 Sept`` to British English,
    where both are months. The apps' locales are all scored; the other languages only
    when none of those covers every word. Ties go to the earlier locale.
    """
    if not words:
        return {}

    def score(known: Mapping[str, Meaning]) -> tuple[int, int]:
        meanings = [known[word] for word in words if word in known]
        return len(meanings), sum(meaning[0] == "month" for meaning in meanings)

    best: tuple[tuple[int, int], Mapping[str, Meaning]] = ((-1, -1), {})
    for index, locale in enumerate(all_locales()):
        if index == len(PREFERRED) and best[0][0] == len(words):
            break
        known = vocabulary(locale)
        found = score(known)
        if found > best[0]:
            best = (found, known)
    return best[1]

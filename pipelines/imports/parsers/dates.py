"""Dates and times as phones write them, in any CLDR locale, read with one format per file.

Gym apps write the date column in the phone's language and locale: ``Mar 3, 2025, 7:05 PM``
(en-US), ``14 Fev 2025, 07:34`` (Portuguese), ``03.03.2025, 19:05`` (German),
``2025年3月3日 19:05`` (Chinese), ``2025. 3. 3. 오후 7:05`` (Korean). The words come from
CLDR through babel (:mod:`date_words`).

The format is decided once per file (:func:`detect`), never per row:

* the **locale** is the one of :data:`date_words.PREFERRED` (then of every other CLDR
  language) whose words cover most of the file's date words, and of those read most
  as months;
* the **order** of day, month and year is the one of ``dmy``, ``mdy``, ``ymd`` under which
  the fewest rows fail to be a workout's date (none after tomorrow, none before 1900). A
  day above 12, a four-digit year or a month name usually leaves one. When several
  orders read the dates to different days, one that no CLDR locale (of the layout's
  language, if it fixes one) writes that way goes; if two remain, the caller's
  ``date_order`` decides, and without one
  :class:`~pipelines.imports.parsers.base.ImportFormatError` ``ambiguous_date_order``
  names a value that shows it. Orders that agree on every value are no ambiguity.

Times are ``H:MM`` or ``H:MM:SS`` with a colon (or ``H.MM`` at the end, as in Finnish), on
a 24-hour clock or a 12-hour one with the locale's AM/PM words (``PM``, ``p. m.``,
``午後``, ``오후``, ``下午``, ``μ.μ.``); in a file that writes them, a time without one is
refused. Two-digit years follow POSIX (69–99 → 19xx, 00–68 → 20xx).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal, get_args

from pipelines.imports.parsers.base import ImportFormatError
from pipelines.imports.parsers.date_words import (
    AM_PM,
    DOTTED,
    Meaning,
    choose_vocabulary,
    fold,
    numeric_shapes,
)

DateOrder = Literal["dmy", "mdy", "ymd"]
DATE_ORDERS: tuple[DateOrder, ...] = get_args(DateOrder)

_CLOCK = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?(?!\d)")
# Finnish, Danish and Norwegian clocks use dots ("klo 18.15"): after a space, at the end.
_DOT_CLOCK = re.compile(r"(?<=\s)(\d{1,2})\.(\d{2})(?:\.(\d{2}))?(?=\s*[^\W\d_]*\s*$)")
_LABELLED = re.compile(r"(\d+)\s*([年月日년월일])")
_LABELS = {"年": "y", "년": "y", "月": "m", "월": "m", "日": "d", "일": "d"}
_ISO_T = re.compile(r"(?<=\d)t(?=\d)")
_TOKEN = re.compile(r"\d+|[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class _Parts:
    """A value cut into numbers (value, digits, label), words and a clock."""

    numbers: tuple[tuple[int, int, str | None], ...]
    words: tuple[str, ...]
    clock: tuple[int, int, int] | None
    separators: tuple[str, ...] = ()
    """What stands between consecutive numbers, spaces dropped (``("/", "/")``)."""


def _cut(text: str) -> _Parts:
    folded = AM_PM.sub(r"\1m", fold(text))
    folded = _ISO_T.sub(" ", DOTTED.sub(r"\1\2", folded))
    clock = None
    found = _CLOCK.search(folded) or _DOT_CLOCK.search(folded)
    if found is not None:
        clock = (int(found.group(1)), int(found.group(2)), int(found.group(3) or 0))
        folded = folded[: found.start()] + " " + folded[found.end() :]
    numbers: list[tuple[int, int, str | None]] = []
    labelled = {match.start(1): _LABELS[match.group(2)] for match in _LABELLED.finditer(folded)}
    words: list[str] = []
    separators: list[str] = []
    after_number = -1
    for token in _TOKEN.finditer(folded.replace(".", "\x00")):
        word = token.group()
        if word.isdigit():
            if after_number >= 0:
                between = folded[after_number : token.start()]
                separators.append("".join(between.split()))
            numbers.append((int(word), len(word), labelled.get(token.start())))
            after_number = token.end()
        elif word not in _LABELS:
            words.append(word)
            after_number = -1
    return _Parts(tuple(numbers), tuple(words), clock, tuple(separators))


def _fits_shape(
    parts: _Parts, order: DateOrder, shapes: frozenset[tuple[str, int, tuple[str, ...]]]
) -> bool:
    if parts.words or len(parts.numbers) != 3 or any(label for *_, label in parts.numbers):
        return True  # only all-numeric dates have a shape to compare
    digits = parts.numbers[order.index("y")][1]
    return (order, 2 if digits == 2 else 4, parts.separators) in shapes


def _year(value: int, digits: int) -> int | None:
    if digits == 4:
        return value
    if digits == 2:
        return 1900 + value if value >= 69 else 2000 + value
    return None


def _clock(parts: _Parts, words: Mapping[str, Meaning], twelve_hour: bool = False) -> time | None:
    """The time of day, or None when it is absent or impossible.

    In a file whose times carry AM/PM (``twelve_hour``), a time without it is no time
    of that file: ``7:05`` beside ``7:05 PM`` could be either.
    """
    hour, minute, second = parts.clock or (0, 0, 0)
    periods = [words[w][1] for w in parts.words if words.get(w, ("", 0))[0] == "period"]
    if len(periods) > 1 or (periods and parts.clock is None):
        return None
    if twelve_hour and parts.clock is not None and not periods:
        return None
    if periods:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + periods[0]
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _assemble(
    parts: _Parts, order: DateOrder, words: Mapping[str, Meaning], twelve_hour: bool = False
) -> datetime | None:
    """The wall time ``parts`` names when unlabelled numbers come in ``order``."""
    fields: dict[str, tuple[int, int]] = {}
    for word in parts.words:
        meaning = words.get(word)
        if meaning is None:
            return None
        if meaning[0] == "month":
            if "m" in fields:
                return None
            fields["m"] = (meaning[1], 2)
    free = []
    for value, digits, label in parts.numbers:
        if label is None:
            free.append((value, digits))
        elif label in fields:
            return None
        else:
            fields[label] = (value, digits)
    slots = [field for field in order if field not in fields]
    if len(slots) != len(free):
        return None
    fields.update(zip(slots, free, strict=True))
    year = _year(*fields["y"])
    (month, month_digits), (day, day_digits) = fields["m"], fields["d"]
    of_day = _clock(parts, words, twelve_hour)
    if year is None or month_digits > 2 or day_digits > 2 or of_day is None:
        return None
    try:
        return datetime.combine(datetime(year, month, day), of_day)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class DateReader:
    """The date format of one file: ``read`` maps each value to its wall time.

    ``readings`` holds every value seen at detection; other values are read on demand
    with the same locale and order.
    """

    order: DateOrder
    words: Mapping[str, Meaning]
    readings: dict[str, datetime | None]
    note: str | None = None
    """A sentence for the import's warnings (e.g. a ``date_order`` that was not needed)."""
    twelve_hour: bool = False
    """The file writes AM/PM: a time without it is refused."""

    def read(self, text: str) -> datetime | None:
        """The naive wall time ``text`` names, or None when it is not a date of this file."""
        if text not in self.readings:
            parts = _cut(text)
            self.readings[text] = _assemble(parts, self.order, self.words, self.twelve_hour)
        return self.readings[text]

    def clock_in(self, text: str) -> bool:
        """Whether ``text`` gives a time of day (``H:MM``), not only a date."""
        return _CLOCK.search(text) is not None or _DOT_CLOCK.search(fold(text)) is not None

    def read_time(self, text: str) -> time | None:
        """A time of day alone (``19:05``, ``7:05 PM``), or None."""
        parts = _cut(text)
        if parts.clock is None or parts.numbers or any(w not in self.words for w in parts.words):
            return None
        return _clock(parts, self.words, self.twelve_hour)


def _spell(value: datetime) -> str:
    return f"{value.day} {value:%B %Y}"


def detect(
    values: Iterable[str],
    *,
    column: str,
    date_order: DateOrder | None = None,
    times: Iterable[str] = (),
    locale: str | None = None,
) -> DateReader:
    """Decide a file's date format from its distinct date values (and time-only values).

    Parameters
    ----------
    values : iterable of str
        The date (or date-and-time) cells of the file; blanks are ignored.
    column : str
        The column's name as the file writes it, for messages.
    date_order : {"dmy", "mdy", "ymd"}, optional
        Used only when the values leave more than one order.
    times : iterable of str
        Time-of-day cells (a separate time column); their words help choose the locale.
    locale : str, optional
        The CLDR locale the layout is written in (GymBook's Italian headers), when known:
        an order its numeric date patterns use wins over one they do not.

    Returns
    -------
    DateReader
        Whose ``readings`` already hold every value given.

    Raises
    ------
    ImportFormatError
        ``ambiguous_date_order`` when several orders read every value, to different
        dates, and no ``date_order`` was given; the message quotes one such value.
    """
    counts = Counter(value for value in values if value.strip())
    distinct = set(counts)
    cut = {value: _cut(value) for value in distinct}
    found = {word for parts in cut.values() for word in parts.words}
    found |= {word for value in set(times) for word in _cut(value).words}
    words = choose_vocabulary(found)
    periods = {w for w, meaning in words.items() if meaning[0] == "period"}
    twelve = any(periods.intersection(parts.words) for parts in cut.values())
    twelve |= any(periods.intersection(_cut(value).words) for value in set(times))
    readings = {
        order: {v: _assemble(parts, order, words, twelve) for v, parts in cut.items()}
        for order in DATE_ORDERS
    }
    # Weighted by rows: the order most of the file is written in, when values disagree. A
    # reading before 1900 or after tomorrow is no workout's date: it counts as a failure
    # ("14.02.25" as yy.MM.dd would put workouts in 2031).
    latest = datetime.now() + timedelta(days=2)

    def implausible(reading: datetime | None) -> bool:
        return reading is None or not datetime(1900, 1, 1) <= reading <= latest

    failures = {
        order: sum(counts[v] for v, r in readings[order].items() if implausible(r))
        for order in DATE_ORDERS
    }
    fewest = min(failures.values())
    best = [order for order in DATE_ORDERS if failures[order] == fewest]
    first = readings[best[0]]

    def differs(order: DateOrder, value: str) -> bool:
        other = readings[order][value]
        return None not in (other, first[value]) and other != first[value]

    disagreeing = [order for order in best[1:] if any(differs(order, v) for v in distinct)]
    if not disagreeing:
        note = None
        if date_order is not None and date_order not in best:
            note = f"date_order {date_order} was not used: the dates in {column!r} read only as"
            note += f" {best[0]}"
        chosen = date_order if date_order in best else best[0]
        return DateReader(chosen, words, dict(readings[chosen]), note, twelve)
    if date_order in best:
        return DateReader(date_order, words, dict(readings[date_order]), None, twelve)
    # Orders no locale writes this way go: "14/02/25" is yy/MM/dd nowhere in Italian.
    for shapes in (numeric_shapes(locale), numeric_shapes(None)):
        fitting = [o for o in best if all(_fits_shape(p, o, shapes) for p in cut.values())]
        if len(fitting) == 1:
            return DateReader(fitting[0], words, dict(readings[fitting[0]]), None, twelve)
    other = disagreeing[0]
    example = next(v for v in sorted(distinct) if differs(other, v))
    one, two = first[example], readings[other][example]
    assert one is not None and two is not None  # noqa: S101 - differs() saw both
    if date_order is not None:  # the order given reads fewer of them than these two
        raise ImportFormatError(
            "ambiguous_date_order",
            f"date_order {date_order} does not read the dates in column {column!r} "
            f"({example!r} is {_spell(one)} as {best[0]} or {_spell(two)} as {other}); "
            f"pass {best[0]} or {other}",
        )
    fits = (
        "every date in the file fits both"
        if fewest == 0
        else "as many of the file's dates fit one as the other"
    )
    raise ImportFormatError(
        "ambiguous_date_order",
        f"the dates in column {column!r} can be read in more than one order: {example!r} is "
        f"{_spell(one)} ({best[0]}) or {_spell(two)} ({other}); {fits}. Say which the phone "
        "wrote: date_order (dmy, mdy or ymd) on the upload, --date-order on forma import",
    )

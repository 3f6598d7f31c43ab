"""Value helpers shared by the CSV import parsers: text decoding, numbers, units, times.

Everything here is strict on purpose (DESIGN §2, invariants 4, 6 and 7): a value
that cannot be read exactly is reported, never guessed.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.imports.parsers.base import DistanceUnit, ImportFormatError, WeightUnit

if TYPE_CHECKING:
    from pipelines.imports.parsers.numbers import NumberStyle

LB_TO_KG = 0.45359237
"""Exact, by the 1959 international yard and pound agreement."""
MI_TO_M = 1609.344
KM_TO_M = 1000.0

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# float() alone would also take "nan", "inf", "1_000" and surrounding spaces.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)


_DURATION_WHOLE = re.compile(r"\s*(?:\d+(?:\.\d+)?\s*[^\W\d_]+\s*)+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([^\W\d_]+)")
_CLOCK = re.compile(r"(\d+):([0-5]\d):([0-5]\d)")
_DURATION_UNITS: dict[str, float] = {
    **dict.fromkeys("h hr hrs hour hours std 小时 小時 時間 时 시간".split(), 3600.0),
    **dict.fromkeys("m min mins minute minutes 分钟 分鐘 分 분".split(), 60.0),
    **dict.fromkeys("s sec secs second seconds sek 秒 초".split(), 1.0),
}

_WEIGHT_UNITS: dict[str, WeightUnit] = {
    **dict.fromkeys(["kg", "kgs", "kilogram", "kilograms"], "kg"),
    **dict.fromkeys(["lb", "lbs", "pound", "pounds"], "lb"),
}
_DISTANCE_UNITS: dict[str, DistanceUnit] = {
    **dict.fromkeys(["m", "meter", "meters", "metre", "metres"], "m"),
    **dict.fromkeys(["km", "kilometer", "kilometers", "kilometre", "kilometres"], "km"),
    **dict.fromkeys(["mi", "mile", "miles"], "mi"),
}


class ValueIssue(ValueError):
    """A single field that cannot be read or is impossible; becomes a ``RowError``."""

    def __init__(self, code: str, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.column = column


def decode_text(data: bytes) -> str:
    """Decode an uploaded text file, refusing anything that is not UTF-8 text.

    Parameters
    ----------
    data : bytes
        The whole file. A leading UTF-8 BOM is removed.

    Returns
    -------
    str
        The text, line endings untouched.

    Raises
    ------
    ImportFormatError
        ``empty_file`` (nothing but whitespace), ``binary_file`` (NUL bytes) or
        ``encoding`` (UTF-16, or invalid UTF-8; the message gives byte offset and line).
    """
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    if not body.strip():
        raise ImportFormatError("empty_file", "the file is empty")
    if data.startswith(_UTF16_BOMS):
        raise ImportFormatError("encoding", "the file is UTF-16 text; export it again as UTF-8 CSV")
    nul = body.find(b"\x00")
    if nul >= 0:
        raise ImportFormatError(
            "binary_file",
            f"the file contains a NUL byte at offset {nul + len(data) - len(body)}: "
            "it is binary, not a CSV text file",
        )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + len(data) - len(body)
        line = data.count(b"\n", 0, offset) + 1
        raise ImportFormatError(
            "encoding",
            f"the file is not UTF-8: invalid byte 0x{data[offset]:02x} at offset {offset} "
            f"(line {line}); export it again as UTF-8",
        ) from None


def load_zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name``.

    Raises
    ------
    ImportFormatError
        ``invalid_time_zone`` when the name is not a known IANA zone.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ImportFormatError(
            "invalid_time_zone", f"unknown time zone {name!r}: expected an IANA name"
        ) from None


def parse_number(text: str) -> float | None:
    """Read a plain decimal number (``8``, ``8.0``, ``-2.5``, ``1e3``); empty gives None.

    Raises
    ------
    ValueIssue
        ``not_finite`` for NaN or infinity (also after overflow, e.g. ``1e999``),
        ``invalid_number`` for anything else that is not a number.
    """
    value = text.strip()
    if not value:
        return None
    if _NUMBER.fullmatch(value):
        number = float(value)
        if math.isfinite(number):
            return number
    elif not _NON_FINITE.fullmatch(value):
        raise ValueIssue("invalid_number", f"{text!r} is not a number")
    raise ValueIssue("not_finite", f"{text!r} is not a finite number")


def parse_duration(text: str, *, bare_seconds: bool = False) -> float | None:
    """Read a workout duration in seconds, or None when it cannot be read.

    Accepts unit tokens (``55s``, ``7m``, ``1h 6m``, ``1小时13分钟``, ``2小时``),
    a clock ``H:MM:SS``, and, with ``bare_seconds``, a bare number of seconds
    (Strong 6 ``Duration (sec)``). Returns None rather than raising: a duration
    only decorates a workout.
    """
    value = text.strip()
    if not value:
        return None
    if _NUMBER.fullmatch(value):
        return float(value) if bare_seconds else None
    clock = _CLOCK.fullmatch(value)
    if clock:
        hours, minutes, seconds = (int(part) for part in clock.groups())
        return hours * 3600.0 + minutes * 60.0 + seconds
    if not _DURATION_WHOLE.fullmatch(value):
        return None
    total = 0.0
    for amount, unit in _DURATION_PART.findall(value):
        factor = _DURATION_UNITS.get(unit.casefold())
        if factor is None:
            return None
        total += float(amount) * factor
    return total


def localize(wall: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Pin a naive wall time to ``zone``.

    Returns
    -------
    tuple of datetime
        ``(utc, wall)``: the aware UTC instant and the wall time normalised
        through it. An ambiguous time (clocks going back) takes its first
        occurrence (``fold=0``). A time that does not exist (clocks going
        forward) is read with the offset in force before the change, which
        moves it forward by the size of the gap (New York 02:30 on the spring
        change day becomes 03:30 EDT = 07:30Z); the returned wall time is that
        shifted one, so both values always name the same instant.
    """
    utc = wall.replace(tzinfo=zone).astimezone(UTC)
    return utc, utc.astimezone(zone).replace(tzinfo=None)


def weight_unit_of(label: str) -> WeightUnit | None:
    """Map a unit label (``kg``, ``lbs``, ``lb`` …, any case) to a weight unit; None if unknown."""
    return _WEIGHT_UNITS.get(label.strip().casefold())


def distance_unit_of(label: str) -> DistanceUnit | None:
    """Map a unit label (``m``, ``meters``, ``km``, ``miles`` …) to a distance unit, else None."""
    return _DISTANCE_UNITS.get(label.strip().casefold())


def to_kg(value: float, unit: WeightUnit) -> float:
    """Convert a weight in ``unit`` to kilograms."""
    return value * LB_TO_KG if unit == "lb" else value


def to_m(value: float, unit: DistanceUnit) -> float:
    """Convert a distance in ``unit`` to metres."""
    if unit == "mi":
        return value * MI_TO_M
    if unit == "km":
        return value * KM_TO_M
    return value


def clean_note(text: str) -> str | None:
    """Turn the literal two-character ``\\n`` some apps write into real line breaks.

    CRLF and CR inside a quoted field become a plain line feed too, so a note reads the
    same whatever machine saved the file. Returns the stripped note, or None when empty.
    """
    note = text.replace("\r\n", "\n").replace("\r", "\n").replace("\\n", "\n").strip()
    return note or None


def csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, fields)`` for every non-blank data record after the header.

    ``line`` is the physical line where the record starts (header = 1), which
    differs from the record number once a quoted field spans lines.

    Raises
    ------
    ImportFormatError
        ``malformed`` when the CSV module cannot read on (e.g. a field over its size limit).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    end = 0
    header = True
    while True:
        start = end + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFormatError("malformed", f"line {start}: {exc}") from None
        # line_num counts the physical lines consumed so far, so it ends this record.
        end = reader.line_num
        if header:
            header = False
        elif any(field.strip() for field in record):
            yield start, record


def in_range(value: float | None, low: float, high: float, what: str) -> float | None:
    """Return ``value`` (None stays None) if ``low <= value <= high``.

    Raises
    ------
    ValueIssue
        ``out_of_range``, naming ``what`` and the bounds.
    """
    if value is not None and not low <= value <= high:
        raise ValueIssue(
            "out_of_range", f"{what} {value:g} is outside {_plain(low)}–{_plain(high)}"
        )
    return value


def _plain(number: float) -> str:
    return f"{int(number):,}" if float(number).is_integer() else f"{number:g}"


def whole_reps(value: float | None, limit: int = 1000) -> int | None:
    """Reps as an int (``8.0`` → 8); None stays None.

    Raises
    ------
    ValueIssue
        ``not_integer`` (``8.5``) or ``out_of_range`` (below 0 or over ``limit``).
    """
    if value is None:
        return None
    if not value.is_integer():
        raise ValueIssue("not_integer", f"reps {value:g} is not a whole number")
    return int(in_range(value, 0, limit, "reps") or 0)


def rpe_value(value: float | None) -> float | None:
    """RPE on the 1–10 scale in 0.5 steps; None stays None.

    Raises
    ------
    ValueIssue
        ``out_of_range`` for anything else (0, 7.3, 11).
    """
    if value is not None and not (1 <= value <= 10 and (value * 2).is_integer()):
        raise ValueIssue("out_of_range", f"RPE {value:g} is not 1–10 in steps of 0.5")
    return value


def repeat_period(items: Sequence[object]) -> int:
    """Length of the shortest prefix that ``items`` is k ≥ 2 exact copies of, else ``len(items)``.

    Used to find a whole workout an export wrote twice (or more) in a row.
    """
    size = len(items)
    for period in range(1, size // 2 + 1):
        if size % period == 0 and all(items[i] == items[i % period] for i in range(period, size)):
            return period
    return size


# ----------------------------------------------------------- helpers for table-described layouts

_QUANTITY = re.compile(r"(?P<number>.*?)\s*(?P<unit>[^\W\d_]+\.?)?")


def split_quantity(
    text: str, style: NumberStyle, *, grouping: bool = False
) -> tuple[float | None, str | None]:
    """A cell holding a number and maybe a unit word: ``"40,00 kg"`` → ``(40.0, "kg")``.

    The unit is returned case-folded as written (``"ripetizioni"``, ``"km"``); it is
    None for a bare number. An empty cell gives ``(None, None)``.

    Raises
    ------
    ValueIssue
        As :meth:`NumberStyle.parse`, for the number part (``"nan kg"``, ``"kg"``).
    """
    match = _QUANTITY.fullmatch(text.strip())
    if match is None or not match.group("number") or not match.group("unit"):
        return style.parse(text, grouping=grouping), None
    number = style.parse(match.group("number"), grouping=grouping)
    if number is None:  # pragma: no cover - the regex leaves a non-empty number part
        raise ValueIssue("invalid_number", f"{text!r} is not a number")
    return number, match.group("unit").casefold()


_REP_WORDS = frozenset({"rep", "reps", "repetition", "repetitions"})


def unit_kind(word: str) -> tuple[str, str | None, float]:
    """What a unit word written in a cell measures.

    Returns
    -------
    tuple
        ``(kind, unit, seconds)``: kind ``"reps"``, ``"weight"`` (unit ``kg``/``lb``),
        ``"distance"`` (``m``/``km``/``mi``; a bare ``m`` is metres) or ``"duration"``
        (``seconds`` per unit, e.g. 60.0 for ``min``); ``("", None, 0.0)`` if unknown.
    """
    label = word.strip().casefold()
    if label in _REP_WORDS:
        return "reps", None, 1.0
    weight = weight_unit_of(label)
    if weight is not None:
        return "weight", weight, 1.0
    distance = distance_unit_of(label)
    if distance is not None:
        return "distance", distance, 1.0
    seconds = parse_duration("1" + label) if label.isalpha() else None
    return ("duration", None, seconds) if seconds is not None else ("", None, 0.0)

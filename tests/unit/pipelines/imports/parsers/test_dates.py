"""Dates written by phones in every locale the apps ship in, read back exactly.

The expectations are the datetimes the tests generate; the files are what CLDR (through
babel, the same data the phones' own formatters follow) renders them as, and what the
apps write instead where they differ from CLDR (no trailing dots, capitalised months,
plain spaces).
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from babel import Locale
from babel.dates import format_datetime
from hypothesis import given
from hypothesis import strategies as st

from pipelines.imports.parsers import dates
from pipelines.imports.parsers.base import ImportFormatError

LOCALES = (
    "en_US", "en_GB", "de", "fr", "es", "it", "pt_BR", "pt_PT", "nl", "sv", "pl", "ru", "tr",
    "ja", "zh", "ko", "el",
)  # fmt: skip
"""The locales the issue names, and Greek (its AM/PM words are dotted: "π.μ.", "μ.μ.")."""

# Workouts already done (a date after tomorrow is no workout's), and two-digit years
# read 00–68 → 20xx (POSIX).
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2026, 11, 30))
files = st.lists(moments, min_size=1, max_size=8)


def _order(pattern: str) -> dates.DateOrder:
    """The order of day, month and year in a CLDR pattern (``dd/MM/y`` → ``dmy``)."""
    letters = [c for c in re.sub(r"'[^']*'", "", pattern) if c in "dMy"]
    seen = "".join(dict.fromkeys(letters)).replace("M", "m")
    return seen  # type: ignore[return-value]


def _shown(moment: datetime, pattern: str) -> datetime:
    """What a pattern keeps of a moment: no fractions, no seconds unless it writes them."""
    whole = moment.replace(microsecond=0)
    fields = re.sub(r"'[^']*'", "", pattern)
    whole = whole if "s" in fields else whole.replace(second=0)
    return whole if "H" in fields or "h" in fields else whole.replace(hour=0, minute=0)


def _read_back(written: list[str], moments_: list[datetime], pattern: str) -> None:
    """Detection reads every value as the moment it was written from, or refuses as
    ambiguous (never a wrong reading) and then reads them given the pattern's order."""
    try:
        reader = dates.detect(written, column="Date")
    except ImportFormatError as error:
        assert error.code == "ambiguous_date_order"
        assert any(repr(value) in error.message for value in written)
        reader = dates.detect(written, column="Date", date_order=_order(pattern))
    for value, moment in zip(written, moments_, strict=True):
        assert reader.read(value) == _shown(moment, pattern), (value, pattern)


def _pattern(locale: str, width: str) -> str:
    data = Locale.parse(locale)
    date_part = str(data.date_formats[width].pattern)
    time_part = str(data.time_formats[width].pattern)
    return str(data.datetime_formats[width]).replace("{1}", date_part).replace("{0}", time_part)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("width", ["short", "medium"])
@given(moments_=files)
def test_cldr_dates_read_back_exactly(locale: str, width: str, moments_: list[datetime]) -> None:
    pattern = _pattern(locale, width)
    written = [format_datetime(m, pattern, locale=locale) for m in moments_]
    _read_back(written, moments_, pattern)


def _app_spelling(text: str) -> str:
    """How the apps write what CLDR writes: no dots after month words, capitals, plain spaces."""
    plain = text.replace("\u202f", " ").replace("\u00a0", " ")
    plain = re.sub(r"(?<=[^\W\d_])\.", "", plain)
    return re.sub(r"[^\W\d_]+", lambda m: m.group().capitalize(), plain)


# The apps' own date formats (Hevy: "7 Apr 2026, 10:14", and on US phones
# "Mar 3, 2025, 7:05 PM"; Strong: ISO; FitNotes: a date alone; GymBook: the short date).
APP_PATTERNS = (
    "d MMM y, HH:mm",
    "MMM d, y, h:mm a",
    "yyyy-MM-dd HH:mm:ss",
    "yyyy-MM-dd",
    "dd/MM/yy",
    "d MMMM y HH:mm",
)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("pattern", APP_PATTERNS)
@given(moments_=files)
def test_app_spellings_read_back_exactly(
    locale: str, pattern: str, moments_: list[datetime]
) -> None:
    written = [_app_spelling(format_datetime(m, pattern, locale=locale)) for m in moments_]
    _read_back(written, moments_, pattern)


def test_the_reported_exports() -> None:
    us = dates.detect(["Mar 3, 2025, 7:05 PM", "Mar 14, 2025, 12:05 AM"], column="start_time")
    assert us.read("Mar 3, 2025, 7:05 PM") == datetime(2025, 3, 3, 19, 5)
    assert us.read("Mar 14, 2025, 12:05 AM") == datetime(2025, 3, 14, 0, 5)
    pt = dates.detect(["14 Fev 2025, 07:34", "1 Out 2024, 18:00"], column="start_time")
    assert pt.read("14 Fev 2025, 07:34") == datetime(2025, 2, 14, 7, 34)
    assert pt.read("1 Out 2024, 18:00") == datetime(2024, 10, 1, 18, 0)


def test_one_value_with_a_day_above_12_decides_the_file() -> None:
    values = ["03/04/2025 10:00", "05/06/2025 10:00", "25/06/2025 10:00"]
    reader = dates.detect(values, column="Date")
    assert reader.order == "dmy" and reader.read("03/04/2025 10:00") == datetime(2025, 4, 3, 10)


def test_an_ambiguous_file_needs_the_order_and_names_a_date() -> None:
    values = ["03/04/2025 10:00", "05/06/2025 10:00"]
    with pytest.raises(ImportFormatError) as caught:
        dates.detect(values, column="Date")
    assert caught.value.code == "ambiguous_date_order"
    assert "'03/04/2025 10:00'" in caught.value.message and "date_order" in caught.value.message
    assert "3 April 2025" in caught.value.message and "4 March 2025" in caught.value.message
    mdy = dates.detect(values, column="Date", date_order="mdy")
    assert mdy.read("03/04/2025 10:00") == datetime(2025, 3, 4, 10)
    # Orders that agree on every value are no ambiguity (the 1st of January either way).
    assert dates.detect(["01/01/2025"], column="Date").read("01/01/2025") == datetime(2025, 1, 1)


def test_a_date_order_that_reads_neither_way_is_refused_by_name() -> None:
    with pytest.raises(ImportFormatError) as caught:
        dates.detect(["03/04/2025 10:00", "05/06/2025 10:00"], column="Date", date_order="ymd")
    assert caught.value.code == "ambiguous_date_order"
    assert "date_order ymd does not read" in caught.value.message
    assert "pass dmy or mdy" in caught.value.message


def test_a_date_order_the_file_contradicts_is_not_used_and_said() -> None:
    reader = dates.detect(["2025-03-14 10:00"], column="Date", date_order="dmy")
    assert reader.read("2025-03-14 10:00") == datetime(2025, 3, 14, 10)
    assert reader.note is not None and "date_order dmy was not used" in reader.note


def test_the_format_most_rows_use_wins_and_the_others_are_not_dates() -> None:
    values = ["2025-01-02 08:00"] * 3 + ["02/01/2025 08:00"]
    reader = dates.detect(values, column="Date")
    assert reader.read("2025-01-02 08:00") == datetime(2025, 1, 2, 8)
    assert reader.read("02/01/2025 08:00") is None


@pytest.mark.parametrize(
    "value",
    ["31 Feb 2024, 07:30", "15 Foo 2024, 07:30", "2024-13-01", "1:61", "13:05 PM", "3 Mar"],
)
def test_impossible_values_are_not_dates(value: str) -> None:
    assert dates.detect(["7 Apr 2026, 10:14", value], column="Date").read(value) is None


def test_layout_language_settles_a_two_digit_year_first_or_last() -> None:
    values = ["14/02/25", "15/02/25"]  # 14 Feb 2025, or 25 Feb 2014 as yy/MM/dd
    with pytest.raises(ImportFormatError):
        dates.detect(values, column="Data")  # yy/MM/dd is a CLDR pattern (Basque, Nepali)
    italian = dates.detect(values, column="Data", locale="it")  # never yy/MM/dd in Italian
    assert italian.read("14/02/25") == datetime(2025, 2, 14)


def test_a_twelve_hour_file_refuses_a_time_without_am_or_pm() -> None:
    reader = dates.detect(["Mar 3, 2025, 7:05 PM", "Mar 5, 2025, 7:05"], column="start_time")
    assert reader.read("Mar 3, 2025, 7:05 PM") == datetime(2025, 3, 3, 19, 5)
    assert reader.read("Mar 5, 2025, 7:05") is None  # 7:05 or 19:05: not guessed


def test_dates_after_tomorrow_do_not_decide_the_order() -> None:
    # yy.MM.dd would put "31.05.25" in 2031: only day-first leaves every workout done.
    reader = dates.detect(["14.02.25, 19:34", "31.05.25, 00:15"], column="Date")
    assert reader.read("31.05.25, 00:15") == datetime(2025, 5, 31, 0, 15)


def test_times_of_day_alone() -> None:
    reader = dates.detect(["09/01/25"], column="Data", times=["19:05"], locale="it")
    assert reader.read_time("19:05") == datetime(1900, 1, 1, 19, 5).time()
    assert reader.read_time("24:30") is None and reader.read_time("9 May") is None
    twelve = dates.detect(["09/01/25"], column="Data", times=["7:05 PM"], locale="it")
    assert twelve.read_time("7:05 PM") == datetime(1900, 1, 1, 19, 5).time()
    assert twelve.read_time("19:05") is None  # beside AM/PM times, a bare time is refused

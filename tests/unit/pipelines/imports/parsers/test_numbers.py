"""Numbers written by phones in every locale the apps ship in: read exactly, or refused."""

from __future__ import annotations

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from pipelines.imports.parsers.numbers import NumberStyle, detect_style
from pipelines.imports.parsers.values import ValueIssue
from tests.unit.pipelines.imports.parsers.test_dates import LOCALES

# Weights in 0.25 kg steps up to 500 kg; counts and seconds up to 100,000.
weights = st.integers(min_value=0, max_value=2000).map(lambda q: q / 4)
counts = st.integers(min_value=0, max_value=100_000)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("delimiter", [",", ";"])
@given(rows=st.lists(st.tuples(weights, counts), min_size=1, max_size=12))
def test_locale_numbers_read_back_exactly_or_refused(
    locale: str, delimiter: str, rows: list[tuple[float, int]]
) -> None:
    # Weights never grouped, with their decimals when they have any ("62,5", "100");
    # counts and seconds grouped the locale's way ("1.500", "1 500", "1,500").
    written = [
        (format_decimal(w, "0.##", locale=locale), format_decimal(c, "#,##0", locale=locale))
        for w, c in rows
    ]
    style = detect_style([cell for row in written for cell in row], default=None,
                         delimiter=delimiter)  # fmt: skip
    for (weight, count), (weight_text, count_text) in zip(rows, written, strict=True):
        assert style.parse(weight_text) == weight, (weight_text, style)
        try:
            assert style.parse(count_text, grouping=True) == count, (count_text, style)
        except ValueIssue as issue:  # never a wrong number: refused when it cannot tell
            assert issue.code == "ambiguous_number" and not style.shown, (count_text, style)


@pytest.mark.parametrize(
    ("cells", "decimal", "shown"),
    [
        (["62,5", "80"], ",", True),
        (["62.5", "1,250"], ".", True),
        (["1.234,5"], ",", True),
        (["1,234.5"], ".", True),
        (["1.234.567"], ",", True),
        (["80", "1,250"], ".", False),
        (["40,00 kg", "20 ripetizioni"], ",", True),
    ],
)
def test_the_file_shows_its_decimal(cells: list[str], decimal: str, shown: bool) -> None:
    style = detect_style(cells, default=None, delimiter=",")
    assert (style.decimal, style.shown) == (decimal, shown)


def test_semicolon_files_without_evidence_take_the_decimal_comma() -> None:
    assert detect_style(["80", "100"], default=None, delimiter=";").decimal == ","
    assert detect_style(["80"], default=",", delimiter=",").decimal == ","


@pytest.mark.parametrize(
    ("style", "text", "grouping", "expected"),
    [
        (NumberStyle(","), "62,5", False, 62.5),
        (NumberStyle(","), "1.500", True, 1500.0),
        (NumberStyle(","), "1.500,5", True, 1500.5),
        (NumberStyle(","), "1\u202f500", True, 1500.0),
        (NumberStyle("."), "1,500", True, 1500.0),
        (NumberStyle("."), "1'500", True, 1500.0),
        (NumberStyle(","), "1,250", False, 1.25),
        (NumberStyle("."), "-2.5", False, -2.5),
    ],
)
def test_parse(style: NumberStyle, text: str, grouping: bool, expected: float) -> None:
    assert style.parse(text, grouping=grouping) == expected


@pytest.mark.parametrize(
    ("style", "text", "grouping", "code"),
    [
        (NumberStyle("."), "1,250", False, "invalid_number"),  # a weight is never grouped
        (NumberStyle(","), "1.250", False, "invalid_number"),
        (NumberStyle("."), "1,50", True, "invalid_number"),  # not groups of three
        (NumberStyle(".", shown=False), "1.500", True, "ambiguous_number"),
        (NumberStyle("."), "nan", False, "not_finite"),
    ],
)
def test_refused(style: NumberStyle, text: str, grouping: bool, code: str) -> None:
    with pytest.raises(ValueIssue) as caught:
        style.parse(text, grouping=grouping)
    assert caught.value.code == code and repr(text) in caught.value.message

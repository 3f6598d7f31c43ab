"""Numbers as phones write them: the decimal separator decided once per file.

A Strong export from a German phone writes ``62,5``; a Hevy export from an American one
``62.5`` and, in its distance or duration columns, perhaps ``1,500``. The decimal of a
file is read off its own cells (:func:`detect_style`): a separator followed by other than
three digits, or the last of two different separators (``1.234,5``), is a decimal; a
separator followed by exactly three digits (``1,250``) says nothing on its own. A file
whose cells say nothing takes the layout's decimal, else ``,`` when its delimiter is
``;`` (CSV tools in decimal-comma locales write semicolons), else ``.``; such a file's
``1.500`` in a count or seconds column is refused (``ambiguous_number``), never read
as 1.5 or 1,500 by chance.

Digit grouping (``1.500``, ``1 500``, ``1'500``, ``1,500``) is accepted only where the
caller allows it: never in a weight column, where ``1,250`` may be a weight with three
decimals in a decimal-comma file and is refused rather than read as 1,250 kg.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from pipelines.imports.parsers.values import ValueIssue, parse_number

_SEPARATOR = re.compile(r"[.,]")
_GROUP_MARKS = {" ", "\u00a0", "\u202f", "'", "\u2019"}
_PLAIN = {
    ".": re.compile(r"[+-]?\d+(?:\.\d+)?"),
    ",": re.compile(r"[+-]?\d+(?:,\d+)?"),
}
_AMBIGUOUS = re.compile(r"[+-]?\d{1,3}[.,]\d{3}")
_NUMBER_PART = re.compile(r"\s*[+-]?[\d.,'\u00a0\u202f\u2019 ]*\d")


@dataclass(frozen=True, slots=True)
class NumberStyle:
    """How one file writes numbers: its decimal separator (``"."`` or ``","``)."""

    decimal: str = "."
    shown: bool = True
    """Whether the file's own cells showed the decimal; when not, ``1.500`` in a column
    that may be grouped is refused as ambiguous rather than read one way."""

    @property
    def group(self) -> str:
        """The grouping separator that is not the decimal."""
        return "," if self.decimal == "." else "."

    def parse(self, text: str, *, grouping: bool = False) -> float | None:
        """Read ``text`` in this style; empty gives None.

        Parameters
        ----------
        text : str
            A cell, e.g. ``"62,5"`` (decimal comma) or ``"1 500"`` (grouped).
        grouping : bool
            Accept digit grouping in threes (``1.500``, ``1 500``, ``1'500``).

        Raises
        ------
        ValueIssue
            ``invalid_number`` (quoting the cell and naming the file's decimal) or
            ``not_finite``.
        """
        value = text.strip()
        if not value:
            return None
        # The common case, kept cheap: "100", "62.5" ("62,5" in a decimal-comma file).
        plain_match = _PLAIN[self.decimal].fullmatch(value)
        if plain_match and (self.shown or not grouping or not _AMBIGUOUS.fullmatch(value)):
            number = float(value.replace(",", ".") if self.decimal == "," else value)
            if math.isfinite(number):
                return number
        plain: str | None = value
        if grouping and not self.shown and _AMBIGUOUS.fullmatch(value):
            message = (
                f"{text!r} could be {value[:-4]}.{value[-3:]} or {value[:-4]}{value[-3:]}: "
                "no other number in the file shows which separator is the decimal"
            )
            raise ValueIssue("ambiguous_number", message)
        if grouping and (self.group in value or _GROUP_MARKS.intersection(value)):
            plain = _ungroup(value, self.decimal)
        if plain is not None and self.decimal == ",":
            plain = None if "." in plain else plain.replace(",", ".")
        try:
            if plain is None:
                raise ValueIssue("invalid_number", "")
            return parse_number(plain)
        except ValueIssue as issue:
            if issue.code == "not_finite":
                raise ValueIssue(issue.code, f"{text!r} is not a finite number") from None
            message = f"{text!r} is not a number (the file's decimal separator is {self.decimal!r})"
            raise ValueIssue("invalid_number", message) from None


def _ungroup(value: str, decimal: str) -> str | None:
    """``"1.234,5"`` (decimal ``,``) → ``"1234,5"``; None when the grouping is not in threes."""
    whole, _, fraction = value.partition(decimal)
    sign = whole[:1] if whole[:1] in "+-" else ""
    groups = re.split(r"[.,'\u00a0\u202f\u2019 ]", whole[len(sign) :])
    if not groups[0].isdigit() or len(groups[0]) > 3:
        return None
    if any(len(group) != 3 or not group.isdigit() for group in groups[1:]):
        return None
    return sign + "".join(groups) + (decimal + fraction if fraction else "")


def _vote(cell: str) -> str | None:
    """The decimal a single cell shows, or None when it shows none."""
    match = _NUMBER_PART.match(cell)
    if match is None:
        return None
    number = match.group().strip()
    marks = _SEPARATOR.findall(number)
    if not marks:
        return None
    if len(set(marks)) == 2:
        return marks[-1]
    if len(marks) > 1:  # "1.234.567": the repeated one groups, so the other is the decimal
        return "," if marks[0] == "." else "."
    after = number.rsplit(marks[0], 1)[1]
    return None if len(after) == 3 and after.isdigit() else marks[0]


def detect_style(cells: Iterable[str], *, default: str | None, delimiter: str) -> NumberStyle:
    """The number style of a file from its numeric cells (see the module's rules).

    Parameters
    ----------
    cells : iterable of str
        The file's measure cells (weight, reps, distance, durations, RPE), as written.
    default : {".", ","} or None
        The layout's decimal when it has one (GymBook Italian writes ``,``).
    delimiter : str
        The file's field delimiter.

    Returns
    -------
    NumberStyle
        The decimal most cells show; a file showing both takes the majority, and the
        cells written the other way are then rejected one by one as ``invalid_number``.
    """
    votes = Counter(vote for cell in set(cells) if (vote := _vote(cell)) is not None)
    if votes:
        return NumberStyle(max(votes, key=lambda mark: (votes[mark], mark == (default or "."))))
    return NumberStyle(default or ("," if delimiter == ";" else "."), shown=False)

"""The shape of a dataset's description: its columns (name, Arrow type, SQL, unit,
meaning) and the dataset itself (SQL, time column, size and freshness sources); the
Arrow types the catalogue uses, and the ``athlete`` column every dataset has.

Types: timestamps are ``timestamp[us, tz=UTC]``, an athlete's local days ``date32``,
low-cardinality text ``dictionary<int32, string>`` (pandas categoricals).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from api.datasets.stream import Column

TS = pa.timestamp("us", tz="UTC")
DAY = pa.date32()
F64 = pa.float64()
I32 = pa.int32()
I64 = pa.int64()
STR = pa.string()
CAT = pa.dictionary(pa.int32(), pa.string())
BOOL = pa.bool_()

FORMATS = ("parquet", "arrow", "csv")


@dataclass(frozen=True)
class ColumnDoc:
    """One documented output column: the stream's column (name, type, ``text``) with its
    SQL expression, unit (None: none applies) and meaning."""

    name: str
    type: pa.DataType
    sql: str
    unit: str | None
    description: str
    #: user-typed text: cells a spreadsheet would execute are neutralised in CSV
    text: bool = False
    #: a title or free-text note: present only when the notes setting allows it
    notes: bool = False

    def column(self) -> Column:
        """The streaming engine's view of this column."""
        return Column(name=self.name, type=self.type, text=self.text)


@dataclass(frozen=True)
class Dataset:
    """A dataset: its SQL (``FROM`` with joins and fixed conditions), its columns, the
    column date filters apply to and how its size and freshness are measured."""

    name: str
    description: str
    #: the output column ``since``/``until`` filter on (a local day or a UTC timestamp)
    time_column: str | None
    columns: tuple[ColumnDoc, ...]
    from_sql: str
    where: tuple[str, ...] = ()
    #: the table whose planner estimate stands in for a count past a million rows
    count_table: str | None = None
    #: a leaner FROM with the same rows, for counting (default: ``from_sql``)
    count_from: str | None = None
    #: one value: the newest change that fed the dataset (NULL: nothing yet)
    freshness_sql: str = "SELECT NULL::timestamptz"
    #: rows belong to one training run (``run_id`` filter; default: the latest with a version)
    per_run: bool = False

    def visible(self, allow_notes: bool) -> tuple[ColumnDoc, ...]:
        """The columns an analyst may see: notes and titles only when allowed."""
        return tuple(c for c in self.columns if allow_notes or not c.notes)

    def column(self, name: str) -> ColumnDoc:
        """The column named ``name`` (KeyError when there is none)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def time_kind(self) -> Literal["date", "timestamp"] | None:
        """Whether the time column is a local day or a UTC timestamp."""
        if self.time_column is None:
            return None
        return "date" if self.column(self.time_column).type == DAY else "timestamp"


def pseudonym_join(user_id: str) -> str:
    """The join giving the rows of ``user_id`` (a SQL column) their athlete's pseudonym
    of key period ``%(period)s`` (alias ``p``)."""
    return f"JOIN user_pseudonyms p ON p.user_id = {user_id} AND p.period = %(period)s"


ATHLETE = ColumnDoc(
    "athlete",
    CAT,
    "p.pseudonym",
    None,
    "the athlete's pseudonym: a keyed hash of their account, stable within the key period "
    "(response header `X-Forma-Key-Period`); never their id, e-mail or name",
)

#: An athlete's own exercise is named by them: free text that may hold anything (a
#: name, an e-mail), so it is shown only where notes are, and ``custom`` otherwise; its
#: ``exercise_id`` still tells one apart from another. (Views of migration 0014: same.)
EXERCISE = ColumnDoc(
    "exercise",
    CAT,
    "CASE WHEN e.user_id IS NULL THEN e.name ELSE 'custom' END",
    None,
    "the catalogue exercise's name; `custom` for an athlete's own exercise",
    text=True,
)
CUSTOM_EXERCISE = ColumnDoc(
    "custom_exercise",
    STR,
    "CASE WHEN e.user_id IS NOT NULL THEN e.name END",
    None,
    "the name the athlete gave their own exercise (null for the catalogue's)",
    text=True,
    notes=True,
)


def col(
    name: str, type_: pa.DataType, sql: str, unit: str | None, description: str, **kw: bool
) -> ColumnDoc:
    """A :class:`ColumnDoc`, positionally: name, type, SQL, unit, meaning."""
    return ColumnDoc(name, type_, sql, unit, description, **kw)

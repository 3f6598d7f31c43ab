"""A dataset request as SQL: the filters checked (422 naming the parameter), then one
``SELECT`` with psycopg ``%(name)s`` parameters that the streaming engine COPYs out.

Filters: ``since``/``until`` (ISO dates, inclusive, on the dataset's time column: the
athlete's local day, or the UTC day of a timestamp), ``sample`` (0 < f ≤ 1: the athletes
whose pseudonym's bucket is below f, the same ones for the same f within a key period),
``columns`` (comma-separated, in the order asked) and ``run_id`` (``features`` only).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from api.datasets.catalogue import DATASETS, ColumnDoc, Dataset
from api.errors import FormaError, NotFound

if TYPE_CHECKING:
    from api.datasets.stream import Column


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


@dataclass(frozen=True)
class Filters:
    """A dataset request's filters, checked; None: not given."""

    since: date | None = None
    until: date | None = None
    sample: float | None = None
    columns: tuple[str, ...] | None = None
    run_id: uuid.UUID | None = None

    def as_json(self) -> dict[str, Any]:
        """The filters as JSON values (what a snapshot records), None ones left out."""
        out: dict[str, Any] = {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "sample": self.sample,
            "columns": list(self.columns) if self.columns is not None else None,
            "run_id": str(self.run_id) if self.run_id else None,
        }
        return {k: v for k, v in out.items() if v is not None}


class InvalidFilter(FormaError, status_code=422, code="validation_error"):
    """422: one query parameter of a dataset request is not valid."""

    def __init__(self, parameter: str, message: str, kind: str) -> None:
        super().__init__(
            f"the request is not valid: {parameter}: {message}",
            details=[{"loc": ["query", parameter], "msg": message, "type": kind}],
        )
        self.parameter = parameter


#: the query parameters of ``GET /v1/datasets/{name}``
EXPORT_PARAMS = ("format", "since", "until", "sample", "columns", "run_id")
#: the query parameters of ``GET /v1/datasets/snapshots/{id}/data``
SNAPSHOT_DATA_PARAMS = ("format", "columns")


def refuse_unknown(given: Iterable[str], known: Iterable[str]) -> None:
    """422 naming the first query parameter of ``given`` that is not in ``known``: a typo
    (``colums=``, ``samples=``) would otherwise export everything, unfiltered, silently."""
    allowed = frozenset(known)
    unknown = sorted(set(given) - allowed)
    if unknown:
        takes = ", ".join(sorted(allowed))
        message = f"unknown query parameter; this endpoint takes {takes}"
        raise InvalidFilter(unknown[0], message, "unknown_parameter")


def get_dataset(name: str) -> Dataset:
    """The dataset called ``name``; 404 ``dataset_not_found`` naming the known ones."""
    dataset = DATASETS.get(name)
    if dataset is None:
        known = ", ".join(DATASETS)
        raise NotFound(
            f"no dataset named {name!r} (there are: {known})",
            code="dataset_not_found",
            details={"dataset": name, "known": list(DATASETS)},
        )
    return dataset


def _day(parameter: str, value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        # only the extended form: Python also reads `20250301`, which Forma never takes
        if not _ISO_DAY.fullmatch(value.strip()):
            raise ValueError(value)
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidFilter(
            parameter, f"not an ISO date (YYYY-MM-DD): {value[:40]!r}", "date_parsing"
        ) from None


def _sample(value: float | str | None) -> float | None:
    if value is None:
        return None
    try:
        fraction = float(value)
    except ValueError:
        raise InvalidFilter(
            "sample", f"not a number: {str(value)[:40]!r}", "float_parsing"
        ) from None
    if not (math.isfinite(fraction) and 0 < fraction <= 1):
        raise InvalidFilter(
            "sample", f"a fraction of athletes is > 0 and ≤ 1, not {value}", "range"
        )
    return fraction


def _columns(dataset: Dataset, value: str | None, allow_notes: bool) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise InvalidFilter("columns", "name at least one column", "missing")
    known = {c.name for c in dataset.visible(allow_notes)}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InvalidFilter(
            "columns",
            f"no column {unknown[0]!r} in dataset {dataset.name!r}",
            "unknown_column",
        )
    return tuple(dict.fromkeys(names))  # duplicates once, in the order asked


def _run_id(dataset: Dataset, value: uuid.UUID | str | None) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        if value is not None and not dataset.per_run:
            raise InvalidFilter("run_id", f"dataset {dataset.name!r} has no runs", "unexpected")
        return value
    if not dataset.per_run:
        raise InvalidFilter("run_id", f"dataset {dataset.name!r} has no runs", "unexpected")
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise InvalidFilter("run_id", f"not a UUID: {value[:40]!r}", "uuid_parsing") from None


def parse_filters(
    dataset: Dataset,
    since: date | str | None = None,
    until: date | str | None = None,
    sample: float | str | None = None,
    columns: str | None = None,
    run_id: uuid.UUID | str | None = None,
    *,
    allow_notes: bool = False,
) -> Filters:
    """Check a request's filters; 422 ``validation_error`` whose detail's ``loc`` is
    ``["query", <parameter>]``: a date that is not ISO, ``until`` before ``since``, a
    sample outside (0, 1], an unknown column (notes and titles are unknown unless
    allowed), ``run_id`` on a dataset without runs."""
    first, last = _day("since", since), _day("until", until)
    if first is not None and last is not None and last < first:
        raise InvalidFilter("until", f"until ({last}) is before since ({first})", "date_range")
    return Filters(
        since=first,
        until=last,
        sample=_sample(sample),
        columns=_columns(dataset, columns, allow_notes),
        run_id=_run_id(dataset, run_id),
    )


def chosen_columns(dataset: Dataset, filters: Filters, *, allow_notes: bool) -> list[ColumnDoc]:
    """The columns a request asked for, in its order (default: every visible column)."""
    visible = dataset.visible(allow_notes)
    if filters.columns is None:
        return list(visible)
    by_name = {c.name: c for c in visible}
    return [by_name[n] for n in filters.columns]


def _time_bounds(dataset: Dataset, filters: Filters) -> tuple[list[str], dict[str, Any]]:
    if dataset.time_column is None or (filters.since is None and filters.until is None):
        return [], {}
    expr = dataset.column(dataset.time_column).sql
    where, params = [], {}
    if dataset.time_kind == "date":
        if filters.since is not None:
            where.append(f"{expr} >= %(since)s")
            params["since"] = filters.since
        if filters.until is not None:
            where.append(f"{expr} <= %(until)s")
            params["until"] = filters.until
        return where, params
    # a timestamp: the UTC days since … until, both whole
    if filters.since is not None:
        where.append(f"{expr} >= %(since)s")
        params["since"] = datetime.combine(filters.since, time(), tzinfo=UTC)
    if filters.until is not None:
        where.append(f"{expr} < %(until)s")
        params["until"] = datetime.combine(filters.until + timedelta(days=1), time(), tzinfo=UTC)
    return where, params


MONTH = ColumnDoc(
    "month",
    pa.date32(),
    "",
    None,
    "the first day of the month of the time column (snapshots' partition)",
)


def select(
    dataset: Dataset,
    filters: Filters,
    *,
    period: int,
    allow_notes: bool,
    order_by_month: bool = False,
) -> tuple[str, dict[str, Any], list[Column]]:
    """The dataset's ``SELECT`` for ``filters`` in key period ``period``: its text (psycopg
    ``%(name)s`` parameters), its parameters and its output columns in order.

    ``order_by_month`` adds a leading ``month`` column (``date``: the first of the month
    of the time column; NULL without one) and orders the rows by it. A ``features``
    request without ``run_id`` selects nothing: resolve the default run first.
    """
    columns = chosen_columns(dataset, filters, allow_notes=allow_notes)
    items = [f"{c.sql} AS {c.name}" for c in columns]
    out = [c.column() for c in columns]
    params: dict[str, Any] = {"period": period}
    where = list(dataset.where)
    if filters.sample is not None and filters.sample < 1:
        where.append("p.bucket < %(sample)s")
        params["sample"] = filters.sample
    bounds, bound_params = _time_bounds(dataset, filters)
    where += bounds
    params |= bound_params
    if dataset.per_run:
        if filters.run_id is None:
            where.append("false")
        else:
            where.append("f.run_id = %(run_id)s")
            params["run_id"] = filters.run_id
    if order_by_month:
        if dataset.time_column is None:
            month = "NULL::date"
        else:
            expr = dataset.column(dataset.time_column).sql
            if dataset.time_kind == "timestamp":
                expr = f"({expr} AT TIME ZONE 'UTC')"
            month = f"date_trunc('month', {expr})::date"
        items.insert(0, f"{month} AS month")
        out.insert(0, MONTH.column())
    sql = f"SELECT {', '.join(items)} {dataset.from_sql}"
    if where:
        sql += " WHERE " + " AND ".join(f"({w})" for w in where)
    if order_by_month:
        sql += " ORDER BY 1"
    return sql, params, out

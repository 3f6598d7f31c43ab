"""Schemas of ``GET /v1/datasets``: each dataset with its columns, size and freshness."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Format = Literal["parquet", "arrow", "csv"]


class ColumnRead(BaseModel):
    name: str = Field(description="column name, as in the file")
    type: str = Field(
        description="Arrow type: `timestamp[us, tz=UTC]`, `date32[day]` (a local day), "
        "`double`, `int32`, `int64`, `bool`, `string`, or `dictionary<values=string, "
        "indices=int32, ordered=0>` (a pandas categorical)"
    )
    unit: str | None = Field(description="unit of the values (`kg`, `s`, `AU`…); null: none")
    description: str = Field(description="what the column means")


class DatasetRead(BaseModel):
    name: str = Field(description="the dataset's name in `GET /v1/datasets/{name}`")
    description: str = Field(description="what one row is")
    time_column: str | None = Field(
        description="the column `since` and `until` filter on (a local day, or a UTC "
        "timestamp compared by UTC day); null: the dataset takes no dates"
    )
    columns: list[ColumnRead] = Field(description="the columns, in the files' order")
    row_count: int = Field(description="rows of the whole dataset (every athlete, no filter)")
    row_count_exact: bool = Field(
        description="true: counted; false: PostgreSQL's estimate (past a million rows)"
    )
    freshness: datetime | None = Field(
        description="the newest change that fed the dataset (UTC); null: nothing yet"
    )
    formats: list[Format] = Field(
        description="the formats `?format=` takes; the first is the default"
    )


class DatasetList(BaseModel):
    items: list[DatasetRead] = Field(description="every dataset")
    key_period: int = Field(
        description="the current key period: athletes' pseudonyms are stable within it"
    )

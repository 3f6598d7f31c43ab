"""Import job schemas (DESIGN §6)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schemas import OutputModel, TimeZoneName

WeightUnitName = Literal["kg", "lb"]
DistanceUnitName = Literal["m", "km", "mi"]


class ImportUploadFields(BaseModel):
    """The upload form's fields besides ``file``; a field left out is ``None``.

    Strict like every input: a field sent empty, or with whitespace around its value,
    is refused, not read as left out or trimmed; an unknown field is refused too.
    """

    model_config = ConfigDict(extra="forbid")

    weight_unit: WeightUnitName | None = Field(
        None, description="unit of a file's bare weights: kg or lb"
    )
    distance_unit: DistanceUnitName | None = Field(
        None, description="unit of a file's bare distances: m, km or mi"
    )
    time_zone: TimeZoneName | None = Field(
        None, description="IANA zone of the file's zone-less times"
    )
    date_order: Literal["dmy", "mdy", "ymd"] | None = Field(
        None,
        description=(
            "how to read a file's all-numeric dates when they read more than one way "
            "(every date could be day-first or month-first): `dmy`, `mdy` or `ymd`. "
            "Without it such a file fails with `ambiguous_date_order`, naming a date"
        ),
    )

    @field_validator("*", mode="before")
    @classmethod
    def _as_sent(cls, value: Any) -> Any:
        if value == "":
            raise ValueError("must not be empty; leave the field out instead")
        if isinstance(value, str) and value != value.strip():
            raise ValueError("must not begin or end with whitespace")
        return value


# An IANA zone name: letters, digits, `_`, `-`, `+`, in `/`-separated parts (every name
# zoneinfo knows matches; which ones exist is checked against its list).
TIME_ZONE_PATTERN = r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$"


def _form_fields_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name, prop in ImportUploadFields.model_json_schema()["properties"].items():
        branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
        prop.pop("default", None)
        (branch,) = branches
        properties[name] = {**branch, **prop}
    properties["time_zone"]["pattern"] = TIME_ZONE_PATTERN
    return properties


def upload_request_body() -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of ``POST /v1/imports``: the multipart form it streams."""
    file = {
        "type": "string",
        "format": "binary",
        "description": "Strong/Hevy/FitNotes/GymBook CSV, GPX, TCX, FIT, or a .zip/.gz of them",
    }
    schema = {
        "title": "ImportUpload",
        "type": "object",
        "required": ["file"],
        "properties": {"file": file, **_form_fields_schema()},
        # Every other part is refused (422), as are empty or padded values: the schema
        # of each field is exactly what is accepted, with no null branch (a form field
        # is either sent or left out).
        "additionalProperties": False,
    }
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


class ImportCounts(BaseModel):
    rows: int = Field(0, description="data records read from the file")
    workouts_created: int = Field(0, description="new workouts stored")
    sets_created: int = Field(0, description="new sets stored")
    duplicates_skipped: int = Field(
        0, description="workouts not stored again: already stored, or repeated whole in the file"
    )
    rows_rejected: int = Field(0, description="records refused; see `errors`")


class ImportRowError(BaseModel):
    line: int | None = Field(description="physical line where the record starts (header = 1)")
    column: str | None = Field(description="the column at fault, when one is")
    code: str = Field(description="stable reason code, e.g. `out_of_range`")
    message: str = Field(description="what is wrong, for a person")


class ImportAccepted(BaseModel):
    id: uuid.UUID = Field(description="the import job id; poll GET /v1/imports/{id}")
    status: Literal["queued"] = Field(description="always `queued` on acceptance")


class ImportRead(OutputModel):
    id: uuid.UUID = Field(description="import job id")
    status: Literal["queued", "running", "succeeded", "partial", "failed"] = Field(
        description=(
            "job state: `succeeded` stored the file with nothing rejected; `partial` stored "
            "what it could and lists the rejected records in `errors`; `failed` stored nothing"
        )
    )
    format: str | None = Field(description="detected file format, e.g. `strong`")
    filename: str | None = Field(description="the uploaded file's name")
    size_bytes: int = Field(description="uploaded size in bytes")
    progress: float = Field(description="0–1, moves while records are parsed and written")
    counts: ImportCounts = Field(description="what the import did")
    errors: list[ImportRowError] = Field(description="rejected records (the first 1,000)")
    message: str | None = Field(
        description=(
            "why the job failed, when it did; for a job that rejected more than half its "
            "rows, what most of them had in common, with an example"
        )
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="what was read in a documented, lossy way (points dropped, nominal times)",
    )
    created_at: datetime = Field(description="uploaded at, UTC")
    started_at: datetime | None = Field(description="processing started at, UTC")
    finished_at: datetime | None = Field(description="processing finished at, UTC")
    undone_at: datetime | None = Field(None, description="when the import was undone, if it was")


class UndoResult(BaseModel):
    workouts_deleted: int = Field(description="workouts of the import deleted now")
    kept_workout_ids: list[uuid.UUID] = Field(
        description="workouts of the import changed since, kept (only with force=true)"
    )

"""Model-registry schemas: models, their versions (never the artifact bytes), events, runs,
and the admin's train / promote / rollback requests."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, create_model

from api.schemas import InputModel, OutputModel, check_text
from models.coaching.estimator import Params

RunStatus = Literal["queued", "building", "fitting", "succeeded", "failed"]
EventKind = Literal["trained", "promoted", "rejected", "rolled_back", "failed"]
Alias = Literal["champion", "challenger"]

#: versions are PostgreSQL ``integer``s
MAX_VERSION = 2**31 - 1

#: a hyper-parameter's value as `forma train --set key=value` takes it, or as a JSON number
ParamValue = (
    Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(check_text)]
    | int
    | float
)


def _train_params_model() -> type[InputModel]:
    """``TrainParams``: one optional field per :class:`models.coaching.estimator.Params`
    hyper-parameter, so the schema lists them (an unknown one is 422 ``extra_forbidden``).
    Values are checked by :meth:`Params.with_overrides` (422 naming the key)."""
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(Params):
        kind = "integer" if field.type in ("int", int) else "number"
        fields[field.name] = (
            ParamValue | None,
            Field(None, description=f"{kind}, default {field.default}; null keeps the default"),
        )
    return create_model("TrainParams", __base__=InputModel, **fields)


if TYPE_CHECKING:  # a class built at import: to the type checker, an InputModel
    TrainParams = InputModel
else:
    TrainParams = _train_params_model()


class RunBrief(OutputModel):
    id: uuid.UUID = Field(description="run id")
    status: RunStatus = Field(description="queued, building, fitting, succeeded or failed")
    progress: float = Field(description="0–1")


class ModelSummary(BaseModel):
    name: str = Field(description="model name, e.g. `next_e1rm`")
    champion: int | None = Field(description="the version serving, null before the first")
    challenger: int | None = Field(description="the version under trial, if any")
    latest_version: int | None = Field(description="the highest version trained, if any")
    latest_run: RunBrief | None = Field(description="the most recent training run, if any")


class ModelList(BaseModel):
    items: list[ModelSummary] = Field(description="every registered model, by name")


class TrainingWindow(BaseModel):
    trained_from: date | None = Field(description="first label day of the training data")
    trained_to: date | None = Field(description="last label day of the training data")
    cut: date | None = Field(description="the time-split cut: evaluation starts here")


class VersionRead(BaseModel):
    name: str = Field(description="model name")
    version: int = Field(description="version number, 1, 2, … per model")
    created_at: datetime = Field(description="stored at, UTC")
    run_id: uuid.UUID | None = Field(description="the training run that made it")
    window: TrainingWindow = Field(description="the training window")
    snapshot: dict[str, Any] = Field(
        description="the data read: athletes, sets and examples counted, the highest change "
        "number read"
    )
    code_version: str = Field(description="the code that trained it")
    params: dict[str, Any] = Field(description="hyper-parameters")
    metrics: dict[str, Any] = Field(
        description="candidate, champion and baselines on the same hold-out rows"
    )
    artifact_sha256: str = Field(description="SHA-256 (hex) of the stored skops artifact")
    aliases: list[Alias] = Field(description="the aliases pointing at this version")


class VersionPage(BaseModel):
    items: list[VersionRead] = Field(description="versions, newest first")
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class EventRead(OutputModel):
    id: int = Field(description="event number, increasing")
    name: str = Field(validation_alias="model_name", description="model name")
    version: int | None = Field(description="the version concerned, if any")
    event: EventKind = Field(description="trained, promoted, rejected, rolled_back or failed")
    reason: str | None = Field(description="why, in words (with the numbers of a gate)")
    actor: str = Field(description="who: an admin's e-mail, or the scheduler/worker")
    at: datetime = Field(description="when, UTC")
    details: dict[str, Any] = Field(description="more context, e.g. the previous champion")


class EventPage(BaseModel):
    items: list[EventRead] = Field(description="events, newest first")
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class RunRead(OutputModel):
    id: uuid.UUID = Field(description="run id")
    name: str = Field(validation_alias="model_name", description="model name")
    status: RunStatus = Field(description="queued, building, fitting, succeeded or failed")
    progress: float = Field(description="0–1: feature shards are the first 70 %, the fit the rest")
    params: dict[str, Any] = Field(description="hyper-parameters the run trains with")
    requested_by: str = Field(description="who asked: an admin's e-mail, or the scheduler")
    created_at: datetime = Field(description="queued at, UTC")
    started_at: datetime | None = Field(description="started at, UTC")
    finished_at: datetime | None = Field(description="finished at, UTC")
    shards_total: int = Field(description="feature shards fanned out")
    shards_done: int = Field(description="feature shards finished")
    users_total: int = Field(description="athletes read")
    examples: int = Field(description="training examples built")
    snapshot: dict[str, Any] = Field(description="what the run read")
    message: str | None = Field(description="why it failed, or a note")
    version: int | None = Field(description="the version it produced, once succeeded")


class TrainRequest(InputModel):
    params: TrainParams = Field(
        default_factory=TrainParams,
        description="hyper-parameter overrides, like `forma train --set key=value`, e.g. "
        '`{"max_iter": "200"}` (or `200`); a bad value is 422 naming its key',
    )

    def overrides(self) -> dict[str, str]:
        """The overrides given, as the strings :meth:`Params.with_overrides` parses."""
        given = self.params.model_dump(exclude_none=True)
        return {key: str(value) for key, value in given.items()}


class TrainAccepted(BaseModel):
    id: uuid.UUID = Field(description="run id: poll `GET /v1/models/{name}/runs/{id}`")
    status: Literal["queued"] = Field(description="always `queued`")
    progress: float = Field(description="always 0")


class PromoteRequest(InputModel):
    version: int = Field(ge=1, le=MAX_VERSION, description="the version to make champion")


class RollbackRequest(InputModel):
    version: int | None = Field(
        None,
        ge=1,
        le=MAX_VERSION,
        description="the version to go back to; default: the champion before the current "
        "one, as the events record it",
    )


class ChampionMoved(BaseModel):
    name: str = Field(description="model name")
    champion: int = Field(description="the champion now")
    previous_champion: int | None = Field(description="the champion before, if any")
    event: EventRead = Field(description="the event recorded")

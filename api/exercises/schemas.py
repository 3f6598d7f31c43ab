"""Exercise schemas."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from api.exercises.catalogue import EQUIPMENT, MUSCLE_GROUPS, normalise_name
from api.exercises.tables import Exercise
from api.schemas import InputModel, OutputModel, omit_or_value
from models.vocabulary import EXERCISE_KINDS

NAME_MAX = 200
ALIASES_MAX = 20


def _member_of(allowed: tuple[str, ...], what: str) -> Callable[[str], str]:
    """A validator accepting only ``allowed``; its error names the bad value."""

    def check(value: str) -> str:
        if value not in allowed:
            raise PydanticCustomError(
                "enum",
                "unknown {what} '{value}'; expected one of: {allowed}",
                {"what": what, "value": value, "allowed": ", ".join(allowed)},
            )
        return value

    return check


def _enum(allowed: tuple[str, ...]) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": list(allowed)})


def _check_name(value: str) -> str:
    key = normalise_name(value)
    if not key:
        raise PydanticCustomError("name_empty", "the name has nothing left once normalised")
    if len(key) > NAME_MAX:
        raise PydanticCustomError(
            "name_too_long",
            "the name is longer than {max} characters once normalised",
            {"max": NAME_MAX},
        )
    return value


def _unique(values: list[str]) -> list[str]:
    """Drop repeats, keeping the first of each (by normalised key)."""
    seen: set[str] = set()
    out = []
    for value in values:
        key = normalise_name(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


Kind = Annotated[str, AfterValidator(_member_of(EXERCISE_KINDS, "kind")), _enum(EXERCISE_KINDS)]
Muscle = Annotated[
    str, AfterValidator(_member_of(MUSCLE_GROUPS, "muscle group")), _enum(MUSCLE_GROUPS)
]
Equipment = Annotated[str, AfterValidator(_member_of(EQUIPMENT, "equipment")), _enum(EQUIPMENT)]
ExerciseName = Annotated[str, Field(min_length=1, max_length=NAME_MAX), AfterValidator(_check_name)]
Muscles = Annotated[list[Muscle], Field(max_length=len(MUSCLE_GROUPS)), AfterValidator(_unique)]
Aliases = Annotated[list[ExerciseName], Field(max_length=ALIASES_MAX), AfterValidator(_unique)]

_NAME = "display name, 1–200 characters after trimming, e.g. `Landmine Press`"
_KIND = "strength, bodyweight, assisted, timed or cardio (decides how e1RM and records count)"
_EQUIPMENT = "barbell, dumbbell, machine, cable, bodyweight, band, kettlebell, … or null"
_PRIMARY = "muscle groups trained most, from the catalogue's list"
_SECONDARY = "muscle groups trained less, from the catalogue's list"
_ALIASES = f"other names that map to this exercise on import (at most {ALIASES_MAX})"


class ExerciseRead(OutputModel):
    id: uuid.UUID = Field(description="stable id (uuid5 of the slug for catalogue exercises)")
    name: str = Field(description="display name, e.g. `Bench Press (Barbell)`")
    aliases: list[str] = Field(description="other names that map to this exercise")
    kind: str = Field(description="strength, bodyweight, assisted, timed or cardio")
    equipment: str | None = Field(description="barbell, dumbbell, machine, cable, …")
    primary_muscles: list[str] = Field(description="muscle groups trained most")
    secondary_muscles: list[str] = Field(description="muscle groups trained less")
    custom: bool = Field(description="true for the user's own exercise")
    merged_into_id: uuid.UUID | None = Field(
        description="set once this custom exercise was merged into another: its sets moved "
        "there; clients should follow it. Merged exercises are left out of lists"
    )

    @classmethod
    def from_row(cls, exercise: Exercise) -> ExerciseRead:
        """The response body for an ``exercises`` row."""
        return cls(
            id=exercise.id,
            name=exercise.name,
            aliases=list(exercise.aliases or []),
            kind=exercise.kind,
            equipment=exercise.equipment,
            primary_muscles=list(exercise.primary_muscles or []),
            secondary_muscles=list(exercise.secondary_muscles or []),
            custom=exercise.user_id is not None,
            merged_into_id=exercise.merged_into_id,
        )


class ExercisePage(BaseModel):
    items: list[ExerciseRead] = Field(description="exercises, by name")
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )


class ExerciseCreate(InputModel):
    """A new custom exercise of the caller."""

    name: ExerciseName = Field(description=_NAME)
    kind: Kind = Field(description=_KIND)
    equipment: Equipment | None = Field(None, description=_EQUIPMENT)
    primary_muscles: Muscles = Field(default_factory=list, description=_PRIMARY)
    secondary_muscles: Muscles = Field(default_factory=list, description=_SECONDARY)
    aliases: Aliases = Field(default_factory=list, description=_ALIASES)


class ExerciseUpdate(InputModel):
    """Fields to change; omitted ones stay. Only `equipment` may be set to null."""

    name: ExerciseName | None = Field(None, json_schema_extra=omit_or_value, description=_NAME)
    kind: Kind | None = Field(None, json_schema_extra=omit_or_value, description=_KIND)
    equipment: Equipment | None = Field(None, description=_EQUIPMENT)
    primary_muscles: Muscles | None = Field(
        None, json_schema_extra=omit_or_value, description=_PRIMARY
    )
    secondary_muscles: Muscles | None = Field(
        None, json_schema_extra=omit_or_value, description=_SECONDARY
    )
    aliases: Aliases | None = Field(None, json_schema_extra=omit_or_value, description=_ALIASES)

    @field_validator("name", "kind", "primary_muscles", "secondary_muscles", "aliases")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Validators run only on values sent, so None here was an explicit null.
        if value is None:
            raise PydanticCustomError("null_not_allowed", "may be omitted but not null")
        return value


class ExerciseMerge(InputModel):
    """Where to move a custom exercise's sets."""

    into: uuid.UUID = Field(
        description="the exercise that takes over the sets: a catalogue exercise or another "
        "of the caller's own custom exercises that has not been merged"
    )

"""Exercise schemas."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from api.schemas import OutputModel


class ExerciseRead(OutputModel):
    id: uuid.UUID = Field(description="stable id (uuid5 of the slug for catalogue exercises)")
    name: str = Field(description="display name, e.g. `Bench Press (Barbell)`")
    aliases: list[str] = Field(description="other names that map to this exercise")
    kind: str = Field(description="strength, bodyweight, assisted, timed or cardio")
    equipment: str | None = Field(description="barbell, dumbbell, machine, cable, …")
    primary_muscles: list[str] = Field(description="muscle groups trained most")
    secondary_muscles: list[str] = Field(description="muscle groups trained less")
    custom: bool = Field(description="true for the user's own exercise")


class ExercisePage(BaseModel):
    items: list[ExerciseRead] = Field(description="exercises, by name")
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )

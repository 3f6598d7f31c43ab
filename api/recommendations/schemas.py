"""Recommendation schemas: a next-session prescription, a list of them, and feedback."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from api.schemas import InputModel, OutputModel

Outcome = Literal["done_as_prescribed", "changed", "skipped"]


class PrescribedSet(OutputModel):
    """One working set of a prescription."""

    weight_kg: float | None = Field(
        description="load in kg; null when no weight can be given (see the explanation)"
    )
    weight: float | None = Field(
        description="the same load in `unit`, rounded to that unit's plates"
    )
    unit: Literal["kg", "lb"] = Field(description="the athlete's unit")
    reps: int = Field(description="repetitions")
    target_rpe: float = Field(description="target RPE (1–10)")


class ModelRef(OutputModel):
    """The model version that made a prescription."""

    name: str
    version: int


class RecommendationRead(OutputModel):
    """The next-session prescription of one exercise, as stored when the athlete was scored.

    Either ``model`` (a model answered) or ``rule`` (a rule answered: a new athlete, an
    exercise never done, no champion yet) is set, never both. ``predicted_e1rm_kg`` and
    ``interval_kg`` may be null in a rule's answer.
    """

    id: uuid.UUID = Field(description="the stored score; the same until the athlete is rescored")
    exercise_id: uuid.UUID
    exercise_name: str
    predicted_e1rm_kg: float | None = Field(description="forecast best e1RM of the next session")
    interval_kg: tuple[float, float] | None = Field(
        description="80 % prediction interval [low, high] of that forecast, kg"
    )
    sets: list[PrescribedSet]
    model: ModelRef | None = Field(description="the model version that answered, if any")
    rule: str | None = Field(description="the rule that answered, when no model did")
    explanation: str = Field(description="the main drivers, in words and numbers")
    as_of: datetime = Field(description="when the athlete was scored (UTC)")


class RecommendationList(OutputModel):
    """The athlete's main exercises (kind strength, trained in the last 8 weeks, most
    trained first), at most 8."""

    items: list[RecommendationRead]


class DoneSet(InputModel):
    """One set the athlete actually did."""

    weight_kg: float = Field(ge=0, le=1000, description="load, kg (0–1000)")
    reps: int = Field(ge=0, le=1000, description="repetitions (0–1000)")
    rpe: float | None = Field(
        None, ge=1, le=10, multiple_of=0.5, description="RPE 1–10 in 0.5 steps"
    )


class DoneAsPrescribed(InputModel):
    """The athlete did the prescribed sets."""

    outcome: Literal["done_as_prescribed"]


class Skipped(InputModel):
    """The athlete did not do the exercise."""

    outcome: Literal["skipped"]


class Changed(InputModel):
    """The athlete did other sets than prescribed: the sets actually done."""

    outcome: Literal["changed"]
    sets: list[DoneSet] = Field(min_length=1, max_length=50, description="the sets done")


def _outcome(value: Any) -> Any:
    # a callable discriminator: InputModel's before-validator rules out a field one
    return value.get("outcome") if isinstance(value, dict) else getattr(value, "outcome", None)


#: What the athlete did with a prescription, told apart by ``outcome``: ``sets`` is
#: required for ``changed`` and refused for the other outcomes (422 at
#: ``body.<outcome>.sets``).
FeedbackCreate = Annotated[
    Annotated[DoneAsPrescribed, Tag("done_as_prescribed")]
    | Annotated[Skipped, Tag("skipped")]
    | Annotated[Changed, Tag("changed")],
    Discriminator(
        _outcome,
        custom_error_type="invalid_outcome",
        custom_error_message="`outcome` must be one of done_as_prescribed, changed or skipped",
    ),
]


class FeedbackRead(OutputModel):
    """The stored answer (a second answer replaces the first)."""

    recommendation_id: uuid.UUID
    outcome: Outcome
    sets: list[DoneSet] | None
    created_at: datetime
    updated_at: datetime

"""The synthetic hold-out's frames are what the database read would give: the same
population stored and read back with ``read_inputs`` makes the same training examples."""

from __future__ import annotations

import uuid
from datetime import date

import pandas as pd

from models.coaching.features import training_examples
from pipelines.coaching import synthetic
from pipelines.demo.population import generate
from pipelines.demo.seed import seed
from pipelines.store.analytics import read_inputs
from tests.support.training_runs import committed  # noqa: F401  # the fixture

END = date(2025, 6, 30)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in ("user_id", "exercise_id"):
        out[column] = out[column].astype(str)
    return out.sort_values(["user_id", "exercise_id", "as_of"]).reset_index(drop=True)


def test_in_memory_inputs_give_the_examples_of_the_stored_population(committed):  # noqa: F811
    seed(committed, athletes=4, years=0.75, seed=31, end=END, analytics=False)
    population = generate(4, 0.75, 31, END, with_truth=False)
    with committed.connect() as conn:
        stored = read_inputs(conn, [uuid.UUID(u) for u in population.users["id"]], date(1900, 1, 1))
    here = synthetic.to_inputs(population)
    assert len(here.sets) == len(stored.sets) == len(population.workout_sets)
    assert len(here.workouts) == len(stored.workouts)
    assert set(stored.sets.columns) <= set(here.sets.columns)
    from_db, in_memory = _sorted(training_examples(stored)), _sorted(training_examples(here))
    assert len(in_memory) > 50
    pd.testing.assert_frame_equal(in_memory, from_db, check_dtype=False)


def test_the_hold_out_is_fixed_and_kept_per_process():
    first = synthetic.examples(athletes=6, years=0.5)
    assert synthetic.examples(athletes=6, years=0.5) is first  # cached
    again = training_examples(synthetic.to_inputs(generate(6, 0.5, synthetic.SEED, synthetic.END)))
    pd.testing.assert_frame_equal(_sorted(first), _sorted(again))
    # not the demo's athletes: the demo's seed makes other ones
    demo = generate(6, 0.5, 7, synthetic.END, with_truth=False)
    assert set(demo.users["id"]).isdisjoint(set(first["user_id"].astype(str)))

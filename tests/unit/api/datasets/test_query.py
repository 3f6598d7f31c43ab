"""Dataset filters: 422 naming the parameter for each bad one; the SQL a request makes
(columns in the order asked, the sample, date bounds, the snapshot's month); the
catalogue's promises (no personal columns, notes only when allowed, every column
documented)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from api.datasets.catalogue import DATASETS, TS
from api.datasets.features_doc import FEATURE_DOCS
from api.datasets.query import InvalidFilter, get_dataset, parse_filters, select
from api.errors import NotFound
from models.coaching.features import FEATURES

SETS = DATASETS["sets"]


def refused(parameter: str, **kwargs) -> InvalidFilter:
    dataset = kwargs.pop("dataset", SETS)
    with pytest.raises(InvalidFilter) as caught:
        parse_filters(dataset, **kwargs)
    error = caught.value
    assert error.status_code == 422
    assert error.details[0]["loc"] == ["query", parameter]
    assert parameter in error.message
    return error


def test_the_seven_datasets():
    assert list(DATASETS) == [
        "workouts",
        "sets",
        "cardio_sessions",
        "daily_load",
        "exercise_progress",
        "features",
        "recommendation_feedback",
    ]


def test_an_unknown_dataset_is_404():
    with pytest.raises(NotFound) as caught:
        get_dataset("users")
    assert caught.value.code == "dataset_not_found"
    assert "users" in caught.value.message


@pytest.mark.parametrize("value", ["0", "-0.1", "1.0001", "nan", "inf", "half", ""])
def test_a_sample_outside_0_1_is_422(value):
    refused("sample", sample=value)


@pytest.mark.parametrize("value", ["1", "0.5", "1e-9"])
def test_a_sample_inside_0_1_is_taken(value):
    assert parse_filters(SETS, sample=value).sample == float(value)


def test_reversed_dates_name_until():
    error = refused("until", since="2025-03-02", until="2025-03-01")
    assert "2025-03-01" in error.message
    same_day = parse_filters(SETS, since="2025-03-01", until="2025-03-01")
    assert same_day.since == same_day.until == date(2025, 3, 1)


@pytest.mark.parametrize("parameter", ["since", "until"])
@pytest.mark.parametrize(
    "value", ["yesterday", "2025-13-01", "01/02/2025", "2025-02-30", "20250301", "2025-3-1", "0.5"]
)
def test_a_date_that_is_not_iso_is_422(parameter, value):
    refused(parameter, **{parameter: value})


def test_an_unknown_column_is_named():
    error = refused("columns", columns="weight_kg,user_id")
    assert "user_id" in error.message


def test_notes_are_unknown_unless_allowed():
    refused("columns", columns="notes")
    assert parse_filters(SETS, columns="notes", allow_notes=True).columns == ("notes",)


def test_run_id_only_for_features():
    refused("run_id", run_id=str(uuid.uuid4()))
    refused("run_id", dataset=DATASETS["features"], run_id="not-a-uuid")
    run = uuid.uuid4()
    assert parse_filters(DATASETS["features"], run_id=str(run)).run_id == run


def test_columns_in_the_order_asked_once_each():
    filters = parse_filters(SETS, columns="reps, weight_kg,reps,athlete")
    sql, _, columns = select(SETS, filters, period=3, allow_notes=False)
    assert [c.name for c in columns] == ["reps", "weight_kg", "athlete"]
    assert sql.startswith(
        "SELECT s.reps AS reps, s.weight_kg AS weight_kg, p.pseudonym AS athlete "
    )


def test_the_sql_carries_the_period_sample_and_local_days():
    filters = parse_filters(SETS, since="2025-01-01", until="2025-01-31", sample="0.25")
    sql, params, _ = select(SETS, filters, period=7, allow_notes=False)
    assert params == {
        "period": 7,
        "sample": 0.25,
        "since": date(2025, 1, 1),
        "until": date(2025, 1, 31),
    }
    assert "p.period = %(period)s" in sql
    assert "p.bucket < %(sample)s" in sql
    assert "AT TIME ZONE w.time_zone)::date >= %(since)s" in sql


def test_a_whole_sample_filters_nothing():
    sql, params, _ = select(SETS, parse_filters(SETS, sample="1"), period=1, allow_notes=False)
    assert "bucket" not in sql and "sample" not in params


def test_timestamp_time_columns_take_whole_utc_days():
    dataset = DATASETS["recommendation_feedback"]
    filters = parse_filters(dataset, since="2025-01-01", until="2025-01-31")
    sql, params, _ = select(dataset, filters, period=1, allow_notes=False)
    assert params["since"] == datetime(2025, 1, 1, tzinfo=UTC)
    assert params["until"] == datetime(2025, 2, 1, tzinfo=UTC)
    assert "fb.created_at < %(until)s" in sql


def test_snapshots_get_a_leading_month_and_an_order():
    sql, _, columns = select(
        SETS, parse_filters(SETS), period=1, allow_notes=False, order_by_month=True
    )
    assert columns[0].name == "month" and columns[0].type == pa.date32()
    assert sql.endswith("ORDER BY 1")
    assert "date_trunc('month'" in sql


def test_features_without_a_run_select_nothing():
    dataset = DATASETS["features"]
    sql, params, _ = select(dataset, parse_filters(dataset), period=1, allow_notes=False)
    assert "(false)" in sql
    run = uuid.uuid4()
    sql, params, _ = select(
        dataset, parse_filters(dataset, run_id=run), period=1, allow_notes=False
    )
    assert params["run_id"] == run


PERSONAL = {"user_id", "email", "e_mail", "name", "first_name", "last_name", "password_hash"}


@pytest.mark.parametrize("name", list(DATASETS))
def test_no_dataset_has_a_personal_column_and_each_has_an_athlete(name):
    dataset = DATASETS[name]
    names = [c.name for c in dataset.columns]
    assert len(names) == len(set(names))
    assert "athlete" in names
    assert not PERSONAL & set(names)
    for column in dataset.columns:
        # whether an exercise is someone's own (its name then hidden) is not their id
        sql = re.sub(r"e\.user_id IS (NOT )?NULL", "", column.sql)
        assert "user_id" not in sql and "email" not in sql
        assert column.description
    if dataset.time_column is not None:
        assert dataset.time_column in names


@pytest.mark.parametrize("name", list(DATASETS))
def test_titles_and_notes_only_when_allowed(name):
    dataset = DATASETS[name]
    hidden = {c.name for c in dataset.visible(False)}
    assert not {"title", "notes", "custom_exercise"} & hidden
    shown = {c.name for c in dataset.visible(True)}
    assert shown == {c.name for c in dataset.columns}


def test_timestamps_are_utc_microseconds():
    for dataset in DATASETS.values():
        for column in dataset.columns:
            if pa.types.is_timestamp(column.type):
                assert column.type == TS


def test_every_feature_is_documented():
    assert set(FEATURE_DOCS) == set(FEATURES)
    names = [c.name for c in DATASETS["features"].columns]
    assert names[-len(FEATURES) :] == list(FEATURES)
    assert {"split", "label_e1rm_kg", "persistence_kg", "trend_kg"} <= set(names)

"""Nothing of a person leaves through a dataset: every dataset exported in every format
by an analyst, every cell and byte searched for every user's e-mail and id (with and
without dashes) — none found, and notes (where an athlete wrote their e-mail) stay out
unless allowed. CSV cells a spreadsheet would execute get a leading quote; negative
numbers stay numbers. The maintenance sweep gives new users their pseudonym."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from api.datasets.catalogue import DATASETS
from pipelines.tasks.analytics import refresh_user
from tests.support.committed import truncate_committed
from tests.support.datasets_api import (
    BENCH,
    SQUAT,
    Person,
    a_set,
    answered,
    by_hand,
    cardio,
    feature_run,
    fetch,
    live_app,
    person,
    table_of,
    workout,
)

FORMATS = ("parquet", "arrow", "csv")


@pytest.fixture
async def http(settings: Any, sync_engine: Any) -> AsyncIterator[Any]:
    async with live_app(settings) as client:
        yield client
    truncate_committed(sync_engine)


@pytest.fixture
async def http_notes(settings: Any, sync_engine: Any) -> AsyncIterator[Any]:
    """An app whose admin allowed titles and notes in the datasets."""
    async with live_app(settings.model_copy(update={"datasets_allow_notes": True})) as client:
        yield client
    truncate_committed(sync_engine)


async def everything(http: Any, engine: Any) -> list[Person]:
    """Rows in every dataset, for two athletes who wrote their e-mail in their notes and
    in the name of an exercise of their own."""
    athletes = [await person(http, engine, tz=tz) for tz in ("Europe/Oslo", "Asia/Tokyo")]
    for i, who in enumerate(athletes):
        own = await http.post(
            "/v1/exercises",
            json={"name": f"{who.email} press", "kind": "strength"},
            headers=who.headers,
        )
        assert own.status_code == 201, own.text
        await workout(
            http,
            who,
            datetime(2025, 3, 4, 7 + i, tzinfo=UTC),
            [a_set(uuid.UUID(own.json()["id"]), 40.0, 8)],
        )
        for day in (3, 5):
            await workout(
                http,
                who,
                datetime(2025, 3, day, 7 + i, tzinfo=UTC),
                [
                    a_set(BENCH, 80.0 + day, 5, notes=f"mail me: {who.email}"),
                    a_set(SQUAT, 120.0, 5, rpe=8.5),
                ],
                title=who.email,
                notes=f"{who.email} {who.id}",
                session_rpe=6,
            )
        ride = await workout(http, who, datetime(2025, 3, 6, 17, tzinfo=UTC), [], minutes=40)
        cardio(engine, who, ride, sport="ride")
        answered(engine, who)
        refresh_user(who.id)
    feature_run(engine, athletes)
    return athletes


def needles(people: list[Person]) -> list[str]:
    out = []
    for who in people:
        out += [who.email, who.email.split("@")[0], str(who.id), who.id.hex]
    return [n.lower() for n in out]


def cells(table: Any) -> list[str]:
    return [str(v).lower() for column in table.columns for v in column.to_pylist()]


async def test_no_export_holds_an_email_or_a_user_id(http, sync_engine):
    athletes = await everything(http, sync_engine)
    analyst = await person(http, sync_engine, "analyst")
    admin = await person(http, sync_engine, "admin")
    secrets = needles([*athletes, analyst, admin])
    for name in DATASETS:
        for fmt in FORMATS:
            response = await fetch(http, analyst, name, fmt)
            table = table_of(response, fmt)
            assert table.num_rows > 0, (name, fmt)  # something was searched
            values = cells(table) + [c.lower() for c in table.column_names]
            body = response.content.lower()
            for needle in secrets:
                assert not any(needle in v for v in values), (name, fmt, needle)
                assert needle.encode() not in body, (name, fmt, needle)
            assert not {"notes", "title", "custom_exercise"} & set(table.column_names)
    # the athletes' own exercise is there, by id, under the neutral name
    sets = table_of(await fetch(http, analyst, "sets", columns="exercise,weight_kg")).to_pylist()
    assert {r["exercise"] for r in sets if r["weight_kg"] == 40.0} == {"custom"}


async def test_notes_appear_only_when_the_admin_allows_them(http_notes, sync_engine):
    athletes = await everything(http_notes, sync_engine)
    analyst = await person(http_notes, sync_engine, "analyst")
    rows = table_of(await fetch(http_notes, analyst, "sets", columns="athlete,notes")).to_pylist()
    assert {r["notes"] for r in rows if r["notes"]} == {f"mail me: {w.email}" for w in athletes}
    titles = table_of(await fetch(http_notes, analyst, "workouts", columns="title")).to_pylist()
    assert {r["title"] for r in titles if r["title"]} == {w.email for w in athletes}
    named = table_of(
        await fetch(http_notes, analyst, "sets", columns="exercise,custom_exercise")
    ).to_pylist()
    assert {(r["exercise"], r["custom_exercise"]) for r in named} == {
        ("Bench Press (Barbell)", None),
        ("Squat (Barbell)", None),
        *(("custom", f"{w.email} press") for w in athletes),
    }


async def test_csv_neutralises_formulas_and_leaves_negative_numbers(
    http_notes, sync_engine, settings
):
    who = await person(http_notes, sync_engine)
    formula = '=HYPERLINK("http://evil.example","x")'
    created = await http_notes.post(
        "/v1/exercises",
        json={"name": "=cmd|' /C calc'!A0", "kind": "strength"},
        headers=who.headers,
    )
    assert created.status_code == 201, created.text
    custom = uuid.UUID(created.json()["id"])
    await workout(
        http_notes,
        who,
        datetime(2025, 3, 3, 7, tzinfo=UTC),
        [a_set(custom, 50.0, 5, notes=formula), a_set(BENCH, 100.0, 5, notes="-1+1")],
        title="@SUM(A1)",
        notes="+41",
    )
    await workout(
        http_notes, who, datetime(2025, 3, 4, 7, tzinfo=UTC), [a_set(BENCH, 100.0, 5, notes="fine")]
    )
    refresh_user(who.id)
    feature_run(sync_engine, [who])
    analyst = await person(http_notes, sync_engine, "analyst")

    async def csv_rows(name: str, **params: Any) -> list[dict[str, str]]:
        response = await fetch(http_notes, analyst, name, "csv", **params)
        assert response.headers["content-type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(response.content.decode())))

    sets = await csv_rows("sets", columns="exercise,custom_exercise,notes,weight_kg,reps")
    cells = {(r["exercise"], r["custom_exercise"], r["notes"]) for r in sets}
    assert ("custom", "'=cmd|' /C calc'!A0", "'" + formula) in cells
    assert any(n == "'-1+1" for *_, n in cells) and any(n == "fine" for *_, n in cells)
    assert {r["weight_kg"] for r in sets} == {"50", "100"} or {r["weight_kg"] for r in sets} == {
        "50.0",
        "100.0",
    }
    (first, second) = sorted(
        await csv_rows("workouts", columns="day,title,notes"), key=lambda r: r["day"]
    )
    assert (first["title"], first["notes"]) == ("'@SUM(A1)", "'+41")
    assert second["title"] == "" and second["notes"] == ""
    # TSB going into the second day is CTL − ATL of the first: negative, and a number
    load = {r["day"]: r for r in await csv_rows("daily_load", columns="day,tsb,load")}
    tsb = load["2025-03-04"]["tsb"]
    assert tsb.startswith("-") and float(tsb) < 0
    parquet = table_of(
        await fetch(http_notes, analyst, "daily_load", columns="day,tsb")
    ).to_pylist()
    assert {str(r["day"]): r["tsb"] for r in parquet}["2025-03-04"] == pytest.approx(float(tsb))
    features = (await csv_rows("features"))[0]
    assert features["level_kg"] == "-3.5"  # the first feature of feature_run's row
    assert features["athlete"] == by_hand(settings, who.id)[0]


def test_the_sweep_gives_new_users_their_pseudonym(sync_engine, settings):
    from pipelines.tasks.maintenance import sweep

    ids = [uuid.uuid4() for _ in range(3)]
    try:
        with sync_engine.begin() as conn:
            for user_id in ids:
                conn.execute(
                    text("INSERT INTO users (id, email, password_hash) VALUES (:id, :e, 'x')"),
                    {"id": user_id, "e": f"{user_id.hex}@example.com"},
                )
        outcome = sweep()
        assert outcome["pseudonyms_added"] == 3
        assert sweep()["pseudonyms_added"] == 0
        with sync_engine.connect() as conn:
            rows = conn.execute(
                text("SELECT user_id, pseudonym, bucket FROM user_pseudonyms WHERE period = :p"),
                {"p": outcome["key_period"]},
            ).all()
        assert {r.user_id: (r.pseudonym, r.bucket) for r in rows} == {
            u: by_hand(settings, u) for u in ids
        }
    finally:
        truncate_committed(sync_engine)

"""Seeding demo athletes: exact row counts, a working login, analytics owed, ``forma demo``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from pipelines.cli import main
from pipelines.demo.population import Population, generate
from pipelines.demo.seed import ANALYST_PASSWORD, DEMO_PASSWORD, seed

END = date(2025, 6, 30)


def _count(conn, sql: str) -> int:
    return int(conn.execute(text(sql)).scalar_one())


async def test_seed_writes_the_generated_frames_and_the_demo_can_log_in(live_client, sync_engine):
    report = seed(sync_engine, athletes=4, years=1, seed=21, end=END, analytics=False)
    expected = generate(4, 1, 21, END, with_truth=False)
    with sync_engine.connect() as conn:
        for table in Population.TABLES:
            assert _count(conn, f"SELECT count(*) FROM {table}") == len(getattr(expected, table))
            columns = conn.execute(
                text("SELECT column_name FROM information_schema.columns WHERE table_name = :t"),
                {"t": table},
            ).scalars()
            assert set(columns) == set(getattr(expected, table).columns), table
        assert report.rows["workout_sets"] == len(expected.workout_sets)
        # One refresh owed per seeded user with workouts, from their first local workout day.
        owed = dict(
            conn.execute(text("SELECT user_id::text, since_day FROM analytics_dirty")).all()
        )
        first = (
            expected.sessions.assign(
                user_id=expected.sessions["workout_id"].map(
                    expected.workouts.set_index("id")["user_id"]
                )
            )
            .groupby("user_id")["day"]
            .min()
        )
        assert owed == {u: d.date() for u, d in first.items()}
        # Stored units and times are the generated ones, to the microsecond.
        weights = conn.execute(text("SELECT sum(weight_kg) FROM workout_sets")).scalar_one()
        assert abs(weights - expected.workout_sets["weight_kg"].sum()) < 1e-6
        sync_seq = conn.execute(
            text("SELECT sync_seq FROM users WHERE email = 'demo@forma.example'")
        ).scalar_one()
        assert sync_seq == _count(
            conn,
            "SELECT count(*) FROM workouts w JOIN users u ON u.id = w.user_id "
            "WHERE u.email = 'demo@forma.example'",
        )

    token = await live_client.post(
        "/v1/auth/token", data={"username": "demo@forma.example", "password": DEMO_PASSWORD}
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    page = await live_client.get("/v1/workouts", headers=headers)
    assert page.status_code == 200 and page.json()["items"]
    other = await live_client.post(
        "/v1/auth/token",
        data={"username": "athlete-00003@demo.forma.example", "password": DEMO_PASSWORD},
    )
    assert other.status_code == 200


async def test_forma_demo_refuses_existing_demo_users_unless_replace(
    live_client, sync_engine, capsys
):
    assert main(["demo", "--athletes", "2", "--years", "0.5", "--leave-dirty"]) == 0
    out = capsys.readouterr().out
    assert "demo@forma.example / forma-demo-password" in out
    assert "analyst@forma.example / forma-analyst-password" in out
    assert main(["demo", "--athletes", "2", "--years", "0.5"]) == 2
    assert "--replace" in capsys.readouterr().err
    assert main(["demo", "--athletes", "3", "--years", "0.5", "--replace", "--leave-dirty"]) == 0
    with sync_engine.connect() as conn:
        assert _count(conn, "SELECT count(*) FROM users WHERE role = 'athlete'") == 3
        # the analyst is made once, kept by --replace, never a second time
        assert conn.execute(text("SELECT email FROM users WHERE role <> 'athlete'")).all() == [
            ("analyst@forma.example",)
        ]


async def test_forma_demo_creates_the_analyst_who_logs_in_as_an_analyst(live_client, capsys):
    assert main(["demo", "--athletes", "1", "--years", "0.2", "--leave-dirty"]) == 0
    token = await live_client.post(
        "/v1/auth/token",
        data={"username": "analyst@forma.example", "password": ANALYST_PASSWORD},
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    me = await live_client.get("/v1/users/me", headers=headers)
    assert me.json()["role"] == "analyst"
    # analysts read the model registry, which athletes may not
    assert (await live_client.get("/v1/models", headers=headers)).status_code == 200

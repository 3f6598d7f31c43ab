"""Migration 0013 on databases of their own: a reader role per database (a long name
too), downgrade/upgrade cycles, a migrating user without CREATEROLE, and
``forma datasets sql-role --login``."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from api.config import to_sync_url
from api.datasets.sql_role import role_name
from pipelines import cli
from pipelines.migrate import downgrade, upgrade


def _url(database: str, user: str | None = None) -> str:
    url = make_url(os.environ["FORMA_ADMIN_DATABASE_URL"]).set(database=database)
    if user is not None:
        url = url.set(username=user, password=None)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def admin() -> Iterator[tuple[Engine, list[str], list[str]]]:
    """An AUTOCOMMIT engine on the server and the databases and roles to drop afterwards."""
    engine = create_engine(
        to_sync_url(os.environ["FORMA_ADMIN_DATABASE_URL"]), isolation_level="AUTOCOMMIT"
    )
    databases: list[str] = []
    roles: list[str] = []
    yield engine, databases, roles
    with engine.connect() as conn:
        for name in databases:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        for role in [*(role_name(d) for d in databases), *roles]:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
    engine.dispose()


def _roles(engine: Engine, *names: str) -> set[str]:
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:n)"), {"n": list(names)}
        )
        return set(found.scalars())


def _reads_views(database: str, user: str, as_role: str | None = None) -> bool:
    """``user`` (optionally SET ROLE ``as_role``) can read analytics.sets_v1 in ``database``
    and is denied public.users; False when the view is missing or denied."""
    engine = create_engine(to_sync_url(_url(database, user)))
    try:
        with engine.connect() as conn:
            if as_role:
                conn.execute(text(f'SET ROLE "{as_role}"'))
            try:
                with conn.begin_nested():
                    conn.execute(text("SELECT count(*) FROM analytics.sets_v1")).scalar_one()
            except ProgrammingError:
                return False
            with pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text("SELECT 1 FROM public.users"))
            return True
    finally:
        engine.dispose()


def test_roles_per_database_survive_each_others_downgrade_upgrade_cycles(admin):
    engine, databases, _ = admin
    short = f"forma_migration_{uuid.uuid4().hex[:8]}"
    long = f"{short}_{'x' * 38}"  # 63 bytes: past 55, the role name needs a digest
    databases += [short, long]
    with engine.connect() as conn:
        for name in databases:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    short_role, long_role = role_name(short), role_name(long)
    assert short_role == f"{short}_analyst"
    assert len(long_role.encode()) <= 63 and long_role.startswith(long[:46])
    assert long_role != role_name(long[:-1] + "w")  # same prefix, still different roles

    for name in databases:
        upgrade(_url(name))
    # the migration's SQL spelling of the name rule is the Python one
    assert _roles(engine, short_role, long_role) == {short_role, long_role}
    assert _reads_views(short, "postgres", short_role)
    assert _reads_views(long, "postgres", long_role)

    for _cycle in range(2):
        downgrade(_url(short), "0012")
        assert _roles(engine, short_role, long_role) == {long_role}
        assert not _reads_views(short, "postgres")  # the views went too
        assert _reads_views(long, "postgres", long_role)  # the other database is untouched
        upgrade(_url(short))
        assert _roles(engine, short_role) == {short_role}
        assert _reads_views(short, "postgres", short_role)
    # one database's role reads nothing of another database
    assert not _reads_views(long, "postgres", short_role)


def test_a_migrating_user_without_createrole_skips_the_role_and_sql_role_adds_it_later(
    admin, monkeypatch, capsys
):
    engine, databases, roles = admin
    name = f"forma_migration_{uuid.uuid4().hex[:8]}"
    owner, login = f"{name}_owner", f"{name}_alice"
    databases.append(name)
    roles += [login, owner]
    with engine.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{owner}" LOGIN NOCREATEROLE'))
        conn.execute(text(f'CREATE DATABASE "{name}" OWNER "{owner}"'))

    upgrade(_url(name, owner))  # a NOTICE, no error
    assert _roles(engine, role_name(name)) == set()
    downgrade(_url(name, owner), "0012")
    upgrade(_url(name, owner))

    # as an operator who may create roles: the reader role and a LOGIN member of it
    monkeypatch.setenv("FORMA_DATABASE_URL", _url(name))
    argv = ["datasets", "sql-role", "--login", login, "--password", "pw'%x"]
    assert asyncio.run(asyncio.to_thread(cli.main, argv)) == 0
    out = capsys.readouterr().out
    assert role_name(name) in out and f"login {login} created" in out
    # the address printed is the server's own, with the login and no password
    server = make_url(_url(name))
    printed = f"postgresql://{login}@{server.host}:{server.port}/{name}"
    assert f"login {login} created: {printed}\n" in out
    assert _reads_views(name, login)  # through its membership, no SET ROLE needed
    assert asyncio.run(asyncio.to_thread(cli.main, argv)) == 0  # again: updated, no error
    assert f"login {login} updated" in capsys.readouterr().out

    # the owner cannot drop a role it did not make; downgrading still succeeds
    downgrade(_url(name, owner), "0012")
    assert not _reads_views(name, login)
    upgrade(_url(name, owner))  # the kept role gets its grants back
    assert _reads_views(name, login)

    # without CREATEROLE the command explains and exits 2
    scratch = create_engine(to_sync_url(_url(name)), isolation_level="AUTOCOMMIT")
    with scratch.connect() as conn:  # DROP OWNED acts in the connected database only
        conn.execute(text(f'DROP ROLE "{login}"'))
        conn.execute(text(f'DROP OWNED BY "{role_name(name)}"'))
        conn.execute(text(f'DROP ROLE "{role_name(name)}"'))
    scratch.dispose()
    monkeypatch.setenv("FORMA_DATABASE_URL", _url(name, owner))
    assert cli.main(["datasets", "sql-role"]) == 2
    assert "CREATEROLE" in capsys.readouterr().err


def test_sql_role_on_a_database_not_migrated_says_so(admin, monkeypatch, capsys) -> None:
    engine, databases, _ = admin
    name = f"forma_migration_{uuid.uuid4().hex[:8]}"
    databases.append(name)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    monkeypatch.setenv("FORMA_DATABASE_URL", _url(name))
    argv = ["datasets", "sql-role"]
    assert asyncio.run(asyncio.to_thread(cli.main, argv)) == 2
    err = capsys.readouterr().err
    assert f"database {name} has no analytics views yet" in err and "forma migrate" in err
    assert _roles(engine, role_name(name)) == set()  # nothing made half-way


def test_sql_role_never_takes_over_a_role_it_did_not_make(admin, monkeypatch, capsys) -> None:
    engine, databases, roles = admin
    name = f"forma_migration_{uuid.uuid4().hex[:8]}"
    other = f"{name}_app"
    databases.append(name)
    roles.append(other)
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        conn.execute(text(f"CREATE ROLE \"{other}\" LOGIN CREATEDB PASSWORD 'app'"))
    upgrade(_url(name))
    monkeypatch.setenv("FORMA_DATABASE_URL", _url(name))
    reader = role_name(name)
    server_user = make_url(_url(name)).username
    refused = {
        server_user: "already exists and is not a reader login",  # the connected superuser
        other: "already exists and is not a reader login",  # a role with rights of its own
        "pg_monitor": "reserved by PostgreSQL",
        reader: "the reader role itself",
        "": "a login needs a name",
    }
    for login, why in refused.items():
        argv = ["datasets", "sql-role", "--login", login, "--password", "pw"]
        assert asyncio.run(asyncio.to_thread(cli.main, argv)) == 2, login
        assert why in capsys.readouterr().err, login
    # nothing changed: the other role has its rights, no membership of the reader role
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT rolcreatedb, pg_has_role(rolname, :r, 'MEMBER') FROM pg_roles "
                 "WHERE rolname = :o"),
            {"r": reader, "o": other},
        ).one()  # fmt: skip
    assert tuple(row) == (True, False)

"""``forma datasets sql-role``: its place in the ``datasets`` group, and the role-name rule."""

from __future__ import annotations

import argparse
import hashlib

from api.datasets.sql_role import role_name
from pipelines import sql_role_command


def test_sql_role_joins_an_existing_datasets_group_or_makes_one():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    datasets = sub.add_parser("datasets")
    group = datasets.add_subparsers(dest="datasets_command", required=True)
    group.add_parser("list").set_defaults(func="list")
    sql_role_command.add_parser(sub)
    args = parser.parse_args(["datasets", "sql-role", "--login", "alice", "--password", "pw"])
    assert (args.func, args.login, args.password) == (sql_role_command.cmd_sql_role, "alice", "pw")
    assert parser.parse_args(["datasets", "list"]).func == "list"

    alone = argparse.ArgumentParser()
    sql_role_command.add_parser(alone.add_subparsers(dest="command"))
    args = alone.parse_args(["datasets", "sql-role"])
    assert (args.login, args.password) == (None, None)


def test_role_names_fit_postgres_and_never_collide():
    assert role_name("forma") == "forma_analyst"
    exact = "d" * 55  # 55 + len("_analyst") = 63 bytes: still the plain name
    assert role_name(exact) == exact + "_analyst"
    long = "d" * 56
    digest = hashlib.md5(long.encode()).hexdigest()[:8]
    assert role_name(long) == "d" * 46 + "_" + digest + "_analyst"
    assert len(role_name(long)) == 63
    assert role_name(long) != role_name("d" * 57)
    # multi-byte names are cut on characters, within 63 bytes
    name = "ø" * 40
    assert len(role_name(name).encode()) <= 63
    assert role_name(name).startswith("ø" * 23 + "_")

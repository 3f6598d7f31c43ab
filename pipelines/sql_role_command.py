"""``forma datasets sql-role [--login NAME [--password PW]]``: the read-only SQL role.

(Re)creates the database's NOLOGIN reader role ``<database>_analyst`` with its grants on
the ``analytics`` views (as migration 0013 does when it may), and with ``--login`` a LOGIN
role that is a member of it, for ``pandas.read_sql`` or a BI tool. Without
``--password`` the password is asked for on the terminal.

Exit codes: 0 done; 2 the database user may not create roles, or no password given.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from pipelines.embedded import ensure_servers, stop_servers


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sql-role`` to the ``datasets`` command group, creating the group if needed."""
    datasets = subparsers.choices.get("datasets") or subparsers.add_parser(
        "datasets", help="data scientists' datasets: exports and read-only SQL"
    )
    groups = [a for a in datasets._actions if isinstance(a, argparse._SubParsersAction)]
    group = groups[0] if groups else datasets.add_subparsers(dest="datasets_command", required=True)
    role = group.add_parser(
        "sql-role", help="(re)create the read-only SQL role of the analytics views"
    )
    role.add_argument("--login", help="also create (or update) this LOGIN role as a member")
    role.add_argument("--password", help="the LOGIN role's password (asked for if omitted)")
    role.set_defaults(func=cmd_sql_role)


def cmd_sql_role(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from api.datasets.sql_role import RoleError, ensure_login, ensure_role
    from pipelines.demo.seed import engine_for

    password = args.password
    if args.login is not None and password is None:
        try:
            password = getpass.getpass(f"password for {args.login}: ")
        except EOFError:  # no terminal to type it on
            password = None
    if args.login is not None and not password:
        print(
            "forma: a LOGIN role needs a password (--password, or a terminal to type it)",
            file=sys.stderr,
        )
        return 2
    env = dict(os.environ)
    servers = ensure_servers(Path(args.data_dir or ".forma"), env, need_redis=False)
    engine = engine_for(env["FORMA_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            role = ensure_role(conn)
            created = None
            if args.login is not None:
                created = ensure_login(conn, role=role, login=args.login, password=password)
    except RoleError as exc:
        print(f"forma: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
        stop_servers(servers.handles)
    print(f"forma: role {role} reads the analytics.*_v1 views (nothing else)")
    if args.login is not None:
        # the server's own address: for the embedded one a unix socket (`?host=DIR`),
        # reachable while `forma up` runs
        url = make_url(env["FORMA_DATABASE_URL"]).set(
            drivername="postgresql", username=args.login, password=None
        )
        verb = "created" if created else "updated"
        print(f"forma: login {args.login} {verb}: {url.render_as_string(hide_password=True)}")
        if servers.handles:
            print("forma: (the embedded server: reachable while `forma up` runs)")
    return 0

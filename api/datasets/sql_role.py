"""The read-only SQL role: its name per database, and (re)creating it with its grants.

Analysts who prefer ``pandas.read_sql`` or a BI tool read the views of schema
``analytics`` (migration 0013) as ``<database>_analyst``, a NOLOGIN role with USAGE on
that schema and SELECT on its views, nothing on ``public``; they log in as a LOGIN role
that is a member of it. Roles are cluster-wide, so the name carries the database's:
two databases on one server (tests, a downgrade/upgrade cycle) never share a role.
"""

from __future__ import annotations

import hashlib

from psycopg import sql
from sqlalchemy import Connection, text

SUFFIX = "_analyst"
#: PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes
MAX_NAME_BYTES = 63
_PREFIX_BYTES = MAX_NAME_BYTES - len(SUFFIX) - 9  # room for "_" + 8 hex digits


class RoleError(Exception):
    """The role cannot be made: no CREATEROLE, or no ``analytics`` schema to read."""


def role_name(database: str) -> str:
    """``<database>_analyst``; past 63 bytes, 46 bytes of the name, ``_``, 8 hex digits of
    its md5 and ``_analyst`` (so two long names that share a prefix still differ).

    The same rule is written in SQL in migration 0013.
    """
    name = database + SUFFIX
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    prefix = database
    while len(prefix.encode()) > _PREFIX_BYTES:
        prefix = prefix[:-1]
    digest = hashlib.md5(database.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{prefix}_{digest}{SUFFIX}"


def _execute(conn: Connection, statement: sql.Composable) -> None:
    # Role statements take no bind parameters: compose them with psycopg's quoting and
    # run them on the driver connection, inside the caller's transaction.
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(statement)


def _exists(conn: Connection, role: str) -> bool:
    found = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
    return found.first() is not None


def ensure_role(conn: Connection) -> str:
    """Create the current database's reader role if missing and (re)grant CONNECT, USAGE
    on ``analytics`` and SELECT on its views; returns the role's name.

    Raises
    ------
    RoleError
        When the role is missing and the connected user may not create roles, or the
        database has no ``analytics`` views yet (not migrated to 0013).
    """
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    if conn.execute(text("SELECT to_regnamespace('analytics')")).scalar() is None:
        raise RoleError(
            f"database {database} has no analytics views yet: migrate it first "
            "(`forma migrate`, or `forma up`, which migrates)"
        )
    role = role_name(database)
    name = sql.Identifier(role)
    if not _exists(conn, role):
        if not _can_create_roles(conn):
            raise RoleError(f"cannot create role {role}: the database user lacks CREATEROLE")
        _execute(conn, sql.SQL("CREATE ROLE {} NOLOGIN").format(name))
    for grant in (
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), name),
        sql.SQL("GRANT USAGE ON SCHEMA analytics TO {}").format(name),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO {}").format(name),
    ):
        _execute(conn, grant)
    return role


def ensure_login(conn: Connection, *, role: str, login: str, password: str) -> bool:
    """Create LOGIN role ``login`` with ``password`` as a member of ``role``, or set the
    password and membership of an existing one; True when it was created.

    Only a role this made is ever changed: an existing role that is not already a plain
    member of ``role`` (a superuser, the application's own user, any role with other
    rights) is refused, so a typo cannot hand an analyst's password to ``postgres``.

    Raises
    ------
    RoleError
        When the connected user may not create or alter roles, or ``login`` is empty,
        reserved (``pg_…``), the reader role itself, or an existing role of another kind.
    """
    if not login.strip():
        raise RoleError("a login needs a name")
    if login.startswith("pg_"):
        raise RoleError(f"{login}: names starting with pg_ are reserved by PostgreSQL")
    if login == role:
        raise RoleError(f"{login} is the reader role itself: pick another name for the login")
    if not _can_create_roles(conn):
        raise RoleError(f"cannot create or alter role {login}: the database user lacks CREATEROLE")
    name, secret = sql.Identifier(login), sql.Literal(password)
    created = not _exists(conn, login)
    if not created and not _is_reader_login(conn, login, role):
        raise RoleError(
            f"role {login} already exists and is not a reader login made by this command: "
            "pick another name"
        )
    if created:
        _execute(conn, sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(name, secret))
    else:
        _execute(conn, sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(name, secret))
    _execute(conn, sql.SQL("GRANT {} TO {}").format(sql.Identifier(role), name))
    return created


def _is_reader_login(conn: Connection, login: str, role: str) -> bool:
    """True when ``login`` is a member of ``role`` with no right of its own beyond LOGIN
    and is not the connected user."""
    query = text("""
        SELECT NOT (rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls)
               AND rolname <> current_user
               AND pg_has_role(rolname, :role, 'MEMBER')
        FROM pg_roles WHERE rolname = :login
    """)
    return bool(conn.execute(query, {"login": login, "role": role}).scalar())


def _can_create_roles(conn: Connection) -> bool:
    query = text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    return bool(conn.execute(query).scalar_one())

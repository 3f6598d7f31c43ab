"""Athletes' pseudonyms: a keyed hash of the user id, stable within one key period.

The key comes from the settings (``FORMA_PSEUDONYM_KEY``, else derived from the secret
key) and never reaches the database or an analyst. The API and the workers compute each
athlete's pseudonym here and store it in ``user_pseudonyms`` for the current key period,
so the datasets and the read-only SQL views join a table instead of holding the key.

* pseudonym = ``"a"`` + the first 24 hex digits of ``HMAC-SHA256(key, user_id.bytes)``
  (96 bits: collisions are out of reach for any number of athletes Forma will have);
* sample bucket = the first 13 hex digits of the same HMAC ÷ 16¹³, a float in [0, 1):
  athletes whose bucket is below *f* are a sample of fraction *f*, the same athletes
  every time within the period, and a smaller fraction picks a subset of a larger one;
* key period = a row of ``pseudonym_periods`` named by the key's fingerprint
  (``HMAC-SHA256(key, "forma key period")``, 16 hex digits); configuring a new key
  starts a new period, configuring an earlier key again reactivates its period.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.config import Settings

PREFIX = "a"
#: hex digits of the HMAC in a pseudonym (96 bits) and in the sample bucket (52 bits:
#: exact in a float64)
PSEUDONYM_HEX = 24
BUCKET_HEX = 13
#: athletes given pseudonyms per INSERT (bounds the statement's parameters)
BATCH = 10_000
#: after adding this many pseudonyms at once, the table's statistics are refreshed: the
#: first export of a new key period would otherwise be planned for an empty table
ANALYZE_AFTER = 1_000

_DERIVE = b"forma pseudonym key"
_PERIOD = b"forma key period"


def key_bytes(settings: Settings) -> bytes:
    """The pseudonymisation key: ``FORMA_PSEUDONYM_KEY`` as UTF-8 bytes, or when unset
    ``HMAC-SHA256(secret_key, "forma pseudonym key")`` (32 bytes)."""
    if settings.pseudonym_key is not None and settings.pseudonym_key.get_secret_value():
        return settings.pseudonym_key.get_secret_value().encode()
    return hmac.new(settings.secret_key.encode(), _DERIVE, hashlib.sha256).digest()


def pseudonym(key: bytes, user_id: uuid.UUID) -> tuple[str, float]:
    """``(pseudonym, bucket)`` of one user: ``"a"`` + 24 hex digits, and a float in [0, 1)."""
    digest = hmac.new(key, user_id.bytes, hashlib.sha256).hexdigest()
    return PREFIX + digest[:PSEUDONYM_HEX], int(digest[:BUCKET_HEX], 16) / 16**BUCKET_HEX


def fingerprint(key: bytes) -> str:
    """The key period's name: 16 hex digits of ``HMAC-SHA256(key, "forma key period")``."""
    return hmac.new(key, _PERIOD, hashlib.sha256).hexdigest()[:16]


# --- SQL (``:name`` parameters; rewritten to ``%(name)s`` for a bare psycopg connection) ---

_CURRENT = (
    "SELECT id, fingerprint FROM pseudonym_periods ORDER BY activated_at DESC, id DESC LIMIT 1"
)
# clock_timestamp(), not now(): a reactivation inside a long transaction still sorts last
_ACTIVATE = (
    "INSERT INTO pseudonym_periods (fingerprint, started_at, activated_at) "
    "VALUES (:fingerprint, clock_timestamp(), clock_timestamp()) "
    "ON CONFLICT (fingerprint) DO UPDATE SET activated_at = clock_timestamp() RETURNING id"
)
_MISSING = (
    "SELECT u.id FROM users u WHERE NOT EXISTS "
    "(SELECT 1 FROM user_pseudonyms p WHERE p.period = :period AND p.user_id = u.id)"
)
# Two exports starting together compute the same rows: the second insert adds nothing.
_INSERT = (
    "INSERT INTO user_pseudonyms (period, user_id, pseudonym, bucket) "
    "SELECT :period, t.u, t.p, t.b FROM unnest("
    "CAST(:ids AS uuid[]), CAST(:pseudonyms AS text[]), CAST(:buckets AS float8[])"
    ") AS t(u, p, b) ON CONFLICT DO NOTHING"
)
# not the table's owner: PostgreSQL skips it with a warning, never an error
_ANALYZE = "ANALYZE user_pseudonyms"
_CURRENT_ID = "SELECT id FROM pseudonym_periods WHERE fingerprint = :fingerprint"


def _rows(key: bytes, period: int, ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    out = []
    for start in range(0, len(ids), BATCH):
        chunk = list(ids[start : start + BATCH])
        pairs = [pseudonym(key, user_id) for user_id in chunk]
        out.append(
            {
                "period": period,
                "ids": chunk,
                "pseudonyms": [p for p, _ in pairs],
                "buckets": [b for _, b in pairs],
            }
        )
    return out


def _pyformat(sql: str) -> str:
    return re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql)


class _Runner:
    """One interface over a SQLAlchemy connection and a bare psycopg 3 connection."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.bare = not isinstance(conn, Connection)

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        if self.bare:
            with self.conn.cursor() as cur:
                cur.execute(_pyformat(sql), params or {})
                return list(cur.fetchall()) if cur.description else []
        result = self.conn.execute(text(sql), params or {})
        return [tuple(row) for row in result] if result.returns_rows else []


def ensure_period(conn: Any, settings: Settings) -> int:
    """The id of the current key period, created or reactivated for the configured key.

    ``conn`` is a SQLAlchemy ``Connection`` or a psycopg 3 connection; the caller commits.
    """
    runner = _Runner(conn)
    wanted = fingerprint(key_bytes(settings))
    current = runner.rows(_CURRENT)
    if current and current[0][1] == wanted:
        return int(current[0][0])
    return int(runner.rows(_ACTIVATE, {"fingerprint": wanted})[0][0])


def ensure_pseudonyms(conn: Any, settings: Settings) -> int:
    """Give every user lacking one a pseudonym in the current key period; the period's id.

    One anti-join finds the users without a pseudonym (cheap when none is missing); their
    pseudonyms are computed here and inserted in batches. ``conn`` is a SQLAlchemy
    ``Connection`` or a psycopg 3 connection; the caller commits.
    """
    return add_missing(conn, settings)[0]


def add_missing(conn: Any, settings: Settings) -> tuple[int, int]:
    """:func:`ensure_pseudonyms`, also saying how many users it found without one:
    ``(period id, users given a pseudonym)``."""
    runner = _Runner(conn)
    period = ensure_period(conn, settings)
    missing = [row[0] for row in runner.rows(_MISSING, {"period": period})]
    key = key_bytes(settings)
    for params in _rows(key, period, [uuid.UUID(str(m)) for m in missing]):
        runner.rows(_INSERT, params)
    if len(missing) >= ANALYZE_AFTER:
        runner.rows(_ANALYZE)
    return period, len(missing)


async def ensure_pseudonyms_async(db: AsyncSession | AsyncConnection, settings: Settings) -> int:
    """:func:`ensure_pseudonyms` for the API's async session or connection."""
    wanted = fingerprint(key_bytes(settings))
    current = (await db.execute(text(_CURRENT))).first()
    if current is not None and current[1] == wanted:
        period = int(current[0])
    else:
        period = int((await db.execute(text(_ACTIVATE), {"fingerprint": wanted})).scalar_one())
    missing = (await db.execute(text(_MISSING), {"period": period})).scalars().all()
    key = key_bytes(settings)
    for params in _rows(key, period, list(missing)):
        await db.execute(text(_INSERT), params)
    if len(missing) >= ANALYZE_AFTER:
        await db.execute(text(_ANALYZE))
    return period


async def current_period_async(
    db: AsyncSession | AsyncConnection, settings: Settings
) -> int | None:
    """The id of the configured key's period, or None when it was never activated."""
    wanted = fingerprint(key_bytes(settings))
    return (await db.execute(text(_CURRENT_ID), {"fingerprint": wanted})).scalar_one_or_none()

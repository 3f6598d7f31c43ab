"""The athletes a load writes as: who they are, and their tokens, issued before the timing.

Demo athletes (``forma demo``'s seeding, :meth:`Stack.prepare`) or freshly registered
ones (the smoke tests); either way each logs in through ``POST /v1/auth/token`` once,
before any timed window (the stack runs with generous login limits).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
import asyncpg

from pipelines.demo.seed import DEMO_PASSWORD


@dataclass(frozen=True)
class Athlete:
    email: str
    user_id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def demo_emails(database_url: str, limit: int) -> list[str]:
    """The seeded demo athletes' e-mails (the first ``limit`` by e-mail)."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT email FROM users WHERE email LIKE '%forma.example' AND role = 'athlete' "
            "ORDER BY email LIMIT $1",
            limit,
        )
    finally:
        await conn.close()
    return [r["email"] for r in rows]


async def register(base_url: str, emails: list[str], password: str) -> None:
    """Register these accounts through the API (the smoke tests' athletes)."""
    async with aiohttp.ClientSession(base_url) as http:
        for email in emails:
            async with http.post(
                "/v1/auth/register", json={"email": email, "password": password}
            ) as response:
                if response.status != 201:
                    raise RuntimeError(
                        f"register {email}: {response.status} {await response.text()}"
                    )


async def log_in(
    base_url: str,
    database_url: str,
    emails: list[str],
    password: str = DEMO_PASSWORD,
    *,
    parallel: int = 8,
) -> list[Athlete]:
    """A token for each e-mail (argon2 on the server: a few in flight, 503/429 retried)."""
    tokens: dict[str, str] = {}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for email in emails:
        queue.put_nowait(email)

    async def one(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            email = queue.get_nowait()
            for _attempt in range(20):
                async with http.post(
                    "/v1/auth/token", data={"username": email, "password": password}
                ) as response:
                    if response.status == 200:
                        tokens[email] = (await response.json())["access_token"]
                        break
                    if response.status not in (429, 503):
                        raise RuntimeError(
                            f"login {email}: {response.status} {await response.text()}"
                        )
                await asyncio.sleep(1.0)
            else:
                raise RuntimeError(f"login {email}: still refused after 20 tries")

    async with aiohttp.ClientSession(base_url, timeout=aiohttp.ClientTimeout(total=120)) as http:
        await asyncio.gather(*(one(http) for _ in range(parallel)))
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT email, id FROM users WHERE email = ANY($1)", emails)
    finally:
        await conn.close()
    ids = {r["email"]: str(r["id"]) for r in rows}
    return [Athlete(email, ids[email], tokens[email]) for email in emails]

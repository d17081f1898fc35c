"""PostgreSQL server processes seen from outside the code under test: killing one (a restart, an idle
timeout) and checking whether one is still there."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.conftest import PG_URL


async def _admin() -> asyncpg.Connection:
    assert PG_URL is not None
    return await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))


async def kill(pid: int) -> None:
    conn = await _admin()
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def alive(pid: int) -> bool:
    conn = await _admin()
    try:
        for _ in range(50):  # a closed backend leaves pg_stat_activity a moment after its socket closes
            if not await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
                return False
            await asyncio.sleep(0.05)
        return True
    finally:
        await conn.close()

"""PostgreSQL lock waits seen from outside, for tests that hold a row and check another transaction
queues behind it."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from sigmatrade.db.session import Database


async def someone_waits_on_a_lock(db: Database, timeout: float = 10) -> bool:
    """True as soon as a session of this database waits on a lock (polled every 50 ms, up to ``timeout``)."""
    for _ in range(int(timeout / 0.05)):
        async with db.session() as session:
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            )
            await session.commit()
        if waiting:
            return True
        await asyncio.sleep(0.05)
    return False

"""The pinned connection of hot reads on PostgreSQL (db/hot.py): the per-update read skips the pool's
check-out and check-in, and a lost, cancelled, busy or idle connection never costs an update its read."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from sigmatrade.db import hot
from sigmatrade.db import session as db_session
from sigmatrade.db.hot import HotSelect
from sigmatrade.db.session import Database
from tests.conftest import PG_URL
from tests.pg_backends import alive, kill

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (SQLite reads go through the pool)")

PID = HotSelect(select(func.pg_backend_pid()))
SLOW_PID = HotSelect(select(func.pg_backend_pid(), func.pg_sleep(0.2)))


async def _pid(db: Database) -> int:
    row = await PID.first(db.engine, {})
    assert row is not None
    return int(row[0])


@pytest.fixture
async def small(db_url: str) -> Any:
    db = Database(db_url, pool_size=2, max_overflow=0)
    checkouts: list[int] = []
    event.listen(db.engine.sync_engine, "checkout", lambda *_: checkouts.append(1))
    yield db, checkouts
    await db.dispose()


async def test_hot_reads_use_one_connection_outside_the_pool(small: Any) -> None:
    db, checkouts = small
    first = await _pid(db)
    assert len(checkouts) == 1  # taken from the pool once (set up by its connect events), then detached
    for _ in range(5):
        assert await _pid(db) == first
    assert len(checkouts) == 1
    pool = db.engine.sync_engine.pool
    assert pool.checkedout() == 0  # the pool's slot was given back: its size still serves the others
    async with db.engine.connect() as conn:
        other = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    assert other != first


async def test_a_read_that_finds_it_busy_goes_through_the_pool(small: Any) -> None:
    db, _ = small
    pinned = await _pid(db)
    rows = await asyncio.gather(SLOW_PID.first(db.engine, {}), PID.first(db.engine, {}))
    assert rows[0] is not None and rows[1] is not None
    assert rows[0][0] == pinned and rows[1][0] != pinned
    assert await _pid(db) == pinned  # still pinned afterwards
    assert db.engine.sync_engine.pool.checkedout() == 0


async def test_a_connection_the_server_closed_costs_no_read(small: Any) -> None:
    """A server restart or an idle timeout closes the pinned connection: the read that meets it is
    served by the pool (which checks its own), and the next one pins a new connection."""
    db, _ = small
    old = await _pid(db)
    await kill(old)
    await asyncio.sleep(0.1)
    served = await _pid(db)  # no error
    assert served != old
    again = await _pid(db)
    assert again != old and await _pid(db) == again


async def test_a_cancelled_read_cuts_the_connection_off(small: Any) -> None:
    """A read cancelled mid-statement leaves the connection's state unknown: it is never used again."""
    db, _ = small
    old = await _pid(db)
    task = asyncio.ensure_future(SLOW_PID.first(db.engine, {}))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not await alive(old)
    assert await _pid(db) != old


async def test_a_failed_statement_cuts_the_connection_off(small: Any) -> None:
    db, _ = small
    old = await _pid(db)
    broken = HotSelect(select(func.pg_backend_pid() / 0))
    with pytest.raises(Exception, match="division by zero"):
        await broken.first(db.engine, {})
    assert not await alive(old)
    assert await _pid(db) != old


async def test_a_quiet_bot_keeps_its_connection(small: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """However long between two updates, the pinned connection is reused (a read needs no ping: a
    closed one sends its read through the pool); no new server connection per quiet update."""
    db, checkouts = small
    old = await _pid(db)
    monkeypatch.setitem(db_session.IDLE_PING_SECONDS, "value", 0.0)  # every pooled connection is "idle"
    for _ in range(3):
        assert await _pid(db) == old
    assert len(checkouts) == 1


async def test_a_server_restart_costs_no_read(small: Any) -> None:
    """Every connection of the process killed at once (a restart): the read that meets the pinned one
    goes through the pool, invalidated first, so it gets a fresh connection instead of a dead one."""
    db, _ = small
    old = await _pid(db)
    async with db.engine.connect() as conn:  # a pooled connection, used a moment ago (not pinged)
        pooled = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    await kill(old)
    await kill(pooled)
    await asyncio.sleep(0.1)
    served = await _pid(db)  # no error
    assert served not in (old, pooled)


async def test_a_statement_error_is_raised_not_retried(small: Any) -> None:
    """A statement the server or the driver refuses (here a bind value out of range) is not a lost
    connection: raised from the pinned connection, never sent again through the pool."""
    from sqlalchemy import BigInteger, bindparam, literal_column

    db, checkouts = small
    await _pid(db)
    typed = HotSelect(select(literal_column("1")).where(bindparam("n", type_=BigInteger) > 0))
    with pytest.raises(Exception, match="int64 range"):
        await typed.first(db.engine, {"n": 2**70})
    assert len(checkouts) == 1  # no second attempt through the pool
    assert (await typed.first(db.engine, {"n": 1})) == (1,)


async def test_disposing_of_the_engine_closes_it(db_url: str) -> None:
    db = Database(db_url, pool_size=1, max_overflow=0)
    pid = await _pid(db)
    await db.dispose()
    assert not await alive(pid)
    assert getattr(db.engine.sync_engine, hot._ATTR, None) is None

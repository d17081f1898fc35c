"""SQLite statements cost one trip to aiosqlite's thread (db/sqlite_driver.py), with the same results
and errors as the stock adapter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc, text

from sigmatrade.db.session import Database


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    count = {"n": 0}
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        count["n"] += 1
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return count


async def test_one_trip_per_statement_with_the_same_results(tmp_path: Path, trips: dict[str, int]) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
            trips["n"] = 0
            assert (await conn.execute(text("SELECT 1, 'a' UNION ALL SELECT 2, 'b'"))).all() == [
                (1, "a"),
                (2, "b"),
            ]
            assert trips["n"] == 1  # the stock adapter: cursor, execute, fetch, close = 4
            inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('x')"))
            assert (inserted.rowcount, inserted.lastrowid) == (1, 1)
            many = await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "y"}, {"v": "z"}])
            assert many.rowcount == 2
            assert (await conn.execute(text("UPDATE t SET v = 'w' WHERE id > 1"))).rowcount == 2
            assert (await conn.execute(text("SELECT v FROM t WHERE id = 99"))).first() is None
            with pytest.raises(exc.IntegrityError):
                await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'dup')"))
    finally:
        await db.dispose()


async def test_reads_send_no_begin_and_refuse_writes(tmp_path: Path, trips: dict[str, int]) -> None:
    """``begin_read`` on SQLite: no BEGIN/COMMIT trips, no write lock, and a write is refused."""
    from sigmatrade.db.session import begin_read

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'reads.db'}")
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
            await conn.execute(text("INSERT INTO t (v) VALUES ('x')"))
        async with db.session() as session:
            await begin_read(session)
            trips["n"] = 0
            assert (await session.execute(text("SELECT v FROM t"))).scalar_one() == "x"
            await session.commit()
            assert trips["n"] == 1  # the SELECT alone (was BEGIN, SELECT, COMMIT)
            await begin_read(session)
            with pytest.raises(exc.OperationalError, match="read-only"):
                await session.execute(text("UPDATE t SET v = 'y'"))
            await session.rollback()
            async with session.begin():  # a write transaction afterwards works as before
                await session.execute(text("UPDATE t SET v = 'y'"))
            assert (await session.execute(text("SELECT v FROM t"))).scalar_one() == "y"
    finally:
        await db.dispose()

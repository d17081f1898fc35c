"""Shared fixtures: one database per test (SQLite file copy or truncated PostgreSQL), the Bot API
emulator and the running bot (harness), time travel reset.

Backends come from the environment:
* ``TEST_DATABASE_URL`` — PostgreSQL URL (``postgresql+asyncpg://…``); unset: SQLite files.
* ``TEST_REDIS_URL`` — Redis URL; set: FSM storage and throttling counters use Redis.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from sigmatrade import clock
from sigmatrade.app import prepare_database
from sigmatrade.db import schema
from sigmatrade.db import session as db_session
from sigmatrade.db.base import Base
from sigmatrade.db.session import Database
from sigmatrade.sandbox.harness import Harness

PG_URL = os.environ.get("TEST_DATABASE_URL") or None
# A second connection opened inside a write transaction fails the test (it self-deadlocks on SQLite).
db_session.STRICT["on"] = True
os.environ["SIGMATRADE_STRICT_UNITS"] = "1"  # subprocesses too
REDIS_URL = os.environ.get("TEST_REDIS_URL") or None


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"sigmatrade backends: database={'postgresql' if PG_URL else 'sqlite'} redis={'yes' if REDIS_URL else 'no'}"
    ]


@pytest.fixture(scope="session")
async def db_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An upgraded, empty schema: a template file for SQLite, the schema itself for PostgreSQL."""
    if PG_URL:
        db = Database(PG_URL)
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await schema.upgrade(db.engine)
        await db.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await schema.upgrade(db.engine)
    await db.dispose()
    return str(path)


async def _truncate_pg(url: str) -> None:
    db = Database(url)
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await db.dispose()


async def _flush_redis() -> None:
    if REDIS_URL:
        from redis.asyncio import Redis

        client = Redis.from_url(REDIS_URL)
        await client.flushdb()
        await client.aclose()


@pytest.fixture
async def db_url(db_template: str, tmp_path: Path) -> str:
    """A fresh, empty (but upgraded) database for one test."""
    await _flush_redis()
    if PG_URL:
        await _truncate_pg(PG_URL)
        return PG_URL
    target = tmp_path / "test.db"
    shutil.copyfile(db_template, target)
    return f"sqlite+aiosqlite:///{target}"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A seeded database (settings, system accounts) as the application prepares it."""
    from sigmatrade.config import load_config

    database = Database(db_url)
    await prepare_database(database, load_config(_env_file=None, database_url=db_url, environment="test"))
    yield database
    await database.dispose()


@pytest.fixture
async def harness(db_url: str) -> AsyncIterator[Harness]:
    """The real bot polling the emulator over HTTP. Fails the test on any request Telegram would reject."""
    h = Harness(db_url, redis_url=REDIS_URL)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
    rejected = h.emulator.rejected()
    assert not rejected, f"the emulator refused requests: {[(r.method, r.response) for r in rejected]}"


@pytest.fixture(autouse=True)
def _reset_clock() -> None:
    clock.reset()
    yield
    clock.reset()

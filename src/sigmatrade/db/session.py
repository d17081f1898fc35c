"""Engine and sessions for PostgreSQL (asyncpg) and SQLite (aiosqlite).

SQLite: WAL, foreign keys on, busy timeout, and every transaction starts with
``BEGIN IMMEDIATE`` so read-check-write sequences (balances, conditional transitions) are
serialised exactly as row locks serialise them on PostgreSQL. A transaction that only reads
(``begin_read``) sends no BEGIN at all: each statement reads in its own implicit transaction (no write
lock, no round trips to open and close it), exactly like the autocommit reads on PostgreSQL, and
the driver refuses a write in it (``db/sqlite_driver.py``).

One flow holds at most one connection while it holds a write transaction (a ``unit`` or
``Database.transaction``): on SQLite a second connection that begins a transaction waits for the
write lock the same coroutine holds, until the busy timeout (a self-deadlock). The open unit is
recorded in a context variable (``held_session``) so cached reads (settings) go through it, and a
pool check-out of a second connection inside it is refused in strict mode (the test suite) and
logged otherwise.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_only

from sigmatrade.logging import current_stack


def _prepare_sqlite_path(url: str) -> None:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def build_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10, echo: bool = False) -> AsyncEngine:
    """The engine. A failed statement's error never carries its parameters (``hide_parameters``): it is
    logged with its traceback, and the values may be a finpass hash, an encrypted key or what a user
    typed (a support message)."""
    if url.startswith("sqlite"):
        _prepare_sqlite_path(url)
        from sigmatrade.db.sqlite_driver import DBAPI

        engine = create_async_engine(
            url, echo=echo, hide_parameters=True, connect_args={"timeout": 30}, module=DBAPI
        )
        _configure_sqlite(engine)
    else:
        engine = create_async_engine(
            url, echo=echo, hide_parameters=True, pool_size=pool_size, max_overflow=max_overflow
        )
        _ping_when_idle(engine)
    _guard_checkouts(engine)
    return engine


# A pooled connection idle longer than this is checked before use (docs/decisions.md, "Pool liveness").
IDLE_PING_SECONDS = {"value": 10.0}
_IDLE_SINCE = "sigmatrade_idle_since"


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection's liveness at check-out only when it sat idle for a while.

    SQLAlchemy's ``pool_pre_ping`` checks every check-out, which SQLAlchemy's asyncpg adapter sends as
    three round trips (BEGIN; ``;``; ROLLBACK) — on a busy bot more than the update's own query. A
    connection used within the last ``IDLE_PING_SECONDS`` is handed out as is; an older one is pinged,
    and a dead one is replaced (``DisconnectionError``: the pool discards it and connects again). A
    connection that dies while in use (server restart) fails that one statement; SQLAlchemy then
    invalidates the pool, so the next check-out connects afresh. A failed statement rolls its
    transaction back: nothing is half-written.
    """
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS["value"]:
            return  # a new connection, or one in use a moment ago
        try:
            dbapi.ping()
        except Exception as error:
            raise exc.DisconnectionError(f"idle connection failed its ping: {error!r}") from error


class SecondConnectionInUnit(RuntimeError):
    """A connection was checked out while the same flow holds a write transaction."""


@dataclass
class _HeldUnit:
    session: AsyncSession
    engine: Any  # the sync Engine of the session's bind
    open: bool = True


_held: ContextVar[_HeldUnit | None] = ContextVar("sigmatrade_held_unit", default=None)
# Strict: refuse (raise) instead of logging. The test suite turns it on; so does SIGMATRADE_STRICT_UNITS=1.
STRICT = {"on": os.environ.get("SIGMATRADE_STRICT_UNITS", "") == "1"}


def held_session() -> AsyncSession | None:
    """The session of the write transaction this flow holds, if any (reads inside it go through it)."""
    held = _held.get()
    return held.session if held is not None and held.open else None


def holds_unit(engine: AsyncEngine) -> bool:
    """This flow holds an open write transaction on ``engine`` (a second connection would be guarded)."""
    held = _held.get()
    return held is not None and held.open and held.engine is engine.sync_engine


def _guard_checkouts(engine: AsyncEngine) -> None:
    def _on_checkout(_dbapi: Any, _record: Any, _proxy: Any) -> None:
        if not holds_unit(engine):
            return
        where = current_stack()
        if STRICT["on"]:
            raise SecondConnectionInUnit(
                "a second database connection was opened while this flow holds a write transaction "
                "(on SQLite it waits for our own lock); read through the unit's session instead\n" + where
            )
        from sigmatrade.logging import get_logger

        get_logger("sigmatrade.db").warning("second_connection_in_unit", stack=where)

    event.listen(engine.sync_engine, "checkout", _on_checkout)


def _configure_sqlite(engine: AsyncEngine) -> None:
    from sigmatrade.db.sqlite_driver import mark_read_only  # aiosqlite only where SQLite is used

    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (not the driver) decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    writers = _WriterQueue()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            # No BEGIN: each statement reads in its own implicit transaction (as autocommit reads do on
            # PostgreSQL), and the driver refuses anything but a read until the transaction ends.
            mark_read_only(conn.connection.dbapi_connection)
            return
        writers.enter(conn)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writers.leave(conn)
            raise

    @event.listens_for(sync_engine, "commit")
    def _on_commit(conn: Any) -> None:
        writers.leave(conn)

    @event.listens_for(sync_engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        writers.leave(conn)

    # A connection that goes back to the pool (or is invalidated) never keeps the writer's place.
    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi: Any, record: Any) -> None:
        writers.leave_record(record)

    @event.listens_for(sync_engine, "invalidate")
    def _on_invalidate(_dbapi: Any, record: Any, _exc: Any) -> None:
        writers.leave_record(record)


WRITER_WAIT_SECONDS = 30.0  # like the busy timeout: then "database is locked"


class _WriterQueue:
    """SQLite allows one writer; in this process writers queue here first-come first-served.

    Without it every waiting connection polls the lock in SQLite's busy handler (sleeping up to
    100 ms between tries), so under load a newcomer often wins and a waiter starves for seconds.
    Other processes on the same file still meet the busy timeout.
    """

    KEY = "sigmatrade_writer"

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _current(self) -> asyncio.Lock | None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None  # a synchronous caller (migrations through run_sync are inside the loop)
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock

    def enter(self, conn: Any) -> None:
        lock = self._current()
        if lock is None:
            return
        try:
            await_only(asyncio.wait_for(lock.acquire(), WRITER_WAIT_SECONDS))
        except TimeoutError:
            from sqlite3 import OperationalError as SqliteOperationalError  # SQLite only

            raise SqliteOperationalError("database is locked (waited for this process's writers)") from None
        except exc.InvalidRequestError:
            return  # not inside the async adapter (a plain synchronous connection): SQLite alone decides
        conn.info[self.KEY] = lock

    def leave(self, conn: Any) -> None:
        self._release(conn.info.pop(self.KEY, None))

    def leave_record(self, record: Any) -> None:
        info = getattr(record, "info", None)
        if info is not None:
            self._release(info.pop(self.KEY, None))

    @staticmethod
    def _release(lock: asyncio.Lock | None) -> None:
        if lock is not None and lock.locked():
            lock.release()


READ_ONLY = "sigmatrade_read_only"


async def begin_read(session: AsyncSession) -> None:
    """Start the session's next transaction as a read that takes no lock and writes nothing.

    Both backends: no BEGIN/COMMIT sent (PostgreSQL: autocommit; SQLite: each statement its own
    implicit transaction), so every statement sees its own snapshot: use it only for a single
    statement or for statements that need no common snapshot. A write in it is refused on SQLite
    (``sqlite_driver``) and would commit on its own on PostgreSQL: never write in such a transaction.
    No effect when a transaction is already open.
    """
    if session.in_transaction():
        return
    if dialect_name(session) == "sqlite":
        await session.connection(execution_options={READ_ONLY: True})
    else:
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def dialect_name(session: AsyncSession) -> str:
    """'postgresql' or 'sqlite' for a session bound to an engine."""
    bind = session.bind
    if bind is None:
        raise RuntimeError("session is not bound to an engine")
    return bind.dialect.name


def is_postgres(session: AsyncSession) -> bool:
    return dialect_name(session) == "postgresql"


@asynccontextmanager
async def unit(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """One unit of work on a handler's session: commit on success, roll back on error.

    A read left open by earlier code is ended first (services own their transactions).
    """
    if session.in_transaction():
        await session.commit()
    async with session.begin(), _holding(session):
        yield session


@asynccontextmanager
async def reading(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A screen's reads: no write lock, nothing written (see ``begin_read``), ended when done.

    Statements read one by one (``begin_read``): under READ COMMITTED a PostgreSQL transaction gave each
    statement its own snapshot anyway, so only the BEGIN and COMMIT round trips go. Never write inside.
    """
    if session.in_transaction():
        await session.commit()
    await begin_read(session)
    try:
        yield session
    finally:
        if session.in_transaction():
            await session.commit()  # ends the read; rollback would expire the loaded rows


@asynccontextmanager
async def _holding(session: AsyncSession) -> AsyncIterator[None]:
    """Record the open write transaction for this flow (after its connection is checked out)."""
    await session.connection()
    held = _HeldUnit(session, session.get_bind())
    token = _held.set(held)
    try:
        yield
    finally:
        held.open = False
        _held.reset(token)


class Database:
    """One engine + session factory for the process."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10, echo: bool = False) -> None:
        self.url = url
        self.engine = build_engine(url, pool_size=pool_size, max_overflow=max_overflow, echo=echo)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def session(self) -> AsyncSession:
        return self.sessionmaker()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session with one transaction: commit on success, roll back on error."""
        async with self.sessionmaker() as session, session.begin(), _holding(session):
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()

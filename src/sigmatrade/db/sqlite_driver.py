"""SQLite through aiosqlite with one trip to the driver's thread per statement.

aiosqlite runs every ``sqlite3`` call on its own thread; SQLAlchemy's adapter makes four calls per
statement (open a cursor, execute, fetch the rows, close the cursor), and each is a hand-over to that
thread and back to the event loop — thread wake-ups that cost more than the statement itself on a small
machine (docs/performance.md, "Latency of the real process"). This adapter does the four steps in one
function on the driver's thread and keeps the results (rows, description, row count, last row id) on
the cursor object, so a statement costs one hand-over. Nothing else changes: the same SQL, the same
connection, the same transaction control (``db/session.py``), the same error translation.

Used through ``create_async_engine(..., module=DBAPI)``; the URL stays ``sqlite+aiosqlite://``.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

Outcome = tuple[Any, list[Any] | None, int, int | None]


def _execute(conn: sqlite3.Connection, operation: str, parameters: Any) -> Outcome:
    """On the driver's thread: run one statement and collect everything the adapter needs."""
    cursor = conn.execute(operation, parameters)
    try:
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _executemany(conn: sqlite3.Connection, operation: str, parameters: Any) -> Outcome:
    cursor = conn.executemany(operation, parameters)
    try:
        return cursor.description, None, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement, fetch and close happen in one call on the driver's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No driver cursor is opened here (that was a trip of its own): each statement opens and
        # closes its own on the driver's thread.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        return None

    def _keep(self, outcome: Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows or ())

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        _check_read(self._adapt_connection, operation)
        async with self._adapt_connection._execute_mutex:
            connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
            self._keep(await connection._execute(_execute, connection._conn, operation, parameters or ()))
            return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        _check_read(self._adapt_connection, operation)
        async with self._adapt_connection._execute_mutex:
            connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
            self._keep(
                await connection._execute(_executemany, connection._conn, operation, seq_of_parameters)
            )
            return self

    async def _async_soft_close(self) -> None:
        return None  # nothing is held open on the driver's side

    def close(self) -> None:
        self._rows.clear()


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("read_only",)
    _cursor_cls = OneTripCursor  # type: ignore[assignment]

    def _idle(self) -> bool:
        """No transaction open on the driver's side (a read sent no BEGIN): commit/rollback are no-ops."""
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        try:
            return not connection._conn.in_transaction
        except ValueError:  # closed
            return False

    def commit(self) -> None:
        self.read_only = False
        if not self._idle():
            super().commit()

    def rollback(self) -> None:
        self.read_only = False
        if not self._idle():
            super().rollback()


_READS = ("SELECT", "WITH", "PRAGMA", "EXPLAIN", "VALUES")


async def fetch_rows(dbapi_connection: Any, operation: str, parameters: Any) -> list[Any]:
    """The rows of a read, in one trip to the driver's thread, outside any transaction (``db/hot.py``)."""
    if not _is_read(operation):
        raise sqlite3.OperationalError("only a read goes outside a transaction")
    connection: aiosqlite.Connection = dbapi_connection._connection
    async with dbapi_connection._execute_mutex:
        _description, rows, _count, _last = await connection._execute(
            _execute, connection._conn, operation, parameters
        )
    return rows or []


def mark_read_only(dbapi_connection: Any) -> None:
    """Refuse anything but a read on this connection until its transaction ends."""
    if isinstance(dbapi_connection, _Connection):
        dbapi_connection.read_only = True


def _is_read(operation: str) -> bool:
    return operation.lstrip()[:7].upper().startswith(_READS)


def _check_read(adapt_connection: Any, operation: str) -> None:
    if getattr(adapt_connection, "read_only", False) and not _is_read(operation):
        raise sqlite3.OperationalError("a write inside a read-only transaction (begin_read) is refused")


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        connection = _Connection(self, adapted._connection)
        connection.read_only = False
        return connection


DBAPI = _DBAPI(aiosqlite, sqlite3)

"""Hot reads: a fixed SELECT sent straight to the driver, for the read every update makes.

SQLAlchemy's execution path (session, connection, execution context, result, ORM loading, the greenlet
bridge, commit and check-in) costs about 1.1 ms of CPU for the per-update user read on PostgreSQL, the
same statement on the driver about 0.2 ms (docs/performance.md, "Hot reads"). A ``HotSelect`` keeps what
matters of SQLAlchemy and drops the rest:

- the SQL is SQLAlchemy's own compilation of the statement (once per dialect), with the bind and
  result conversions of the column types (``UTCDateTime``, booleans and JSON on SQLite, ...);
- the connection comes from the engine's pool through its check-out events (the idle ping, the
  second-connection guard of ``db/session.py``) and goes back to it;
- the statement runs alone, outside any transaction, exactly like a ``begin_read`` read: one snapshot
  for the one statement, no lock, nothing written.

On PostgreSQL the reads go to one connection kept out of the pool for them (``_Pinned``: taken from
the pool, set up by its connect events, then detached from it, kept on the engine), so the pool's
check-out and check-in (about 0.1-0.2 ms of CPU per read) are not paid per update. Only one read uses
it at a time; a read that finds it busy, or runs inside a write unit (the second-connection guard sees
pool check-outs), goes through the pool as before. A read is side-effect free, so it needs no ping
before use: if the server closed the connection (a restart, an idle timeout) the read that meets it
goes through the pool, invalidated first as SQLAlchemy does on a disconnect, and no update fails for
it. Any other failure or a cancelled read is raised and cuts the connection off (its state is
unknown); the next read takes a new one. Disposing of the engine closes it. Cost: one more server
connection per process than the pool's own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Column, Select, event, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.util import greenlet_spawn

from sigmatrade.db.session import holds_unit

T = TypeVar("T")
Processor = Callable[[Any], Any] | None
# Called with (dialect name, SQL) before each hot read: SQLAlchemy's statement events never see these
# reads, so the work counters of the benchmarks and the statement probes of the tests listen here too.
observers: list[Callable[[str, str], None]] = []


@dataclass
class _Compiled:
    sql: str
    names: tuple[str, ...]  # bind parameter names in positional order
    fixed: Mapping[str, Any]  # values compiled into the statement (LIMIT, literals)
    binds: Mapping[str, Processor]
    # Result conversions, made on the first execution: like SQLAlchemy, from the column types the
    # driver reports (PostgreSQL's type oids; SQLite reports none).
    results: tuple[Processor, ...] | None = None

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for name in self.names:
            value = params[name] if name in params else self.fixed[name]
            process = self.binds.get(name)
            out.append(process(value) if process is not None else value)
        return out

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        assert self.results is not None
        return tuple(v if p is None or v is None else p(v) for p, v in zip(self.results, raw, strict=True))


def _compile(statement: Select[*tuple[Any, ...]], dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    binds = {
        name: compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in set(names)
    }
    fixed = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
    return _Compiled(compiled.string, names, fixed, binds)


def _result_processors(
    statement: Select[*tuple[Any, ...]], dialect: Dialect, coltypes: Sequence[Any]
) -> tuple[Processor, ...]:
    columns = list(statement.selected_columns)
    if len(columns) != len(coltypes):
        raise RuntimeError(f"hot read: {len(coltypes)} result columns for {len(columns)} selected")
    return tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, coltype)
        for column, coltype in zip(columns, coltypes, strict=True)
    )


class HotSelect:
    """A SELECT of plain columns, run on the driver connection directly (see the module's text)."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    async def first(self, engine: AsyncEngine, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row, its values converted as SQLAlchemy converts them, or None."""
        rows = await self.all(engine, params)
        return rows[0] if rows else None

    async def all(self, engine: AsyncEngine, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row, the values converted as SQLAlchemy converts them."""
        dialect = engine.dialect
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _compile(self.statement, dialect)
        arguments = compiled.arguments(params)
        for observe in observers:
            observe(dialect.name, compiled.sql)
        if dialect.name != "sqlite" and not holds_unit(engine):
            rows = await self._on_pinned(engine, compiled, arguments)
            if rows is not None:
                return rows
        fairy = await engine.raw_connection()
        try:
            if dialect.name == "sqlite":
                from sigmatrade.db.sqlite_driver import fetch_rows

                if compiled.results is None:
                    compiled.results = _result_processors(
                        self.statement, dialect, [None] * len(self.statement.selected_columns)
                    )
                raw = await fetch_rows(fairy.dbapi_connection, compiled.sql, arguments)
            else:
                raw = await self._fetch(fairy.driver_connection, dialect, compiled, arguments)
        except BaseException as error:
            # The connection's state is unknown (a cancelled or failed statement): never reuse it.
            await greenlet_spawn(fairy.invalidate, error if isinstance(error, Exception) else None)
            if _connection_lost(dialect, error):
                # As SQLAlchemy does on a disconnect: every pooled connection made before now (the
                # server restarted under all of them) is replaced at its next check-out.
                engine.sync_engine.pool._invalidate(fairy, error, _checkin=False)
            raise
        finally:
            # In SQLAlchemy's greenlet: a check-in into a full pool closes the connection (an overflow
            # one), and the driver's close awaits; outside the greenlet it would fail and leak it.
            await greenlet_spawn(fairy.close)
        return [compiled.row(r) for r in raw]

    async def _fetch(self, driver: Any, dialect: Dialect, compiled: _Compiled, arguments: list[Any]) -> Any:
        """PostgreSQL: the rows from the asyncpg connection ``driver``."""
        if compiled.results is None:
            prepared = await driver.prepare(compiled.sql)
            oids = [attribute.type.oid for attribute in prepared.get_attributes()]
            compiled.results = _result_processors(self.statement, dialect, oids)
        return await driver.fetch(compiled.sql, *arguments)

    async def _on_pinned(
        self, engine: AsyncEngine, compiled: _Compiled, arguments: list[Any]
    ) -> list[tuple[Any, ...]] | None:
        """The rows read on the pinned connection; None when the pool must serve the read (the pinned
        connection is busy, or the server closed it under this read)."""
        pinned = await _pin(engine)
        if pinned is None:
            return None
        try:
            raw = await self._fetch(pinned.driver, engine.dialect, compiled, arguments)
        except BaseException as error:
            closed = _closed_under_read(error, pinned)  # before the drop: it closes the connection
            _drop(engine.sync_engine, pinned)
            if closed:
                # As SQLAlchemy does on a disconnect: the server restarted under every connection, so the
                # pooled ones made before now are replaced at their next check-out, this read's included.
                engine.sync_engine.pool._invalidate(pinned.fairy, error, _checkin=False)
                return None
            raise
        finally:
            pinned.busy = False
        return [compiled.row(r) for r in raw]


_ATTR = "sigmatrade_pinned"  # on the sync Engine: the pinned connection lives and dies with its engine


@dataclass
class _Pinned:
    """The connection kept out of the pool for hot reads (module text)."""

    fairy: Any  # a detached pool connection; None while it is being taken
    loop: asyncio.AbstractEventLoop
    busy: bool = True
    disposed: bool = False  # the engine was disposed while it was being taken

    @property
    def driver(self) -> Any:
        """The asyncpg connection."""
        return self.fairy.dbapi_connection.driver_connection


async def _pin(engine: AsyncEngine) -> _Pinned | None:
    """The pinned connection, marked busy for the caller; None when another read has it."""
    sync_engine = engine.sync_engine
    loop = asyncio.get_running_loop()
    old: _Pinned | None = getattr(sync_engine, _ATTR, None)
    if old is not None:
        if old.busy:
            return None
        if old.loop is loop:
            old.busy = True
            return old
        _terminate(old)  # another event loop's (tests): it cannot be awaited here
    # Registered before the first await: a concurrent read sees it busy and takes the pool meanwhile,
    # and a dispose meanwhile marks it.
    if not event.contains(sync_engine, "engine_disposed", _on_disposed):
        event.listen(sync_engine, "engine_disposed", _on_disposed)
    pinned = _Pinned(None, loop)
    setattr(sync_engine, _ATTR, pinned)
    try:
        fairy = await engine.raw_connection()  # set up by the pool's connect events; pinged if idle
        fairy.detach()
    except BaseException:
        if getattr(sync_engine, _ATTR, None) is pinned:
            delattr(sync_engine, _ATTR)
        raise
    pinned.fairy = fairy
    if pinned.disposed:
        with contextlib.suppress(Exception):
            await greenlet_spawn(fairy.close)
        return None
    return pinned


def _terminate(pinned: _Pinned) -> None:
    with contextlib.suppress(Exception):
        pinned.driver.terminate()


def _drop(sync_engine: Any, pinned: _Pinned) -> None:
    """A failed or cancelled read: the connection's state is unknown, cut it off."""
    if getattr(sync_engine, _ATTR, None) is pinned:
        delattr(sync_engine, _ATTR)
    _terminate(pinned)


def _on_disposed(sync_engine: Any) -> None:
    """The engine is disposed: close the pinned connection with the pool's (``AsyncEngine.dispose`` runs
    this in SQLAlchemy's greenlet, where the driver's close can be awaited); one in use is cut off, one
    being taken is closed when it arrives."""
    pinned: _Pinned | None = getattr(sync_engine, _ATTR, None)
    if pinned is None:
        return
    delattr(sync_engine, _ATTR)
    if pinned.fairy is None:
        pinned.disposed = True
    elif pinned.busy:
        _terminate(pinned)
    else:
        try:
            pinned.fairy.close()
        except Exception:
            _terminate(pinned)


def _closed_under_read(error: BaseException, pinned: _Pinned) -> bool:
    """The pinned connection was closed by the server, the network or the driver, not refused by a
    statement (a cancelled statement, a client-side data error and the like are raised as the pool path
    raises them). Asked before the read's connection is cut off.

    The driver closes it itself when the server's termination notice was read while the connection was
    idle and its close was not yet: the next statement fails with asyncpg's ``InternalClientError``
    ("another operation is in progress"), not with a connection error."""
    from asyncpg import exceptions

    closed = (
        exceptions.PostgresConnectionError,  # the connection was lost mid-statement
        exceptions.AdminShutdownError,  # terminated: a shutdown, pg_terminate_backend, idle timeouts
        exceptions.CrashShutdownError,
        exceptions.CannotConnectNowError,
        OSError,
    )
    if isinstance(error, closed):
        return True
    driver_side = (exceptions.InterfaceError, exceptions.InternalClientError)
    return isinstance(error, driver_side) and pinned.driver.is_closed()


def _connection_lost(dialect: Dialect, error: BaseException) -> bool:
    """PostgreSQL: the connection failed, not the statement (an error the server sent back leaves the
    connection usable). A SQLite file has no connection to lose."""
    if dialect.name == "sqlite" or not isinstance(error, Exception):
        return False
    from asyncpg import PostgresError

    return not isinstance(error, PostgresError)


def engine_of(session: AsyncSession) -> AsyncEngine:
    """The engine of a handler's session: a service handed a session sends its hot reads there."""
    bind = session.bind
    if not isinstance(bind, AsyncEngine):
        raise RuntimeError("session is not bound to an engine")
    return bind


def columns_of(cls: type[Any]) -> tuple[list[Column[Any]], tuple[str, ...]]:
    """The mapped class's columns (for a ``HotSelect``) and the attribute names they load into."""
    attrs = inspect(cls).column_attrs
    return [attr.columns[0] for attr in attrs], tuple(attr.key for attr in attrs)


_PRIMARY_KEYS: dict[type[Any], tuple[str, ...]] = {}


def _primary_key(cls: type[Any]) -> tuple[str, ...]:
    keys = _PRIMARY_KEYS.get(cls)
    if keys is None:
        mapper = inspect(cls)
        keys = _PRIMARY_KEYS[cls] = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
    return keys


def detached(cls: type[T], keys: Sequence[str], values: Sequence[Any]) -> T | None:
    """A detached instance of ``cls`` loaded with ``values`` (None when its primary key is NULL: an
    outer join found nothing), as if it had been loaded by a session and expunged."""
    loaded = dict(zip(keys, values, strict=True))
    if any(loaded[key] is None for key in _primary_key(cls)):
        return None
    instance: T = inspect(cls).class_manager.new_instance()
    instance.__dict__.update(loaded)
    make_transient_to_detached(instance)
    return instance

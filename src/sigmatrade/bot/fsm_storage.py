"""Persistent FSM storage in SQL (``fsm_states``), used when Redis is not configured (SPEC §5.3),
and a per-update read cache in front of any storage (the Redis storage is ``bot/fsm_redis.py``,
imported only when Redis is configured).

Each call is its own short transaction. Data must be JSON-safe (decimals as strings).
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, NamedTuple

from aiogram import BaseMiddleware
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import TelegramObject
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from sigmatrade import clock
from sigmatrade.db.models import FsmState
from sigmatrade.db.session import Database, begin_read
from sigmatrade.domain.jsonsafe import jsonable


def _state_name(state: StateType) -> str | None:
    if state is None:
        return None
    if isinstance(state, State):
        return state.state
    return str(state)


class SqlStorage(BaseStorage):
    def __init__(self, db: Database) -> None:
        self.db = db
        self.keys = DefaultKeyBuilder(with_bot_id=True)

    async def _upsert(self, key: StorageKey, **fields: Any) -> None:
        skey = self.keys.build(key)
        for _ in range(3):
            async with self.db.transaction() as session:
                row = await session.get(FsmState, skey)
                if row is None:
                    try:
                        async with session.begin_nested():
                            session.add(
                                FsmState(key=skey, state=fields.get("state"), data=fields.get("data", {}))
                            )
                            await session.flush()
                        return
                    except IntegrityError:
                        continue
                for name, value in fields.items():
                    setattr(row, name, value)
                row.updated_at = clock.now()
                return

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._upsert(key, state=_state_name(state))

    async def get_record(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        """State and data with one read."""
        async with self.db.session() as session:
            await begin_read(session)
            row = await session.get(FsmState, self.keys.build(key))
            if row is None:
                return None, {}
            return row.state, dict(row.data) if row.data else {}

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self.get_record(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=jsonable(dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return (await self.get_record(key))[1]

    async def close(self) -> None:
        return None


_MISSING: Any = object()


class _UpdateCache:
    """FSM records read during one update: StorageKey -> [state, data] (``_MISSING`` = not read yet)."""

    __slots__ = ("entries", "open")

    def __init__(self) -> None:
        self.entries: dict[StorageKey, list[Any]] = {}
        self.open = True


_update_cache: ContextVar[_UpdateCache | None] = ContextVar("fsm_update_cache", default=None)


def _current_cache() -> _UpdateCache | None:
    cache = _update_cache.get()
    return cache if cache is not None and cache.open else None


PREFETCHED = "fsm_prefetched"  # data key: (StorageKey, state, data) read with the user row or the throttle


_RECORD = "fsm_update_record"  # data key: ``_update_record``'s answer, found once per update


def _update_record(data: dict[str, Any]) -> tuple[Any, BaseStorage, StorageKey] | None:
    """The dispatcher's FSM manager, the storage behind the per-update cache, and the update's FSM key
    (None when the update has no FSM context or the storage is not the cached one). Found once per
    update: the throttle, the user read and the user middleware each ask (resolving the context cost
    about 10 µs each time)."""
    found = data.get(_RECORD, _MISSING)
    if found is _MISSING:
        found = data[_RECORD] = _find_record(data)
    return found  # type: ignore[no-any-return]


def _find_record(data: dict[str, Any]) -> tuple[Any, BaseStorage, StorageKey] | None:
    fsm = getattr(data.get("dispatcher"), "fsm", None)
    bot = data.get("bot")
    storage = getattr(fsm, "storage", None)
    if fsm is None or bot is None or not isinstance(storage, UpdateCachedStorage):
        return None
    context = fsm.resolve_event_context(bot, data)
    return None if context is None else (fsm, storage.inner, context.key)


def sql_record_key(data: dict[str, Any]) -> tuple[StorageKey, str] | None:
    """The update's FSM key and its ``fsm_states`` row key when the records live in SQL: the user
    middleware then reads the record in its own query (one statement per update less)."""
    found = _update_record(data)
    if found is None:
        return None
    _, inner, key = found
    return (key, inner.keys.build(key)) if isinstance(inner, SqlStorage) else None


class RedisPrefetch(NamedTuple):
    key: StorageKey
    redis_keys: tuple[str, str]  # the record's state and data keys
    decode: Callable[[Any, Any], tuple[str | None, dict[str, Any]]]


def redis_prefetch(data: dict[str, Any]) -> RedisPrefetch | None:
    """How to read the update's FSM record in another Redis round trip of this update (the throttle's),
    when the records live in Redis and the update's handlers are serialised in this process (polling:
    ``SimpleEventIsolation``): the record read before the isolation lock is then the one the handler sees.
    Behind a webhook (a Redis lock per update, taken later) the record is read after the lock, as before."""
    found = _update_record(data)
    if found is None:
        return None
    fsm, inner, key = found
    record_keys = getattr(inner, "record_keys", None)  # fsm_redis.RedisRecordStorage
    if record_keys is None or not isinstance(fsm.events_isolation, SimpleEventIsolation):
        return None
    return RedisPrefetch(key, record_keys(key), inner.decode_record)  # type: ignore[attr-defined]


class FsmUpdateCacheMiddleware(BaseMiddleware):
    """Opens the per-update FSM read cache (primed with a record the user middleware read:
    ``PREFETCHED``); it is closed when the update is handled, so a task that outlives the update (and
    inherited the context) reads the storage again."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        cache = _UpdateCache()
        prefetched = data.pop(PREFETCHED, None)
        if prefetched is not None:
            key, state, record = prefetched
            cache.entries[key] = [state, record]
        token = _update_cache.set(cache)
        try:
            return await handler(event, data)
        finally:
            cache.open = False
            _update_cache.reset(token)


class UpdateCachedStorage(BaseStorage):
    """Reads each FSM record at most once per update (the FSM middleware, i18n, ``leave_state`` and the
    handler all ask for it). A write of what this update already read (clearing a clear state, the
    same data) is skipped; any other write goes straight to the wrapped storage, and the state written
    is remembered (data is read again if asked, in the storage's own encoding).

    Nothing is kept across updates: the record may be changed by another replica between updates,
    while within one update the event-isolation lock on the key serialises its handlers.
    """

    def __init__(self, inner: BaseStorage) -> None:
        self.inner = inner

    async def _entry(self, key: StorageKey, slot: int) -> Any:
        cache = _current_cache()
        if cache is None:
            return _MISSING
        entry = cache.entries.get(key)
        if entry is None:
            entry = cache.entries[key] = [_MISSING, _MISSING]
        if entry[slot] is _MISSING:
            get_record = getattr(self.inner, "get_record", None)  # SqlStorage, fsm_redis.RedisRecordStorage
            if get_record is not None:
                entry[0], entry[1] = await get_record(key)
            elif slot == 0:
                entry[0] = await self.inner.get_state(key)
            else:
                entry[1] = await self.inner.get_data(key)
        return entry[slot]

    def _cached(self, key: StorageKey, slot: int) -> Any:
        cache = _current_cache()
        entry = cache.entries.get(key) if cache is not None else None
        return _MISSING if entry is None else entry[slot]

    def _remember(self, key: StorageKey, slot: int, value: Any) -> None:
        cache = _current_cache()
        if cache is not None:
            cache.entries.setdefault(key, [_MISSING, _MISSING])[slot] = value

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = _state_name(state)
        if self._cached(key, 0) == name:
            return  # read this update and unchanged: nothing to write (clearing a clear state)
        await self.inner.set_state(key, state)
        self._remember(key, 0, name)

    async def get_state(self, key: StorageKey) -> str | None:
        state = await self._entry(key, 0)
        if state is _MISSING:
            return await self.inner.get_state(key)
        return None if state is None else str(state)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        cached = self._cached(key, 1)
        if cached is not _MISSING and cached == jsonable(dict(data)):
            return  # read this update and unchanged
        await self.inner.set_data(key, data)
        self._remember(key, 1, _MISSING)  # read again if asked: the storage's own encoding decides

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        data = await self._entry(key, 1)
        if data is _MISSING:
            return await self.inner.get_data(key)
        return copy.deepcopy(data)

    async def close(self) -> None:
        await self.inner.close()


async def purge_idle(db: Database, idle: timedelta) -> int:
    """Drop FSM rows idle longer than ``idle`` (cleanup job)."""
    async with db.transaction() as session:
        result = await session.execute(delete(FsmState).where(FsmState.updated_at < clock.now() - idle))
        return int(getattr(result, "rowcount", 0) or 0)


async def count_rows(db: Database) -> int:
    async with db.session() as session:
        return len((await session.scalars(select(FsmState.key))).all())

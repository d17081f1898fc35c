"""FSM storage in Redis (when ``REDIS_URL`` is set): aiogram's, plus one-read records.

A module of its own so that a process without Redis never imports the Redis client (6 MB).
"""

from __future__ import annotations

from typing import Any

from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage


class RedisRecordStorage(RedisStorage):
    """aiogram's Redis storage (same keys and values) that can also read state and data in one MGET, or
    have them read by someone else's round trip (the throttle's: ``record_keys``, ``decode_record``)."""

    def record_keys(self, key: StorageKey) -> tuple[str, str]:
        """The Redis keys of the record's state and data."""
        return self.key_builder.build(key, "state"), self.key_builder.build(key, "data")

    def decode_record(self, state: Any, data: Any) -> tuple[str | None, dict[str, Any]]:
        """State and data from the raw values of ``record_keys`` (None: missing)."""
        if isinstance(state, bytes):
            state = state.decode("utf-8")
        if data is None:
            return state, {}
        if isinstance(data, bytes):
            data = data.decode("utf-8")
        return state, dict(self.json_loads(data))

    async def get_record(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        state, data = await self.redis.mget(*self.record_keys(key))
        return self.decode_record(state, data)

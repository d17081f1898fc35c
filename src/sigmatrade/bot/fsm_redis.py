"""FSM storage in Redis (when ``REDIS_URL`` is set): aiogram's, plus one-read records.

A module of its own so that a process without Redis never imports the Redis client (6 MB).
"""

from __future__ import annotations

from typing import Any

from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage


class RedisRecordStorage(RedisStorage):
    """aiogram's Redis storage (same keys and values) that can also read state and data in one MGET."""

    async def get_record(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        state, data = await self.redis.mget(
            self.key_builder.build(key, "state"), self.key_builder.build(key, "data")
        )
        if isinstance(state, bytes):
            state = state.decode("utf-8")
        if data is None:
            return state, {}
        if isinstance(data, bytes):
            data = data.decode("utf-8")
        return state, dict(self.json_loads(data))

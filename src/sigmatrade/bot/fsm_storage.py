"""Persistent FSM storage in SQL (``fsm_states``), used when Redis is not configured (SPEC §5.3).

Each call is its own short transaction. Data must be JSON-safe (decimals as strings).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from sigmatrade import clock
from sigmatrade.db.models import FsmState
from sigmatrade.db.session import Database
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

    async def get_state(self, key: StorageKey) -> str | None:
        async with self.db.session() as session:
            row = await session.get(FsmState, self.keys.build(key))
            return row.state if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._upsert(key, data=jsonable(dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self.db.session() as session:
            row = await session.get(FsmState, self.keys.build(key))
            return dict(row.data) if row and row.data else {}

    async def close(self) -> None:
        return None


async def purge_idle(db: Database, idle: timedelta) -> int:
    """Drop FSM rows idle longer than ``idle`` (cleanup job)."""
    async with db.transaction() as session:
        result = await session.execute(delete(FsmState).where(FsmState.updated_at < clock.now() - idle))
        return int(getattr(result, "rowcount", 0) or 0)


async def count_rows(db: Database) -> int:
    async with db.session() as session:
        return len((await session.scalars(select(FsmState.key))).all())

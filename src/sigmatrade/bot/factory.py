"""Dispatcher assembly: storage, middleware chain, routers (common, the admin gate, features, fallback)."""

from __future__ import annotations

from aiogram import Dispatcher, Router
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation

from sigmatrade.bot import middlewares
from sigmatrade.bot.fsm_storage import SqlStorage, UpdateCachedStorage
from sigmatrade.bot.routers import admin_gate, common, fallback
from sigmatrade.runtime import Runtime


def build_dispatcher(rt: Runtime) -> Dispatcher:
    storage: BaseStorage
    isolation: BaseEventIsolation
    if rt.redis is not None:
        from aiogram.fsm.storage.redis import RedisEventIsolation

        from sigmatrade.bot.fsm_redis import RedisRecordStorage

        storage = RedisRecordStorage(rt.redis)
        isolation = RedisEventIsolation(rt.redis)
    else:
        storage = SqlStorage(rt.db)
        isolation = SimpleEventIsolation()
    # FSM records are read once per update (see FsmUpdateCacheMiddleware in the chain).
    dp = Dispatcher(
        storage=UpdateCachedStorage(storage), events_isolation=isolation, disable_fsm=True, name="sigmatrade"
    )
    middlewares.install(dp, rt)
    for router in routers():
        dp.include_router(router)
    dp["rt"] = rt
    return dp


def routers() -> list[Router]:
    from sigmatrade.bot.routers import registry

    return [common.build(), admin_gate.build(), *registry.feature_routers(), fallback.build()]

"""Dispatcher assembly: storage, middleware chain, routers (common, the admin gate, features, fallback)."""

from __future__ import annotations

from aiogram import Dispatcher, Router
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation

from sigmatrade.bot import middlewares, routing
from sigmatrade.bot.fsm_storage import SqlStorage, UpdateCachedStorage
from sigmatrade.bot.routers import admin_gate, common, fallback
from sigmatrade.runtime import Runtime


def build_dispatcher(rt: Runtime) -> Dispatcher:
    storage: BaseStorage
    isolation: BaseEventIsolation = SimpleEventIsolation()
    if rt.redis is not None:
        from sigmatrade.bot.fsm_redis import RedisRecordStorage

        storage = RedisRecordStorage(rt.redis)
        if cross_replica_isolation(rt):
            from aiogram.fsm.storage.redis import RedisEventIsolation

            isolation = RedisEventIsolation(rt.redis)
    else:
        storage = SqlStorage(rt.db)
    # FSM records are read once per update (see FsmUpdateCacheMiddleware in the chain).
    dp = Dispatcher(
        storage=UpdateCachedStorage(storage), events_isolation=isolation, disable_fsm=True, name="sigmatrade"
    )
    middlewares.install(dp, rt)
    for router in routers():
        dp.include_router(router)
    dp["rt"] = rt
    return dp


def cross_replica_isolation(rt: Runtime) -> bool:
    """Whether one user's updates must be serialised across processes (a Redis lock per update).

    Polling: only the holder of the polling lease receives updates and its per-user lanes run one
    user's updates in order, so an in-process lock is enough (it saves two Redis round trips per
    update). Webhook: replicas behind a load balancer may receive one user's updates at once."""
    return rt.redis is not None and bool(rt.config.webhook_url)


def routers() -> list[Router]:
    from sigmatrade.bot.routers import registry

    built = [common.build(), admin_gate.build(), *registry.feature_routers(), fallback.build()]
    for router in built:
        routing.index(router)  # a button's update enters only the routers that may take its data
    return built

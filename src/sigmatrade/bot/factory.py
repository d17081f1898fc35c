"""Dispatcher assembly: storage, middleware chain, routers, published commands."""

from __future__ import annotations

from aiogram import Bot, Dispatcher, Router
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand, BotCommandScopeDefault

from sigmatrade.bot import middlewares
from sigmatrade.bot.fsm_storage import RedisRecordStorage, SqlStorage, UpdateCachedStorage
from sigmatrade.bot.routers import common, fallback
from sigmatrade.runtime import Runtime
from sigmatrade.texts.i18n import LANGUAGES

USER_COMMANDS = {
    "ru": [
        ("start", "Начало"),
        ("menu", "Главное меню"),
        ("help", "Помощь"),
        ("faq", "Вопросы и ответы"),
        ("cancel", "Отменить действие"),
        ("language", "Язык"),
    ],
    "en": [
        ("start", "Start"),
        ("menu", "Main menu"),
        ("help", "Help"),
        ("faq", "FAQ"),
        ("cancel", "Cancel the current action"),
        ("language", "Language"),
    ],
}


def build_dispatcher(rt: Runtime) -> Dispatcher:
    storage: BaseStorage
    isolation: BaseEventIsolation
    if rt.redis is not None:
        from aiogram.fsm.storage.redis import RedisEventIsolation

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

    return [common.build(), *registry.feature_routers(), fallback.build()]


async def publish_commands(bot: Bot) -> None:
    for lang in LANGUAGES:
        commands = [BotCommand(command=c, description=d) for c, d in USER_COMMANDS[lang]]
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=lang)
    default = [BotCommand(command=c, description=d) for c, d in USER_COMMANDS["ru"]]
    await bot.set_my_commands(default, scope=BotCommandScopeDefault())

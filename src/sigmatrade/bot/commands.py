"""Published command lists (SPEC §5.2). The public list has the user commands only; admins get the
admin commands in their own chat (per-chat scope), never in the public list."""

from __future__ import annotations

import contextlib

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from sqlalchemy import select

from sigmatrade.db.models import Admin
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

ADMIN_COMMANDS = {
    "ru": [("admin", "Админ-панель"), ("session", "Сессия администратора"), ("logout", "Выйти из админки")],
    "en": [("admin", "Admin panel"), ("session", "Admin session"), ("logout", "Log out of the admin panel")],
}


def _commands(lang: str, *, admin: bool) -> list[BotCommand]:
    pairs = USER_COMMANDS[lang] + (ADMIN_COMMANDS[lang] if admin else [])
    return [BotCommand(command=c, description=d) for c, d in pairs]


async def publish_commands(bot: Bot) -> None:
    for lang in LANGUAGES:
        await bot.set_my_commands(
            _commands(lang, admin=False), scope=BotCommandScopeDefault(), language_code=lang
        )
    await bot.set_my_commands(_commands("ru", admin=False), scope=BotCommandScopeDefault())


async def publish_admin_commands(bot: Bot, telegram_id: int) -> None:
    """The user commands plus the admin commands, in this admin's chat only. Best effort: a chat the
    bot cannot reach yet gets them at the next login."""
    scope = BotCommandScopeChat(chat_id=telegram_id)
    with contextlib.suppress(TelegramAPIError):
        for lang in LANGUAGES:
            await bot.set_my_commands(_commands(lang, admin=True), scope=scope, language_code=lang)
        await bot.set_my_commands(_commands("ru", admin=True), scope=scope)


async def withdraw_admin_commands(bot: Bot, telegram_id: int) -> None:
    """A removed admin's chat falls back to the public list."""
    scope = BotCommandScopeChat(chat_id=telegram_id)
    with contextlib.suppress(TelegramAPIError):
        for lang in LANGUAGES:
            await bot.delete_my_commands(scope=scope, language_code=lang)
        await bot.delete_my_commands(scope=scope)


async def sync_admin_commands(bot: Bot, rt: Runtime) -> None:
    """At start: admins (also those added by the CLI) get theirs, removed admins lose theirs."""
    async with rt.db.session() as session:
        rows = (await session.execute(select(Admin.telegram_id, Admin.removed_at))).all()
    for telegram_id, removed_at in rows:
        if removed_at is None:
            await publish_admin_commands(bot, telegram_id)
        else:
            await withdraw_admin_commands(bot, telegram_id)

"""Last router: unknown commands/text outside input states, and outdated/foreign callbacks."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.types import CallbackQuery, Message

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Pg
from sigmatrade.texts.i18n import Translator


async def page_indicator(query: CallbackQuery) -> None:
    await query.answer()


async def unknown_message(message: Message, t: Translator) -> None:
    await message.answer(t("err.unknown_command"), reply_markup=kb.menu_only(t))


async def unexpected_input(message: Message, t: Translator) -> None:
    """A message in an input state that the state's handlers did not accept (e.g. a sticker)."""
    await message.answer(t("err.unexpected_input"), reply_markup=kb.cancel_only(t))


async def outdated_button(query: CallbackQuery, t: Translator) -> None:
    await query.answer(t.plain("err.outdated_button"), show_alert=True)


def build() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(page_indicator, Pg.filter())
    router.message.register(unknown_message, StateFilter(None))
    router.message.register(unexpected_input)
    router.callback_query.register(outdated_button)
    return router

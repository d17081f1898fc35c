"""The floor of bench_e2e: a minimal aiogram bot (no database, no middlewares of ours) answering the
same updates through the same Bot API server — a message with a keyboard for commands and text, an
answer plus an edit for buttons. Usage: ``python floor_bot.py TOKEN API_URL``."""

from __future__ import annotations

import asyncio
import sys

from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Menu", callback_data="nav:menu")],
        [InlineKeyboardButton(text="Help", callback_data="nav:help")],
    ]
)


async def main(token: str, api_url: str) -> None:
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dp = Dispatcher()

    @dp.message()
    async def on_message(message: Message) -> None:
        await message.answer(f"<b>Hello</b>, {message.text or ''}", parse_mode="HTML", reply_markup=KEYBOARD)

    @dp.callback_query(F.data)
    async def on_button(query: CallbackQuery) -> None:
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(
                f"<b>Screen</b> {query.data} {query.id}", parse_mode="HTML", reply_markup=KEYBOARD
            )

    await bot.delete_webhook()
    await dp.start_polling(bot, polling_timeout=10, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

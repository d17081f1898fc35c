"""Showing screens: navigation edits the current message when possible, otherwise sends a new one."""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from sigmatrade.bot.render import Safe


async def show(
    event: Message | CallbackQuery, text: Safe | str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the message a button belongs to, or send a new message (commands, text input)."""
    if isinstance(event, CallbackQuery):
        message = event.message
        if isinstance(message, Message) and message.text is not None:
            try:
                await message.edit_text(text, reply_markup=markup)
                return
            except TelegramBadRequest as exc:
                if "message is not modified" in exc.message:
                    return
                # too old / not found / not editable: fall back to a new message
        if event.message is not None:
            await event.bot.send_message(event.message.chat.id, text, reply_markup=markup)  # type: ignore[union-attr]
        else:
            await event.bot.send_message(event.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]
        return
    await event.answer(text, reply_markup=markup)


async def delete_quietly(message: Message | None) -> None:
    """Best-effort delete (secrets typed by the user, one-time passwords)."""
    if message is None:
        return
    with contextlib.suppress(TelegramBadRequest, Exception):
        await message.delete()

"""Showing screens: navigation edits the current message when possible, otherwise sends a new one."""

from __future__ import annotations

import contextlib
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from sigmatrade.texts.render import Safe
from sigmatrade.texts.telegram_html import parse_html


def _entities(items: list[Any]) -> list[tuple[str, int, int, str | None]]:
    out = []
    for e in items:
        d = e if isinstance(e, dict) else e.model_dump(exclude_none=True)
        out.append((str(d.get("type")), int(d.get("offset", 0)), int(d.get("length", 0)), d.get("url")))
    return sorted(out)


def _buttons(markup: InlineKeyboardMarkup | None) -> list[list[tuple[str, str | None, str | None]]]:
    if markup is None:
        return []
    return [[(b.text, b.callback_data, b.url) for b in row] for row in markup.inline_keyboard]


def same_screen(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> bool:
    """True when editing ``message`` to ``text``/``markup`` would change nothing visible (Telegram
    answers such an edit with "message is not modified"; we do not send it at all)."""
    if _buttons(markup) != _buttons(message.reply_markup):
        return False  # the cheap comparison first: a different screen almost always has other buttons
    try:
        plain, entities = parse_html(text)
    except ValueError:
        return False
    if plain != message.text:
        return False
    return _entities(entities) == _entities(list(message.entities or []))


async def show(
    event: Message | CallbackQuery, text: Safe | str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the message a button belongs to, or send a new message (commands, text input)."""
    if isinstance(event, CallbackQuery):
        message = event.message
        if isinstance(message, Message) and message.text is not None:
            if same_screen(message, str(text), markup):
                return
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

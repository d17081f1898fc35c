"""Small helpers shared by middlewares."""

from __future__ import annotations

from aiogram.types import Chat, Update, User


def event_user(update: Update) -> User | None:
    if update.message is not None:
        return update.message.from_user
    if update.callback_query is not None:
        return update.callback_query.from_user
    return None


def update_chat(update: Update) -> Chat | None:
    if update.message is not None:
        return update.message.chat
    if update.callback_query is not None and update.callback_query.message is not None:
        return update.callback_query.message.chat
    return None

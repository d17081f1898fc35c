"""SPEC §11.2: a message that looks like a private key or a mnemonic is deleted in any state and the
sender is warned; it never reaches a handler (keys enter only through the CLI).

A message dropped earlier in the chain (throttled, banned) never reaches this guard nor the handler
that deletes a typed password: ``forget_dropped_secret`` deletes it there when it looks like a key or
phrase, or was typed in a secret-input state (``states.SECRET_INPUT_STATES``)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update

from sigmatrade.bot.states import SECRET_INPUT_STATES
from sigmatrade.bot.ui import delete_quietly
from sigmatrade.domain.pasted_secrets import looks_like_private_key_or_mnemonic
from sigmatrade.logging import get_logger
from sigmatrade.texts.i18n import Translator

log = get_logger("sigmatrade.security")


class SecretsGuardMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        message = event.message
        text = (message.text or message.caption or "") if message is not None else ""
        if message is None or not text or not looks_like_private_key_or_mnemonic(text):
            return await handler(event, data)
        data["outcome"] = "denied"
        log.warning("secret_message_deleted", telegram_id=message.from_user.id if message.from_user else None)
        t: Translator = data["t"]
        await delete_quietly(message)
        with contextlib.suppress(TelegramAPIError):
            await message.answer(t("err.private_key_warning"))
        return None


async def forget_dropped_secret(update: Update, data: dict[str, Any]) -> None:
    """Delete a message the chain drops before its handler if it may be a secret (best effort)."""
    message = update.message
    if message is None:
        return
    text = message.text or message.caption or ""
    if not text:  # a sticker, a photo without caption: nothing typed
        return
    secret = looks_like_private_key_or_mnemonic(text)
    if not secret:
        try:
            secret = await _input_state(data) in SECRET_INPUT_STATES
        except Exception:  # a failed read must not turn a dropped update into an error reply
            log.exception("dropped_secret_state_unread")
            return
    if not secret:
        return
    log.warning("dropped_secret_deleted", telegram_id=message.from_user.id if message.from_user else None)
    await delete_quietly(message)


async def _input_state(data: dict[str, Any]) -> str | None:
    """The sender's FSM state: already read when the FSM middleware ran, otherwise read now (a drop
    before it is rare: the read costs nothing on the path every update takes)."""
    if "raw_state" in data:
        return data["raw_state"]  # type: ignore[no-any-return]
    dispatcher: Dispatcher | None = data.get("dispatcher")
    bot: Bot | None = data.get("bot")
    if dispatcher is None or bot is None:
        return None
    context = dispatcher.fsm.resolve_event_context(bot, data)
    return await context.get_state() if context is not None else None

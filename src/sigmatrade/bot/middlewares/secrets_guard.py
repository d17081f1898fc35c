"""SPEC §11.2: a message that looks like a private key or a mnemonic is deleted in any state and the
sender is warned; it never reaches a handler (keys enter only through the CLI)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update

from sigmatrade.domain.codes import looks_like_private_key_or_mnemonic
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
        with contextlib.suppress(TelegramAPIError):
            await message.delete()
        with contextlib.suppress(TelegramAPIError):
            await message.answer(t("err.private_key_warning"))
        return None

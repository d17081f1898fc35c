"""The update log line's type (``middlewares.logging.update_type``) is aiogram's name for every kind."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import Update

from sigmatrade.bot.middlewares.logging import describe, update_type

USER = {"id": 7, "is_bot": False, "first_name": "A"}
CHAT = {"id": 7, "type": "private"}
MESSAGE = {"message_id": 1, "date": 1700000000, "chat": CHAT, "from": USER, "text": "/start"}
KINDS: dict[str, dict[str, Any]] = {
    "message": MESSAGE,
    "callback_query": {
        "id": "1",
        "from": USER,
        "chat_instance": "x",
        "data": "menu:home",
        "message": MESSAGE,
    },
    "edited_message": {**MESSAGE, "edit_date": 1700000001},
    "my_chat_member": {
        "chat": CHAT,
        "from": USER,
        "date": 1700000000,
        "old_chat_member": {"status": "member", "user": USER},
        "new_chat_member": {"status": "kicked", "user": USER, "until_date": 0},
    },
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_update_type_is_aiogram_s_name(kind: str) -> None:
    update = Update.model_validate({"update_id": 1, kind: KINDS[kind]})
    assert update_type(update) == update.event_type == kind
    assert describe(update)["type"] == kind

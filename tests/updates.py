"""Bot API updates built in memory, for tests of the update plumbing (lanes, poller) without a chat."""

from __future__ import annotations

from aiogram.types import Update


def message_update(update_id: int, user: int, text: str = "/start") -> Update:
    """A private-chat text message from ``user``."""
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": user, "type": "private"},
                "from": {"id": user, "is_bot": False, "first_name": "U"},
                "text": text,
            },
        }
    )

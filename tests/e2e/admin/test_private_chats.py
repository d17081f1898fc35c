"""The bot answers in private chats only: an update from a group (the bot added to one while "Allow
Groups" is on in BotFather) is dropped and the bot leaves, so no panel, login prompt, key or balance is
ever posted where others read it."""

from __future__ import annotations

import time
from typing import Any

from sigmatrade.domain.enums import AdminRole
from sigmatrade.sandbox.harness import Harness
from tests.e2e.admin.helpers import admin_client

GROUP = -1001234567890


def _group_message(client_user: dict[str, Any], text: str, message_id: int) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(maxsplit=1)[0])}]
    return {
        "message": {
            "message_id": message_id,
            "from": client_user,
            "chat": {"id": GROUP, "type": "supergroup", "title": "Traders"},
            "date": int(time.time()),
            **content,
        }
    }


async def test_group_updates_are_dropped_and_the_bot_leaves(harness: Harness) -> None:
    emu = harness.emulator
    admin = await admin_client(harness, 9801, role=AdminRole.SUPER_ADMIN)
    guest = harness.user(9802, "Guest", language_code="en")
    since = len(emu.events)
    sends_before = len(emu.calls("sendMessage"))
    for n, (who, text) in enumerate(
        [(admin, "/admin"), (admin, "/start"), (guest, "/start"), (guest, "/help"), (admin, "hello")], 1
    ):
        pending = emu.push_update(_group_message(who.user.as_telegram(), text, 10_000 + n))
        await emu.wait_processed(pending)
    # A button pressed under a message in the group (as if one had been posted there).
    query = {
        "id": "group-q-1",
        "from": admin.user.as_telegram(),
        "chat_instance": "g",
        "data": "adm:panel",
        "message": {
            "message_id": 10_100,
            "date": int(time.time()),
            "chat": {"id": GROUP, "type": "group", "title": "Traders"},
            "text": "…",
        },
    }
    emu._callbacks["group-q-1"] = {"at": time.monotonic(), "chat_id": GROUP, "answered": False}
    await emu.wait_processed(emu.push_update({"callback_query": query}))

    assert len(emu.calls("sendMessage")) == sends_before  # nothing sent, to the group or anyone
    events = emu.events[since:]
    assert {e.kind for e in events} <= {"leave", "answer"}
    assert [e.chat_id for e in events if e.kind == "leave"] == [GROUP] * 6
    # The private chat still works for both.
    assert "Admin panel" in (await admin.send("/admin")).text
    assert "Welcome" in (await guest.send("/start")).text

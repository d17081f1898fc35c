"""Test-side client of the emulator: act as a Telegram user and look at what the bot did."""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sigmatrade.sandbox.emulator.server import BotApiEmulator, _media_json
from sigmatrade.sandbox.emulator.state import ChatEvent, EmuMessage, EmuUser, PendingUpdate

_query_seq = itertools.count(1)


@dataclass
class Exchange:
    """Everything the bot did in the user's chat while processing one update."""

    update_id: int
    events: list[ChatEvent]

    @property
    def sent(self) -> list[EmuMessage]:
        return [e.message for e in self.events if e.kind == "send" and e.message is not None]

    @property
    def edited(self) -> list[EmuMessage]:
        return [e.message for e in self.events if e.kind == "edit" and e.message is not None]

    @property
    def deleted(self) -> list[EmuMessage]:
        return [e.message for e in self.events if e.kind == "delete" and e.message is not None]

    @property
    def answer(self) -> dict[str, Any] | None:
        answers = [e.data for e in self.events if e.kind == "answer"]
        return answers[-1] if answers else None

    @property
    def screens(self) -> list[EmuMessage]:
        """Messages sent or edited, in order."""
        return [e.message for e in self.events if e.kind in ("send", "edit") and e.message is not None]

    @property
    def last(self) -> EmuMessage:
        screens = self.screens
        if not screens:
            raise AssertionError(
                f"the bot showed nothing for update {self.update_id} (events: {self.events})"
            )
        return screens[-1]

    @property
    def text(self) -> str:
        return self.last.body

    @property
    def all_text(self) -> str:
        return "\n".join(m.body for m in self.screens)

    def buttons(self) -> list[str]:
        return [b["text"] for b in self.last.buttons()]


class UserClient:
    def __init__(self, emulator: BotApiEmulator, user: EmuUser) -> None:
        self.emu = emulator
        self.user = user

    @property
    def id(self) -> int:
        return self.user.id

    # ---------------------------------------------------------------- acting
    def _message_payload(self, **content: Any) -> dict[str, Any]:
        self.user.started = True
        msg = self.emu._new_message(self.user.id, from_bot=False, text=content.get("text"))
        payload: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self.user.as_telegram(),
            "chat": self.user.as_chat(),
            "date": int(time.time()),
            **content,
        }
        return {"message": payload}

    async def _run(self, payload: dict[str, Any], timeout: float) -> Exchange:
        self.user.blocked_bot = False
        since = len(self.emu.events)
        pending = self.emu.push_update(payload, self.user.id)
        await self.emu.wait_processed(pending, timeout)
        return Exchange(pending.update_id, self.emu.chat_events(self.user.id, since))

    def _text_payload(self, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._message_payload(**content)

    async def send(self, text: str, *, timeout: float = 20) -> Exchange:
        return await self._run(self._text_payload(text), timeout)

    def post(self, text: str) -> PendingUpdate:
        """Queue a text message without waiting for the bot (its receipt is ``pending.processed``)."""
        self.user.blocked_bot = False
        return self.emu.push_update(self._text_payload(text), self.user.id)

    async def wait_reply(self, since: int, *, timeout: float = 10) -> ChatEvent:
        """The first message the bot sent this user after event index ``since``."""
        return await self.emu.wait_for_event(
            lambda e: e.chat_id == self.user.id and e.kind == "send", since=since, timeout=timeout
        )

    async def send_media(
        self,
        kind: str,
        *,
        caption: str | None = None,
        size: int = 50_000,
        file_name: str | None = None,
        mime_type: str | None = None,
        timeout: float = 20,
    ) -> Exchange:
        """Send a photo/video/voice/audio/document (or 'sticker', 'location' for unsupported types)."""
        content: dict[str, Any] = {}
        if kind == "sticker":
            content["sticker"] = {
                "file_id": "STICKER" + secrets.token_hex(4),
                "file_unique_id": "S1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        elif kind == "location":
            content["location"] = {"latitude": 55.75, "longitude": 37.61}
        else:
            stored = self.emu._store_file(kind, size, file_name=file_name, mime_type=mime_type)
            content.update(_media_json(stored))
        if caption:
            content["caption"] = caption
        return await self._run(self._message_payload(**content), timeout)

    def find_button(self, label: str, message: EmuMessage | None = None) -> tuple[EmuMessage, dict[str, Any]]:
        candidates = [message] if message else list(reversed(self.emu.bot_messages(self.user.id)))
        for exact in (True, False):
            for msg in candidates:
                if msg is None or msg.deleted:
                    continue
                for button in msg.buttons():
                    text = button["text"]
                    if (text == label) if exact else (label.lower() in text.lower()):
                        return msg, button
        shown = [m.button_rows() for m in candidates[:3] if m is not None]
        raise AssertionError(f"no button {label!r} in the recent bot messages; buttons were: {shown}")

    async def press(self, label: str, *, message: EmuMessage | None = None, timeout: float = 20) -> Exchange:
        msg, button = self.find_button(label, message)
        if "callback_data" not in button:
            raise AssertionError(f"button {label!r} is not a callback button: {button}")
        return await self.press_data(button["callback_data"], message=msg, timeout=timeout)

    def _callback_payload(self, data: str, message: EmuMessage | None) -> dict[str, Any]:
        self.user.started = True
        if message is None:
            msgs = self.emu.bot_messages(self.user.id)
            message = msgs[-1] if msgs else None
        query_id = f"{self.user.id}{next(_query_seq):08d}"
        payload: dict[str, Any] = {
            "id": query_id,
            "from": self.user.as_telegram(),
            "chat_instance": str(self.user.id),
            "data": data,
        }
        if message is not None:
            payload["message"] = self.emu._message_json(message)
        self.emu._callbacks[query_id] = {"at": time.monotonic(), "chat_id": self.user.id, "answered": False}
        return {"callback_query": payload}

    async def press_data(
        self, data: str, *, message: EmuMessage | None = None, timeout: float = 20
    ) -> Exchange:
        """Press a button with arbitrary callback data (forged data included)."""
        return await self._run(self._callback_payload(data, message), timeout)

    def push_press(self, data: str, message: EmuMessage | None = None) -> PendingUpdate:
        """Press a button without waiting for the bot (its receipt is ``pending.processed``)."""
        self.user.blocked_bot = False
        return self.emu.push_update(self._callback_payload(data, message), self.user.id)

    def block_bot(self) -> None:
        self.user.blocked_bot = True

    def unblock_bot(self) -> None:
        self.user.blocked_bot = False

    # ---------------------------------------------------------------- looking
    def messages(self) -> list[EmuMessage]:
        return [m for m in self.emu.bot_messages(self.user.id) if not m.deleted]

    @property
    def last_message(self) -> EmuMessage:
        msgs = self.messages()
        if not msgs:
            raise AssertionError("the bot has not written to this user")
        return msgs[-1]

    async def wait_message(self, contains: str | None = None, *, timeout: float = 10) -> EmuMessage:
        """Wait for a (new) bot message in this chat, optionally containing a text."""
        since = len(self.emu.events)

        def match(event: ChatEvent) -> bool:
            return (
                event.chat_id == self.user.id
                and event.kind == "send"
                and event.message is not None
                and (contains is None or contains in event.message.body)
            )

        for event in self.emu.events:
            if match(event) and contains is not None:
                assert event.message is not None
                return event.message
        found = await self.emu.wait_for_event(match, since=since, timeout=timeout)
        assert found.message is not None
        return found.message


def user_client(
    emulator: BotApiEmulator,
    user_id: int,
    first_name: str = "Test",
    *,
    username: str | None = None,
    language_code: str | None = "ru",
    last_name: str | None = None,
) -> UserClient:
    """A Telegram user the tests act as (created on first use)."""
    user = emulator.add_user(
        user_id, first_name, username=username, language_code=language_code, last_name=last_name
    )
    return UserClient(emulator, user)

"""What the emulator remembers: users, chats, messages, files, updates, and every request."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class EmuUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    blocked_bot: bool = False
    deactivated: bool = False
    started: bool = False  # has written to the bot at least once (a private chat exists)

    def as_telegram(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def as_chat(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # photo, video, voice, audio, document
    size: int
    content: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None
    duration: int | None = None


@dataclass
class EmuMessage:
    """A message in a private chat, as the emulator holds it (bot's or user's)."""

    chat_id: int
    message_id: int
    from_bot: bool
    date: int
    text: str | None = None  # plain text after entity parsing
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    source_html: str | None = None  # what the bot sent before parsing
    media_kind: str | None = None
    file: StoredFile | None = None
    reply_markup: dict[str, Any] | None = None
    deleted: bool = False
    edit_count: int = 0

    @property
    def body(self) -> str:
        return self.text if self.text is not None else (self.caption or "")

    def buttons(self) -> list[dict[str, Any]]:
        if not self.reply_markup:
            return []
        return [button for row in self.reply_markup.get("inline_keyboard", []) for button in row]

    def button_rows(self) -> list[list[str]]:
        if not self.reply_markup:
            return []
        return [[b["text"] for b in row] for row in self.reply_markup.get("inline_keyboard", [])]


@dataclass
class ChatEvent:
    """Something the bot did in a chat: send, edit, delete, callback answer, chat action."""

    kind: str  # "send", "edit", "delete", "answer", "action", "leave"
    chat_id: int
    message: EmuMessage | None = None
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    update_id: int | None = None  # the update being processed when this happened (if known)


@dataclass
class RecordedRequest:
    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


@dataclass
class PendingUpdate:
    update_id: int
    payload: dict[str, Any]
    processed: asyncio.Future[None]
    chat_id: int | None = None


@dataclass
class Fault:
    """An injected failure for the next call(s) of a method."""

    method: str
    status: int
    description: str
    retry_after: int | None = None
    remaining: int = 1
    chat_id: int | None = None

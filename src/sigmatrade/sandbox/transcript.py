"""A readable transcript of a conversation with the bot (demo output)."""

from __future__ import annotations

import sys
import textwrap
from typing import TextIO

from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.emulator.state import EmuMessage


class Transcript:
    def __init__(self, out: TextIO | None = None, width: int = 96) -> None:
        self.out = out or sys.stdout
        self.width = width
        self.steps = 0

    def section(self, title: str) -> None:
        self.out.write(f"\n{'═' * self.width}\n  {title}\n{'═' * self.width}\n")
        self.out.flush()

    def note(self, text: str) -> None:
        self.out.write(f"  · {text}\n")
        self.out.flush()

    def user(self, client: UserClient, action: str) -> None:
        self.steps += 1
        who = client.user.username or client.user.first_name
        self.out.write(f"\n👤 {who} [{client.user.language_code}] ▶ {action}\n")

    def bot(self, ex: Exchange) -> None:
        for msg in ex.screens:
            self.message(msg, edited=msg in ex.edited)
        if ex.answer and ex.answer.get("text"):
            kind = "alert" if ex.answer.get("show_alert") else "toast"
            self.out.write(f"   🤖 ({kind}) {ex.answer['text']}\n")
        self.out.flush()

    def message(self, msg: EmuMessage, *, edited: bool = False) -> None:
        label = "🤖 (edited)" if edited else "🤖"
        media = f"[{msg.media_kind}] " if msg.media_kind else ""
        body = media + msg.body
        lines = []
        for paragraph in body.splitlines() or [""]:
            lines.extend(textwrap.wrap(paragraph, self.width - 6) or [""])
        self.out.write(f"   {label}\n")
        for line in lines:
            self.out.write(f"   │ {line}\n")
        for row in msg.button_rows():
            self.out.write("   │ " + "  ".join(f"[{b}]" for b in row) + "\n")

    async def send(self, client: UserClient, text: str) -> Exchange:
        self.user(client, text)
        ex = await client.send(text)
        self.bot(ex)
        return ex

    async def press(self, client: UserClient, label: str) -> Exchange:
        self.user(client, f"[{label}]")
        ex = await client.press(label)
        self.bot(ex)
        return ex

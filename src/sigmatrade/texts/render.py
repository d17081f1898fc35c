"""HTML rendering helpers (parse mode HTML): every value is escaped unless explicitly safe.

``Safe`` marks markup produced by these helpers; anything else passed to a template is
escaped by the translator. Limits: text 4096, caption 1024, callback answer 200.
"""

from __future__ import annotations

import html
from typing import Any

from sigmatrade.texts.telegram_html import utf16_len

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ANSWER_LIMIT = 200


class Safe(str):
    """A string that is already valid Telegram HTML."""

    __slots__ = ()


def escape(value: Any) -> Safe:
    if isinstance(value, Safe):
        return value
    return Safe(html.escape("" if value is None else str(value), quote=True))


def code(value: Any) -> Safe:
    return Safe(f"<code>{escape(value)}</code>")


def bold(value: Any) -> Safe:
    return Safe(f"<b>{escape(value)}</b>")


def italic(value: Any) -> Safe:
    return Safe(f"<i>{escape(value)}</i>")


def link(url: str, label: Any) -> Safe:
    return Safe(f'<a href="{html.escape(url, quote=True)}">{escape(label)}</a>')


def join(parts: list[Any], sep: str = "\n") -> Safe:
    return Safe(escape(sep).join(escape(p) for p in parts))


def plain_length(markup: str) -> int:
    """Length Telegram counts for an HTML text (after entity parsing), in UTF-16 units."""
    from sigmatrade.texts.telegram_html import parse_html

    text, _ = parse_html(markup)
    return utf16_len(text)


def truncate_plain(text: str, limit: int) -> str:
    """Cut plain (not HTML) text to ``limit`` UTF-16 units with an ellipsis: the units Telegram counts
    its limits in (an emoji takes two), so a cut text fits the room it was cut for."""
    if len(text) * 2 <= limit or utf16_len(text) <= limit:
        return text
    room = max(0, limit - 1)
    used = 0
    for index, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > room:
            return text[:index] + "…"
    return text[:room] + "…"


def strip_controls(text: str) -> str:
    """Drop Unicode control characters (except newline and tab) from stored free text."""
    return "".join(ch for ch in text if ch in "\n\t" or (ord(ch) >= 32 and not 0x7F <= ord(ch) <= 0x9F))


BAR_CELLS = 10  # cells of a progress bar (domain.levels.progress counts them)


def progress_bar(cells: int) -> str:
    """``▰▰▰▱▱▱▱▱▱▱`` with ``cells`` of ``BAR_CELLS`` filled."""
    return "▰" * cells + "▱" * (BAR_CELLS - cells)

"""Telegram's HTML parse mode, as the Bot API applies it to ``text`` and ``caption``.

Returns the plain text and its entities, or raises :class:`EntityParseError` carrying the
message Telegram puts after ``Bad Request: can't parse entities:``. Offsets in the error
messages are byte offsets in the UTF-8 input; entity offsets are UTF-16 code units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}
_PLAIN_RUN = re.compile(r"[^<&]+")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    pass


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    argument: str
    utf16_start: int
    char_start: int


@dataclass
class _Parser:
    text: str
    out: list[str] = field(default_factory=list)
    utf16: int = 0
    stack: list[_Open] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)

    def byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8"))

    def fail(self, message: str) -> EntityParseError:
        return EntityParseError(message)

    def emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.utf16 += utf16_len(chunk)


def _decode_entity(text: str, pos: int) -> tuple[str | None, int]:
    """Decode an HTML entity starting at text[pos] == '&'. Unknown ones are left as literal '&'."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        value = 0
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(text[end], 16)
                end += 1
        else:
            while end < n and text[end].isdigit() and text[end].isascii():
                value = value * 10 + int(text[end])
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None, pos
        decoded = chr(value)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        name = text[pos + 1 : end]
        if name not in _NAMED:
            return None, pos
        decoded = _NAMED[name]
    if end < n and text[end] == ";":
        end += 1
    return decoded, end


def _checked_link(url: str) -> str | None:
    url = url.strip()
    low = url.lower()
    if low.startswith(("http://", "https://", "tg://", "ton://")):
        return url if len(url) > low.find("//") + 2 else None
    if "." in url and " " not in url and not low.startswith(("javascript:", "data:")):
        return "http://" + url
    return None


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    p = _Parser(text)
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded, nxt = _decode_entity(text, i)
            if decoded is not None:
                p.emit(decoded)
                i = nxt
                continue
        if c != "<":
            # this character (plain, or an '&' that starts no entity) and the plain run after it
            plain = _PLAIN_RUN.match(text, i + 1)
            end = plain.end() if plain is not None else i + 1
            p.emit(text[i:end])
            i = end
            continue
        begin = i
        i += 1
        if i >= n or text[i] != "/":
            i = _start_tag(p, begin, i)
        else:
            i = _end_tag(p, begin, i)
    if p.stack:
        raise p.fail(f'Can\'t find end tag corresponding to start tag "{p.stack[-1].tag}"')
    for entity in p.entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    p.entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(p.out), p.entities


def _start_tag(p: _Parser, begin: int, i: int) -> int:
    text, n = p.text, len(p.text)
    while i < n and not text[i].isspace() and text[i] != ">":
        i += 1
    if i >= n:
        raise p.fail(f"Unclosed start tag at byte offset {p.byte_offset(begin)}")
    tag = text[begin + 1 : i].lower()
    if tag not in SUPPORTED_TAGS:
        raise p.fail(f'Unsupported start tag "{tag}" at byte offset {p.byte_offset(begin)}')
    argument = ""
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise p.fail(f"Unclosed start tag at byte offset {p.byte_offset(begin)}")
        if text[i] == ">":
            break
        attr_begin = i
        while i < n and not text[i].isspace() and text[i] != "=":
            i += 1
        name = text[attr_begin:i]
        if not name:
            raise p.fail(f'Empty attribute name in the tag "{tag}" at byte offset {p.byte_offset(begin)}')
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != "=":
            raise p.fail(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {p.byte_offset(begin)}"
            )
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            raise p.fail(f'Unclosed start tag "{tag}" at byte offset {p.byte_offset(begin)}')
        if text[i] not in "'\"":
            token_begin = i
            while i < n and (text[i].isalnum() or text[i] in ".-"):
                i += 1
            value = text[token_begin:i].lower()
            if i < n and not text[i].isspace() and text[i] != ">":
                raise p.fail(f"Unexpected end of name token at byte offset {p.byte_offset(token_begin)}")
        else:
            quote = text[i]
            i += 1
            chars: list[str] = []
            while i < n and text[i] != quote:
                if text[i] == "&":
                    decoded, nxt = _decode_entity(text, i)
                    if decoded is not None:
                        chars.append(decoded)
                        i = nxt
                        continue
                chars.append(text[i])
                i += 1
            if i < n:
                i += 1
            value = "".join(chars)
        if i >= n:
            raise p.fail(f"Unclosed start tag at byte offset {p.byte_offset(begin)}")
        if tag == "a" and name == "href":
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "tg-emoji" and name == "emoji-id":
            argument = value
    if tag == "span" and argument != "spoiler":
        raise p.fail(f'Tag "span" must have class "tg-spoiler" at byte offset {p.byte_offset(begin)}')
    p.stack.append(_Open(tag, argument, p.utf16, len(p.out)))
    return i + 1


def _end_tag(p: _Parser, begin: int, i: int) -> int:
    text, n = p.text, len(p.text)
    if not p.stack:
        raise p.fail(f"Unexpected end tag at byte offset {p.byte_offset(begin)}")
    i += 1  # skip '/'
    name_begin = i
    while i < n and not text[i].isspace() and text[i] != ">":
        i += 1
    end_name = text[name_begin:i].lower()
    while i < n and text[i].isspace():
        i += 1
    if i >= n or text[i] != ">":
        raise p.fail(f"Unclosed end tag at byte offset {p.byte_offset(begin)}")
    top = p.stack[-1]
    if end_name and end_name != top.tag:
        raise p.fail(
            f'Unmatched end tag at byte offset {p.byte_offset(begin)}, expected "</{top.tag}>", found "</{end_name}>"'
        )
    length = p.utf16 - top.utf16_start
    if length > 0:
        _add_entity(p, top, length)
    p.stack.pop()
    return i + 1


def _add_entity(p: _Parser, top: _Open, length: int) -> None:
    offset = top.utf16_start
    if top.tag in _SIMPLE or (top.tag == "span" and top.argument == "spoiler"):
        kind = _SIMPLE.get(top.tag, "spoiler")
        p.entities.append({"type": kind, "offset": offset, "length": length})
    elif top.tag == "tg-emoji":
        if not top.argument.isdigit() or int(top.argument) == 0:
            raise p.fail("Invalid custom emoji identifier specified")
        p.entities.append(
            {"type": "custom_emoji", "offset": offset, "length": length, "custom_emoji_id": top.argument}
        )
    elif top.tag == "a":
        url = top.argument or "".join(p.out[top.char_start :])
        if url.startswith("tg://user?id="):
            p.entities.append(
                {"type": "text_mention", "offset": offset, "length": length, "user_id": url[13:]}
            )
            return
        checked = _checked_link(url)
        if checked:
            p.entities.append({"type": "text_link", "offset": offset, "length": length, "url": checked})
    elif top.tag == "pre":
        last = p.entities[-1] if p.entities else None
        if (
            last
            and last["type"] == "code"
            and last["offset"] == offset
            and last["length"] == length
            and last.get("language")
        ):
            last["type"] = "pre"
        else:
            p.entities.append({"type": "pre", "offset": offset, "length": length})
    elif top.tag == "code":
        last = p.entities[-1] if p.entities else None
        if (
            last
            and last["type"] == "pre"
            and last["offset"] == offset
            and last["length"] == length
            and top.argument
        ):
            last["language"] = top.argument
        else:
            entity: dict[str, Any] = {"type": "code", "offset": offset, "length": length}
            if top.argument:
                entity["language"] = top.argument
            p.entities.append(entity)

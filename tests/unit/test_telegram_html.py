"""The HTML entity parser (``texts.telegram_html``) copies plain text in runs, not character by
character; the result must be exactly what the one-character-at-a-time reading gives."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sigmatrade.bot.keyboards import MAX_BUTTONS, MAX_ROW_WIDTH, Keyboard, button
from sigmatrade.texts import telegram_html as th

PIECES = st.sampled_from(
    ["a", "Ж", "🙂", " ", "\n", "&", "&amp;", "&lt;", "&#65;", "&#x1F600;", "&bogus;", "<b>", "</b>", "<i>",
     "</i>", "<code>", "</code>", '<a href="https://t.me/x">', "</a>", "<", ">", ";", "#"]
)  # fmt: skip


def _one_char_at_a_time(text: str) -> tuple[str, list[dict[str, Any]]] | str:
    p = th._Parser(text)
    i, n = 0, len(text)
    try:
        while i < n:
            c = text[i]
            if c == "&":
                decoded, nxt = th._decode_entity(text, i)
                if decoded is not None:
                    p.emit(decoded)
                    i = nxt
                    continue
            if c != "<":
                p.emit(c)
                i += 1
                continue
            begin = i
            i += 1
            i = th._start_tag(p, begin, i) if i >= n or text[i] != "/" else th._end_tag(p, begin, i)
        if p.stack:
            return "error"
    except ValueError:
        return "error"
    for entity in p.entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    p.entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(p.out), p.entities


@settings(max_examples=400)
@given(st.lists(PIECES, max_size=40).map("".join))
def test_plain_runs_parse_like_single_characters(text: str) -> None:
    try:
        got: tuple[str, list[dict[str, Any]]] | str = th.parse_html(text)
    except ValueError:
        got = "error"
    assert got == _one_char_at_a_time(text)


def test_keyboard_rows_and_limits() -> None:
    b = [button(str(i), f"d{i}") for i in range(10)]
    markup = Keyboard().row(*b[:3]).row(*b[3:10], width=3).as_markup()
    assert [[x.text for x in row] for row in markup.inline_keyboard] == [
        ["0", "1", "2"], ["3", "4", "5"], ["6", "7", "8"], ["9"]
    ]  # fmt: skip
    wide = Keyboard().row(*[button(str(i), f"d{i}") for i in range(MAX_ROW_WIDTH + 1)]).as_markup()
    assert [len(row) for row in wide.inline_keyboard] == [MAX_ROW_WIDTH, 1]
    too_many = Keyboard().row(*[button(str(i), f"d{i}") for i in range(MAX_BUTTONS + 1)])
    try:
        too_many.as_markup()
    except ValueError:
        pass
    else:
        raise AssertionError("more than 100 buttons must be refused")

"""Inline keyboards shared by many screens."""

from __future__ import annotations

import functools

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sigmatrade.bot.callbacks import Adm, Lang, Nav, Pg, Reg
from sigmatrade.texts.i18n import Translator

MAX_ROW_WIDTH = 8  # Telegram's limits for inline keyboards
MAX_BUTTONS = 100


class Keyboard:
    """Rows of inline buttons for one screen.

    What aiogram's ``Keyboard`` does for us (rows, Telegram's size limits), without its
    deep copy of every button on ``as_markup`` — 40–60 µs per button, a tenth of a menu screen's time.
    A keyboard is built, turned into markup once and dropped, so nothing needs the copy."""

    __slots__ = ("_rows",)

    def __init__(self) -> None:
        self._rows: list[list[InlineKeyboardButton]] = []

    def row(self, *buttons: InlineKeyboardButton, width: int = MAX_ROW_WIDTH) -> Keyboard:
        """Add ``buttons`` as one row (split into rows of ``width`` when there are more)."""
        if not 1 <= width <= MAX_ROW_WIDTH:
            raise ValueError(f"row width {width} is not within 1..{MAX_ROW_WIDTH}")
        self._rows.extend(list(buttons[pos : pos + width]) for pos in range(0, len(buttons), width))
        return self

    def as_markup(self) -> InlineKeyboardMarkup:
        if sum(len(row) for row in self._rows) > MAX_BUTTONS:
            raise ValueError(f"more than {MAX_BUTTONS} buttons on one keyboard")
        return InlineKeyboardMarkup(inline_keyboard=[list(row) for row in self._rows])


def button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


def back_row(t: Translator, to: str = "menu") -> list[InlineKeyboardButton]:
    return [button(t.raw("btn.back"), Nav(to=to).pack())]


def only_back(t: Translator, to: str = "menu") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[back_row(t, to)])


def menu_only(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(t.raw("btn.menu"), Nav(to="menu").pack())]])


def cancel_only(t: Translator, to: str = "menu") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(t.raw("btn.cancel"), Nav(to=to).pack())]])


# The two home keyboards depend on the language and two flags only, and the catalogues do not change
# while the process runs: each variant is built once (a menu is 13 buttons of pydantic models and
# packed callback data, ~0.5 ms) and the same markup object is sent every time. Nothing mutates a
# markup after it is built.
def welcome(t: Translator) -> InlineKeyboardMarkup:
    return _welcome(t.lang)


@functools.cache
def _welcome(lang: str) -> InlineKeyboardMarkup:
    t = Translator(lang)
    kb = Keyboard()
    kb.row(button(t.raw("btn.register"), Reg(action="start").pack()))
    kb.row(
        button(t.raw("btn.instructions"), Nav(to="instructions").pack()),
        button(t.raw("btn.help"), Nav(to="help").pack()),
    )
    kb.row(button(t.raw("btn.language"), Nav(to="language").pack()))
    return kb.as_markup()


def main_menu(t: Translator, *, verified: bool, is_admin: bool) -> InlineKeyboardMarkup:
    return _main_menu(t.lang, verified, is_admin)


@functools.cache
def _main_menu(lang: str, verified: bool, is_admin: bool) -> InlineKeyboardMarkup:
    t = Translator(lang)
    kb = Keyboard()
    if not verified:
        kb.row(button(t.raw("btn.verify"), Reg(action="verify").pack()))
    kb.row(
        button(t.raw("btn.profile"), Nav(to="profile").pack()),
        button(t.raw("btn.deposits"), Nav(to="deposits").pack()),
    )
    kb.row(
        button(t.raw("btn.withdraw"), Nav(to="withdraw").pack()),
        button(t.raw("btn.referrals"), Nav(to="referrals").pack()),
    )
    kb.row(
        button(t.raw("btn.history"), Nav(to="history").pack()),
        button(t.raw("btn.support"), Nav(to="support").pack()),
    )
    kb.row(
        button(t.raw("btn.help"), Nav(to="help").pack()),
        button(t.raw("btn.instructions"), Nav(to="instructions").pack()),
    )
    kb.row(button(t.raw("btn.settings"), Nav(to="settings").pack()))
    if is_admin:
        kb.row(button(t.raw("btn.admin_panel"), Adm(sec="panel").pack()))
    return kb.as_markup()


def languages(t: Translator, back_to: str) -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.row(
        button(t.raw("lang.name.ru"), Lang(code="ru").pack()),
        button(t.raw("lang.name.en"), Lang(code="en").pack()),
    )
    kb.row(*back_row(t, back_to))
    return kb.as_markup()


def pager(make: object, page: int, pages: int) -> list[InlineKeyboardButton]:
    """[◀] [page/total] [▶] row; ``make(page)`` returns the callback data of a page."""
    row = []
    if page > 1:
        row.append(button("◀", make(page - 1)))  # type: ignore[operator]
    row.append(button(f"{page}/{max(pages, 1)}", Pg(n=page).pack()))
    if page < pages:
        row.append(button("▶", make(page + 1)))  # type: ignore[operator]
    return row


def clamp_page(page: int, pages: int) -> int:
    """Missing, 0 or negative -> 1; beyond the last -> last."""
    pages = max(pages, 1)
    return 1 if page < 1 else min(page, pages)


def url_button(text: str, url: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, url=url)

"""Inline keyboards shared by many screens."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from sigmatrade.bot.callbacks import Adm, Lang, Nav, Pg, Reg
from sigmatrade.texts.i18n import Translator


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


def welcome(t: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.row(button(t.raw("btn.register"), Reg(action="start").pack()))
    kb.row(
        button(t.raw("btn.instructions"), Nav(to="instructions").pack()),
        button(t.raw("btn.help"), Nav(to="help").pack()),
    )
    kb.row(button(t.raw("btn.language"), Nav(to="language").pack()))
    return kb.as_markup()


def main_menu(t: Translator, *, verified: bool, is_admin: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
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
    kb = InlineKeyboardBuilder()
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

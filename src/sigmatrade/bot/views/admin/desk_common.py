"""Pieces every money-desk screen uses: ages, amounts, the person a payout belongs to, explorer links,
pagination and the way back to the panel. Pure."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from aiogram.types import InlineKeyboardButton

from sigmatrade import clock
from sigmatrade.bot.callbacks import Adm
from sigmatrade.bot.keyboards import button
from sigmatrade.domain.money import format_amount
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, escape, link

PANEL = Adm(sec="panel").pack()


def age(t: Translator, since: datetime | None, now: datetime | None = None) -> str:
    """``3d 4h``, ``2h 5m``, ``7m`` (at least ``0m``)."""
    if since is None:
        return "—"
    seconds = max(0, int(((now or clock.now()) - since).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return t.plain("adm.desk.age.dh", d=days, h=hours)
    if hours:
        return t.plain("adm.desk.age.hm", h=hours, m=minutes)
    return t.plain("adm.desk.age.m", m=minutes)


def money(t: Translator, value: Decimal) -> str:
    return format_amount(value, t.lang)


class Named(Protocol):
    """A user as the desk names one: a ``User`` row, or the columns a list read (``withdrawals.Person``)."""

    @property
    def id(self) -> int: ...
    @property
    def telegram_id(self) -> int: ...
    @property
    def username(self) -> str | None: ...
    @property
    def first_name(self) -> str | None: ...


def who(user: Named | None) -> Safe:
    """``@name (id 123)`` / ``First (id 123)`` for a user; ``—`` for a refund's sender."""
    if user is None:
        return Safe("—")
    name = f"@{user.username}" if user.username else (user.first_name or f"#{user.id}")
    return Safe(f"{escape(name)} (<code>{user.telegram_id}</code>)")


def tx_link(t: Translator, explorer: str, tx_hash: str | None) -> Safe:
    if not tx_hash:
        return Safe("—")
    return link(f"{explorer.rstrip('/')}/tx/{tx_hash}", tx_hash[:10] + "…")


def address_link(explorer: str, address: str) -> Safe:
    return link(f"{explorer.rstrip('/')}/address/{address}", address)


def pager(t: Translator, sec: str, act: str, page: int, pages: int) -> list[InlineKeyboardButton]:
    if pages <= 1:
        return []
    row = []
    if page > 1:
        row.append(button("‹", Adm(sec=sec, act=act, page=page - 1).pack()))
    row.append(
        button(t.plain("adm.desk.page", page=page, pages=pages), Adm(sec=sec, act=act, page=page).pack())
    )
    if page < pages:
        row.append(button("›", Adm(sec=sec, act=act, page=page + 1).pack()))
    return row


def back_to_panel(t: Translator) -> InlineKeyboardButton:
    return button(t.raw("adm.desk.btn.panel"), PANEL)

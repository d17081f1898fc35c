"""Blacklist screen (SPEC §5.8 "Blacklist"). Pure."""

from __future__ import annotations

from datetime import tzinfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Adm
from sigmatrade.bot.views.admin.panel import back_to_panel
from sigmatrade.db.models import User
from sigmatrade.domain.timefmt import format_dt
from sigmatrade.services.admin.blacklist import EntryPage
from sigmatrade.services.users import display_name
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, join

Screen = tuple[Safe, InlineKeyboardMarkup]
SEC = "bl"


def _btn(label: str, act: str, page: int = 0) -> InlineKeyboardButton:
    return kb.button(label, Adm(sec=SEC, act=act, page=page).pack())


def listing(t: Translator, page: EntryPage, tz: tzinfo, *, note: Safe | None = None) -> Screen:
    lines = [t("adm.bl.title", total=page.total)]
    for n, entry in enumerate(page.entries, start=(page.page - 1) * 10 + 1):
        row = entry.row
        target = " · ".join(str(x) for x in (row.telegram_id, row.wallet_address_lc) if x)
        lines.append(
            t(
                "adm.bl.row",
                n=n,
                target=target,
                reason=row.reason or "—",
                by=entry.by if entry.by is not None else "—",
                date=format_dt(row.created_at, t.lang, tz),
            )
        )
    if not page.entries:
        lines.append(t("adm.bl.empty"))
    if note is not None:
        lines.insert(0, note)
    rows = [[_btn(t.raw("adm.bl.btn.add"), "add"), _btn(t.raw("adm.bl.btn.remove"), "remove")]]
    if page.pages > 1:
        rows.append(kb.pager(lambda p: Adm(sec=SEC, act="list", page=p).pack(), page.page, page.pages))
    rows.append(back_to_panel(t))
    return join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def prompt(t: Translator, key: str) -> Screen:
    return t(key), InlineKeyboardMarkup(inline_keyboard=[[_btn(t.raw("btn.cancel"), "list", 1)]])


def added(t: Translator, updated: bool, user: User | None) -> Screen:
    parts = [t("adm.bl.updated" if updated else "adm.bl.added")]
    rows: list[list[InlineKeyboardButton]] = []
    if user is not None and not user.is_banned:
        parts.append(t("adm.bl.is_user", id=user.id, name=display_name(user)))
        rows.append([kb.button(t.raw("adm.bl.btn.ban"), Adm(sec="users", act="ban", id=user.id).pack())])
    rows.append([_btn(t.raw("adm.bl.btn.list"), "list", 1)])
    return join(parts, "\n\n"), InlineKeyboardMarkup(inline_keyboard=rows)


def removed(t: Translator, count: int) -> Screen:
    return t("adm.bl.removed", count=count), InlineKeyboardMarkup(
        inline_keyboard=[[_btn(t.raw("adm.bl.btn.list"), "list", 1)]]
    )


def error(t: Translator, code: str) -> Screen:
    return prompt(t, f"adm.bl.err.{code}")

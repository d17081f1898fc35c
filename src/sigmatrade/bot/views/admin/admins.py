"""Admins screen (SPEC §5.8 "Admins"): list, view, role picker, confirmations, the one-time key."""

from __future__ import annotations

from datetime import tzinfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Adm, Nav
from sigmatrade.bot.views.admin.panel import back_to_panel
from sigmatrade.db.models import Admin
from sigmatrade.domain.enums import AdminRole
from sigmatrade.domain.timefmt import format_dt
from sigmatrade.services.admin.admins import AdminPage, locked
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, join

Screen = tuple[Safe, InlineKeyboardMarkup]
SEC = "admins"


def _name(admin: Admin) -> str:
    return f"@{admin.username}" if admin.username else "—"


def _yes(t: Translator, value: bool) -> str:
    return t.raw("adm.admins.yes" if value else "adm.admins.no")


def _role(t: Translator, role: str) -> str:
    return t.raw(f"adm.role.{role}")


def back_row(t: Translator) -> list[InlineKeyboardButton]:
    return [kb.button(t.raw("adm.admins.btn.back"), Adm(sec=SEC, act="list").pack())]


def listing(t: Translator, page: AdminPage, tz: tzinfo) -> Screen:
    lines = [t("adm.admins.title", total=page.total)]
    rows: list[list[InlineKeyboardButton]] = []
    for n, item in enumerate(page.rows, start=(page.page - 1) * 10 + 1):
        a = item.admin
        lines.append(
            t(
                "adm.admins.line",
                n=n,
                role=_role(t, a.role),
                tg=a.telegram_id,
                name=_name(a),
                has_key=_yes(t, a.master_key_hash is not None),
                last=format_dt(a.last_login_at, t.lang, tz),
                by=item.created_by if item.created_by is not None else t.raw("adm.admins.nobody"),
            )
        )
        rows.append([kb.button(f"{a.telegram_id} · {_name(a)}", Adm(sec=SEC, act="view", id=a.id).pack())])
    rows.append([kb.button(t.raw("adm.admins.btn.add"), Adm(sec=SEC, act="add").pack())])
    if page.pages > 1:
        rows.append(kb.pager(lambda p: Adm(sec=SEC, act="list", page=p).pack(), page.page, page.pages))
    rows.append(back_to_panel(t))
    return join(lines, "\n\n"), InlineKeyboardMarkup(inline_keyboard=rows)


def view(
    t: Translator, admin: Admin, created_by: int | None, tz: tzinfo, *, note: Safe | None = None
) -> Screen:
    text = t(
        "adm.admins.view",
        tg=admin.telegram_id,
        name=_name(admin),
        role=_role(t, admin.role),
        has_key=_yes(t, admin.master_key_hash is not None),
        locked=_yes(t, locked(admin)),
        last=format_dt(admin.last_login_at, t.lang, tz),
        created=format_dt(admin.created_at, t.lang, tz),
        via=admin.created_via,
        by=created_by if created_by is not None else t.raw("adm.admins.nobody"),
    )
    if note is not None:
        text = join([note, text], "\n\n")
    rows = [
        [kb.button(t.raw("adm.admins.btn.role"), Adm(sec=SEC, act="role", id=admin.id).pack())],
        [kb.button(t.raw("adm.admins.btn.reset"), Adm(sec=SEC, act="reset", id=admin.id).pack())],
        [kb.button(t.raw("adm.admins.btn.remove"), Adm(sec=SEC, act="remove", id=admin.id).pack())],
        back_row(t),
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def add_prompt(t: Translator) -> Screen:
    return t("adm.admins.add_prompt"), InlineKeyboardMarkup(inline_keyboard=[_cancel(t)])


def add_bad_id(t: Translator) -> Screen:
    return t("adm.admins.add_bad_id"), InlineKeyboardMarkup(inline_keyboard=[_cancel(t)])


def _cancel(t: Translator) -> list[InlineKeyboardButton]:
    return [kb.button(t.raw("btn.cancel"), Adm(sec=SEC, act="list").pack())]


def role_picker(t: Translator, telegram_id: int, act: str, admin_id: int = 0) -> Screen:
    rows = [
        [kb.button(_role(t, r), Adm(sec=SEC, act=act, id=admin_id, arg=r.value).pack())] for r in AdminRole
    ]
    rows.append(_cancel(t))
    return t("adm.admins.pick_role", tg=telegram_id), InlineKeyboardMarkup(inline_keyboard=rows)


def confirm(t: Translator, admin: Admin, what: str) -> Screen:
    rows = [
        [
            kb.button(
                t.raw(f"adm.admins.btn.confirm_{what}"), Adm(sec=SEC, act=f"{what}_ok", id=admin.id).pack()
            )
        ],
        [kb.button(t.raw("btn.cancel"), Adm(sec=SEC, act="view", id=admin.id).pack())],
    ]
    return t(f"adm.admins.confirm_{what}", tg=admin.telegram_id), InlineKeyboardMarkup(inline_keyboard=rows)


def key_message(t: Translator, telegram_id: int, role: str, key: str) -> Safe:
    return t("adm.admins.key", tg=telegram_id, role=_role(t, role), secret=key)


def error(t: Translator, code: str) -> str:
    return t.plain(f"adm.admins.err.{code}")


def menu_markup(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[kb.button(t.raw("btn.menu"), Nav(to="menu").pack())]])

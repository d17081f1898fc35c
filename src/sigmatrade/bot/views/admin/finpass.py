"""Finpass request screens (SPEC §5.8 "Finpass requests", §3.8.3). Pure: data in, screen out."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot.callbacks import Adm
from sigmatrade.bot.keyboards import Keyboard, button
from sigmatrade.bot.views.admin.desk_common import age, back_to_panel, money, pager, who
from sigmatrade.domain.enums import RecoveryStatus
from sigmatrade.services.admin import finpass as svc
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe

Screen = tuple[Safe, InlineKeyboardMarkup]
SEC = "fpr"


def queue(t: Translator, page: svc.EntryPage) -> Screen:
    lines = [t("adm.fpr.title", total=page.total)]
    if not page.items:
        lines.append(t("adm.fpr.empty"))
    builder = Keyboard()
    for item in page.items:
        r = item.request
        lines.append(
            t(
                "adm.fpr.item",
                id=r.id,
                user=who(item.user),
                age=age(t, r.created_at),
                status=t.raw(f"adm.fpr.status.{r.status}"),
            )
        )
        builder.row(button(f"#{r.id}", Adm(sec=SEC, act="view", id=r.id, page=page.page).pack()))
    nav = pager(t, SEC, "list", page.page, page.pages)
    if nav:
        builder.row(*nav)
    builder.row(back_to_panel(t))
    return Safe("\n".join(lines)), builder.as_markup()


def view(t: Translator, item: svc.Entry, page: int = 1) -> Screen:
    r, u = item.request, item.user
    handler = "—"
    if item.handler is not None:
        handler = f"@{item.handler.username}" if item.handler.username else str(item.handler.telegram_id)
    text = t(
        "adm.fpr.view",
        id=r.id,
        status=t.raw(f"adm.fpr.status.{r.status}"),
        user=who(u),
        user_id=u.id,
        available=money(t, item.balances.available) if item.balances else "—",
        blocked=t.raw("adm.fpr.yes" if u.earnings_blocked else "adm.fpr.no"),
        age=age(t, r.created_at),
        note=r.user_note or "—",
        handler=handler,
    )
    builder = Keyboard()
    if r.status == RecoveryStatus.PENDING:
        builder.row(button(t.raw("adm.fpr.btn.take"), Adm(sec=SEC, act="take", id=r.id).pack()))
    if r.status in svc.OPEN:
        builder.row(
            button(t.raw("adm.fpr.btn.approve"), Adm(sec=SEC, act="ok", id=r.id).pack()),
            button(t.raw("adm.fpr.btn.reject"), Adm(sec=SEC, act="rej", id=r.id).pack()),
        )
    builder.row(
        button(t.raw("adm.desk.btn.back"), Adm(sec=SEC, act="list", page=page).pack()), back_to_panel(t)
    )
    return text, builder.as_markup()


def confirm_approve(t: Translator, request_id: int) -> Screen:
    builder = Keyboard()
    builder.row(
        button(t.raw("adm.desk.btn.confirm"), Adm(sec=SEC, act="okyes", id=request_id).pack()),
        button(t.raw("adm.desk.btn.cancel"), Adm(sec=SEC, act="view", id=request_id).pack()),
    )
    return t("adm.fpr.confirm_approve", id=request_id), builder.as_markup()


def comment_prompt(t: Translator, request_id: int) -> Screen:
    builder = Keyboard()
    builder.row(button(t.raw("adm.fpr.btn.no_comment"), Adm(sec=SEC, act="rejn", id=request_id).pack()))
    builder.row(button(t.raw("adm.desk.btn.cancel"), Adm(sec=SEC, act="view", id=request_id).pack()))
    return t("adm.fpr.comment_prompt", id=request_id), builder.as_markup()


def done(t: Translator, key: str, request_id: int) -> Screen:
    builder = Keyboard()
    builder.row(button(t.raw("adm.desk.btn.back"), Adm(sec=SEC, act="list").pack()), back_to_panel(t))
    return t(key, id=request_id), builder.as_markup()

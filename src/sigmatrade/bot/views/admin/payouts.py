"""Payouts & DLQ screens (SPEC §5.8 "Payouts & DLQ", §4.6.9). Pure: data in, screen out."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot.callbacks import Adm
from sigmatrade.bot.keyboards import Keyboard, button
from sigmatrade.bot.views.admin.desk_common import (
    address_link,
    age,
    back_to_panel,
    money,
    pager,
    tx_link,
    who,
)
from sigmatrade.domain.enums import RetryErrorKind
from sigmatrade.services.admin import payouts as svc
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, truncate_plain

Screen = tuple[Safe, InlineKeyboardMarkup]
SEC = "po"


def overview(t: Translator, data: svc.Overview, explorer: str) -> Screen:
    lines = [t("adm.po.title", flights=data.in_flight_total, dlq=data.dlq_total)]
    if not data.in_flight:
        lines.append(t("adm.po.none_in_flight"))
    for flight in data.in_flight:
        p = flight.payout
        lines.append(
            t(
                "adm.po.flight",
                id=p.id,
                kind=t.raw(f"adm.desk.kind.{p.kind}"),
                user=who(flight.user),
                net=money(t, p.net_amount),
                status=t.raw(f"adm.wd.status.{p.status}"),
                age=age(t, p.approved_at or p.created_at),
                tx=tx_link(t, explorer, p.tx_hash),
            )
        )
    builder = Keyboard()
    builder.row(button(t.plain("adm.po.btn.dlq", n=data.dlq_total), Adm(sec=SEC, act="dlq", page=1).pack()))
    builder.row(button(t.raw("adm.btn.refresh"), Adm(sec=SEC).pack()), back_to_panel(t))
    return Safe("\n".join(lines)), builder.as_markup()


def dlq(t: Translator, page: svc.DlqPage) -> Screen:
    lines = [t("adm.po.dlq.title", total=page.total)]
    if not page.items:
        lines.append(t("adm.po.dlq.empty"))
    builder = Keyboard()
    for item in page.items:
        p, r = item.payout, item.retry
        lines.append(
            t(
                "adm.po.dlq.item",
                id=p.id,
                kind=t.raw(f"adm.desk.kind.{p.kind}"),
                user=who(item.user),
                amount=money(t, p.amount),
                attempts=r.attempt_count,
                error=r.error_kind or "—",
                since=age(t, r.dlq_at),
            )
        )
        builder.row(
            button(
                t.plain("adm.wd.btn.item", id=p.id, amount=money(t, p.amount)),
                Adm(sec=SEC, act="item", id=p.id, page=page.page).pack(),
            )
        )
    nav = pager(t, SEC, "dlq", page.page, page.pages)
    if nav:
        builder.row(*nav)
    builder.row(button(t.raw("adm.desk.btn.back"), Adm(sec=SEC).pack()), back_to_panel(t))
    return Safe("\n".join(lines)), builder.as_markup()


def item(t: Translator, data: svc.DlqItem, explorer: str, page: int = 1) -> Screen:
    p, r = data.payout, data.retry
    lines = [
        t(
            "adm.po.item",
            id=p.id,
            kind=t.raw(f"adm.desk.kind.{p.kind}"),
            status=t.raw(f"adm.wd.status.{p.status}"),
            user=who(data.user),
            amount=money(t, p.amount),
            net=money(t, p.net_amount),
            destination=address_link(explorer, p.to_address),
            attempts=r.attempt_count,
            error_kind=r.error_kind or "—",
            error=truncate_plain(r.last_error or "—", 300),
            since=age(t, r.dlq_at),
            nonce=p.nonce if p.nonce is not None else "—",
            tx=tx_link(t, explorer, p.tx_hash),
        )
    ]
    if r.error_kind == RetryErrorKind.NONCE_CONFLICT:
        lines.append(t("adm.po.conflict_warning", address=p.from_address or "—"))
    builder = Keyboard()
    builder.row(button(t.raw("adm.po.btn.retry"), Adm(sec=SEC, act="retry", id=p.id).pack()))
    if svc.can_fail(p, r) is None:
        builder.row(button(t.raw("adm.po.btn.fail"), Adm(sec=SEC, act="fail", id=p.id).pack()))
    builder.row(button(t.raw("adm.po.btn.paid"), Adm(sec=SEC, act="paid", id=p.id).pack()))
    builder.row(
        button(t.raw("adm.desk.btn.back"), Adm(sec=SEC, act="dlq", page=page).pack()), back_to_panel(t)
    )
    return Safe("\n\n".join(lines)), builder.as_markup()


def confirm_fail(t: Translator, data: svc.DlqItem) -> Screen:
    p = data.payout
    key = "adm.po.confirm_fail_refund" if p.user_id is None else "adm.po.confirm_fail"
    builder = Keyboard()
    builder.row(
        button(t.raw("adm.desk.btn.confirm"), Adm(sec=SEC, act="failok", id=p.id).pack()),
        button(t.raw("adm.desk.btn.cancel"), Adm(sec=SEC, act="item", id=p.id).pack()),
    )
    return t(key, id=p.id, amount=money(t, p.amount)), builder.as_markup()


def hash_prompt(t: Translator, payout_id: int) -> Screen:
    builder = Keyboard()
    builder.row(button(t.raw("adm.desk.btn.cancel"), Adm(sec=SEC, act="item", id=payout_id).pack()))
    return t("adm.po.hash_prompt", id=payout_id), builder.as_markup()


def resolved(t: Translator, payout_id: int, key: str, explorer: str, tx_hash: str | None = None) -> Screen:
    builder = Keyboard()
    builder.row(button(t.raw("adm.desk.btn.back"), Adm(sec=SEC, act="dlq", page=1).pack()), back_to_panel(t))
    return t(key, id=payout_id, tx=tx_link(t, explorer, tx_hash)), builder.as_markup()

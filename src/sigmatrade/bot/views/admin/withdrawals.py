"""Withdrawal desk screens (SPEC §5.8 "Withdrawals", "Withdrawal view"). Pure: data in, screen out."""

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
from sigmatrade.db.models import Payout
from sigmatrade.domain.enums import PayoutStatus
from sigmatrade.services.admin import withdrawals as svc
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, escape

Screen = tuple[Safe, InlineKeyboardMarkup]
SEC = "wd"


def _status(t: Translator, payout: Payout) -> str:
    return t.raw(f"adm.wd.status.{payout.status}")


def queue(t: Translator, page: svc.QueuePage) -> Screen:
    lines = [t("adm.wd.title", total=page.total)]
    if not page.items:
        lines.append(t("adm.wd.empty"))
    builder = Keyboard()
    for item in page.items:
        amount = money(t, item.amount)
        lines.append(
            t(
                "adm.wd.item",
                id=item.id,
                user=who(item.user),
                amount=amount,
                net=money(t, item.net_amount),
                age=age(t, item.requested_at),
                done=item.approvals,
                need=item.required,
            )
        )
        builder.row(
            button(
                t.plain("adm.wd.btn.item", id=item.id, amount=amount),
                Adm(sec=SEC, act="view", id=item.id, page=page.page).pack(),
            )
        )
    nav = pager(t, SEC, "list", page.page, page.pages)
    if nav:
        builder.row(*nav)
    builder.row(back_to_panel(t))
    return Safe("\n".join(lines)), builder.as_markup()


def view(t: Translator, detail: svc.Detail, explorer: str, page: int = 1) -> Screen:
    p = detail.payout
    lines = [t("adm.wd.view.title", id=p.id, kind=t.raw(f"adm.desk.kind.{p.kind}"), status=_status(t, p))]
    if detail.user is not None and detail.balances is not None:
        u, b = detail.user, detail.balances
        flags = [
            t.raw(key)
            for key, on in (
                ("adm.desk.flag.verified", u.is_verified),
                ("adm.desk.flag.banned", u.is_banned),
                ("adm.desk.flag.blocked", u.earnings_blocked),
            )
            if on
        ]
        lines.append(
            t(
                "adm.wd.view.user",
                user=who(u),
                user_id=u.id,
                available=money(t, b.available),
                held=money(t, b.held),
                principal=money(t, b.principal),
                deposits=detail.active_deposits,
                referrals=detail.direct_referrals,
                flags=", ".join(flags) or "—",
            )
        )
    lines.append(
        t(
            "adm.wd.view.money",
            amount=money(t, p.amount),
            fee=money(t, p.fee),
            net=money(t, p.net_amount),
            destination=address_link(explorer, p.to_address),
            age=age(t, p.requested_at or p.created_at),
        )
    )
    approvers = ", ".join(f"@{a.username}" if a.username else str(a.telegram_id) for a in detail.approvers)
    lines.append(
        t("adm.wd.view.approvals", done=len(detail.approvers), need=svc.required(p), who=approvers or "—")
    )
    if p.tx_hash:
        lines.append(t("adm.wd.view.tx", link=tx_link(t, explorer, p.tx_hash)))
    if p.reject_reason:
        lines.append(t("adm.wd.view.reason", reason=p.reject_reason))
    builder = Keyboard()
    actions = []
    if p.status == PayoutStatus.REQUESTED:
        actions.append(button(t.raw("adm.wd.btn.approve"), Adm(sec=SEC, act="ok", id=p.id).pack()))
    if svc.can_reject(p) is None:
        actions.append(button(t.raw("adm.wd.btn.reject"), Adm(sec=SEC, act="rej", id=p.id).pack()))
    if actions:
        builder.row(*actions)
    builder.row(
        button(t.raw("adm.desk.btn.back"), Adm(sec=SEC, act="list", page=page).pack()),
        back_to_panel(t),
    )
    return Safe("\n\n".join(lines)), builder.as_markup()


def approved_notice(t: Translator, result: svc.ApproveResult) -> str:
    """Callback alert after an approval (plain text)."""
    if result.outcome == svc.Outcome.APPROVED:
        return t.plain("adm.wd.approved", id=result.payout.id)
    return t.plain(
        "adm.wd.recorded", id=result.payout.id, done=result.approvals, need=svc.required(result.payout)
    )


def refusal(t: Translator, code: str) -> str:
    return t.raw(f"adm.desk.refused.{code}")


def reason_prompt(t: Translator, payout_id: int) -> Screen:
    builder = Keyboard()
    builder.row(button(t.raw("adm.wd.btn.no_reason"), Adm(sec=SEC, act="rejn", id=payout_id).pack()))
    builder.row(button(t.raw("adm.desk.btn.cancel"), Adm(sec=SEC, act="view", id=payout_id).pack()))
    return t("adm.wd.reason_prompt", id=payout_id), builder.as_markup()


def rejected(t: Translator, payout: Payout) -> Screen:
    builder = Keyboard()
    builder.row(button(t.raw("adm.desk.btn.back"), Adm(sec=SEC, act="list").pack()), back_to_panel(t))
    text = t(
        "adm.wd.rejected",
        id=payout.id,
        amount=money(t, payout.amount),
        reason=escape(payout.reject_reason or "—"),
    )
    return text, builder.as_markup()

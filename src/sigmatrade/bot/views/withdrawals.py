"""Withdraw screen, request flow (amount → summary → finpass → created), My payouts, user cancel.

Pure: data in, ``(Safe text, InlineKeyboardMarkup)`` out.
"""

from __future__ import annotations

import html
import math
import re
from datetime import datetime, tzinfo
from decimal import Decimal

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Nav, Reg, Wd
from sigmatrade.bot.keyboards import Keyboard
from sigmatrade.db.models import Payout
from sigmatrade.domain.enums import PayoutStatus
from sigmatrade.domain.money import format_amount, format_rate
from sigmatrade.domain.withdrawals import Approval, Quote
from sigmatrade.services import withdrawals as svc
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import ANSWER_LIMIT, Safe, code, link, truncate_plain

Screen = tuple[Safe, InlineKeyboardMarkup]

_AMOUNT_ERRORS = frozenset(
    {
        "format",
        "decimals",
        "not_positive",
        "below_min",
        "above_max",
        "above_available",
        "daily_limit",
        "net_too_small",
    }
)
_TAG = re.compile(r"<[^>]*>")
_DATE_FIELDS = ("approved", "sent", "confirmed", "cancelled", "rejected", "failed")
_TX_STATUSES = (PayoutStatus.SENT, PayoutStatus.CONFIRMED)


def _dt(moment: datetime | None, lang: str, tz: tzinfo) -> str:
    """``DD.MM.YYYY HH:MM`` (ru) / ``YYYY-MM-DD HH:MM`` (en) in the display timezone."""
    if moment is None:
        return "—"
    local = moment.astimezone(tz)
    return local.strftime("%d.%m.%Y %H:%M" if lang == "ru" else "%Y-%m-%d %H:%M")


def _money(t: Translator, value: Decimal) -> str:
    return format_amount(value, t.lang)


def _join(*parts: str) -> Safe:
    """Lines of already safe markup ("" makes an empty line)."""
    return Safe("\n".join(parts))


def _markup(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    builder = Keyboard()
    for row in rows:
        if row:
            builder.row(*(kb.button(label, data) for label, data in row))
    return builder.as_markup()


def _cancel_row(t: Translator) -> list[tuple[str, str]]:
    return [(t.raw("btn.cancel"), Wd(action="abort").pack())]


def cancel_markup(t: Translator) -> InlineKeyboardMarkup:
    """The Cancel button of the input states (back to the Withdraw screen)."""
    return _markup(_cancel_row(t))


def is_amount_error(err: svc.WithdrawalError) -> bool:
    """A refusal the user can fix by typing another amount (the state is kept)."""
    return err.code in _AMOUNT_ERRORS


def user_cancellable(payout: Payout) -> bool:
    return payout.status == PayoutStatus.REQUESTED and payout.kind in svc.USER_KINDS


def status_label(t: Translator, payout: Payout, approvals: int | None = None) -> str:
    """§3.7.8 status as the user sees it (plain text: callers pass it through the translator)."""
    if payout.status == PayoutStatus.REQUESTED and approvals is not None and payout.required_approvals > 1:
        return t.plain("wd.status.requested_progress", done=approvals, need=payout.required_approvals)
    return t.raw(f"wd.status.{payout.status}")


# ---------------------------------------------------------------------------------------- screens
def verify_first(t: Translator) -> Screen:
    markup = _markup(
        [(t.raw("btn.verify"), Reg(action="verify").pack())],
        [(t.raw("btn.back"), Nav(to="menu").pack())],
    )
    return t("wd.verify_first"), markup


def home(t: Translator, ov: svc.Overview) -> Screen:
    rules = ov.rules
    parts: list[str] = [
        t("wd.title"),
        "",
        t("wd.balances", available=_money(t, ov.available), held=_money(t, ov.held)),
        "",
        t(
            "wd.limits",
            min=_money(t, rules.minimum),
            max=_money(t, rules.maximum),
            fee=format_rate(rules.fee_percent),
        ),
    ]
    remaining = ov.remaining_today
    if rules.daily_limit is not None and remaining is not None:
        parts.append(t("wd.daily", limit=_money(t, rules.daily_limit), left=_money(t, remaining)))
    parts += ["", t("wd.wallet", wallet=code(ov.wallet)), "", t("wd.open_title")]
    if ov.open_payouts:
        parts += [
            t("wd.open_line", id=p.id, amount=_money(t, p.amount), status=status_label(t, p))
            for p in ov.open_payouts
        ]
    else:
        parts.append(t("wd.no_open"))
    if ov.blocked is not None:
        parts += ["", t(f"wd.blocked.{ov.blocked}")]
    elif not ov.can_start:
        parts += ["", t("wd.below_min", min=_money(t, rules.minimum))]
    start_row: list[tuple[str, str]] = []
    all_row: list[tuple[str, str]] = []
    if ov.can_start:
        start_row.append((t.raw("wd.btn.new"), Wd(action="new").pack()))
        if ov.all_offer >= rules.minimum:
            all_row.append((t.plain("wd.btn.all", amount=_money(t, ov.all_offer)), Wd(action="all").pack()))
    markup = _markup(
        start_row,
        all_row,
        [(t.raw("wd.btn.list"), Wd(action="list", page=1).pack())],
        [(t.raw("btn.back"), Nav(to="menu").pack())],
    )
    return _join(*parts), markup


def amount_prompt(t: Translator, ctx: svc.FlowContext) -> Screen:
    remaining = ctx.remaining_today
    daily = t("wd.amount_daily", left=_money(t, remaining)) if remaining is not None else Safe("")
    text = t(
        "wd.amount_prompt",
        available=_money(t, ctx.available),
        min=_money(t, ctx.rules.minimum),
        max=_money(t, ctx.rules.maximum),
        fee=format_rate(ctx.rules.fee_percent),
        daily=daily,
    )
    return text, _markup(_cancel_row(t))


def error_text(t: Translator, err: svc.WithdrawalError) -> Safe:
    """The message of a refusal (amount rules, eligibility, limits, balance changes)."""
    if err.code in _AMOUNT_ERRORS:
        bound = err.params.get("bound")
        if bound is not None:
            return t(f"wd.err.{err.code}", bound=_money(t, bound))
        return t(f"wd.err.{err.code}")
    if err.code == svc.RATE_LIMITED:
        minutes = max(1, math.ceil(int(err.params.get("wait_seconds", 60)) / 60))
        return t("err.action_limited", wait=t.plain("time.minutes", n=minutes))
    if err.code == svc.INSUFFICIENT_FUNDS:
        return t("wd.err.insufficient_funds")
    if err.code == svc.TERMS_CHANGED:
        return t("wd.err.terms_changed")
    if err.code in (svc.NOT_VERIFIED, svc.BANNED, svc.EARNINGS_BLOCKED, svc.DISABLED):
        return t(f"wd.blocked.{err.code}")
    return Safe(t.plain("err.outdated_button"))


def amount_error(t: Translator, err: svc.WithdrawalError) -> Screen:
    """A refused typed amount: the reason, and the state is kept."""
    return _join(error_text(t, err), t("wd.err.retry")), _markup(_cancel_row(t))


def refused(t: Translator, err: svc.WithdrawalError) -> Screen:
    """The flow cannot continue (balance changed, limit reached, withdrawals switched off)."""
    markup = _markup(
        [(t.raw("btn.withdraw"), Nav(to="withdraw").pack())],
        [(t.raw("btn.menu"), Nav(to="menu").pack())],
    )
    return _join(error_text(t, err), t("wd.err.nothing_created")), markup


def summary(
    t: Translator, quote: Quote, *, fee_percent: Decimal, wallet: str, approval: Approval, flow_id: int
) -> Screen:
    if approval.auto_approved:
        processing = t("wd.processing.auto")
    elif approval.required_approvals >= 2:
        processing = t("wd.processing.two")
    else:
        processing = t("wd.processing.one")
    text = t(
        "wd.summary",
        amount=_money(t, quote.amount),
        fee_percent=format_rate(fee_percent),
        fee=_money(t, quote.fee),
        net=_money(t, quote.net),
        wallet=code(wallet),
        processing=processing,
    )
    markup = _markup(
        [(t.raw("wd.btn.confirm"), Wd(action="confirm", id=flow_id).pack())],
        _cancel_row(t),
    )
    return text, markup


def finpass_prompt(t: Translator, amount: Decimal, attempts: int) -> Screen:
    return t("wd.finpass_prompt", amount=_money(t, amount), attempts=attempts), _markup(_cancel_row(t))


def finpass_wrong(t: Translator, attempts: int) -> Screen:
    return t("wd.finpass_wrong", attempts=attempts), _markup(_cancel_row(t))


def finpass_locked(t: Translator, until: datetime | None, now: datetime) -> Screen:
    seconds = (until - now).total_seconds() if until is not None else 60
    minutes = max(1, math.ceil(seconds / 60))
    markup = _markup(
        [(t.raw("btn.withdraw"), Nav(to="withdraw").pack())],
        [(t.raw("btn.menu"), Nav(to="menu").pack())],
    )
    return t("wd.finpass_locked", minutes=minutes), markup


def _next_steps(t: Translator, payout: Payout) -> Safe:
    if payout.auto_approved or payout.status != PayoutStatus.REQUESTED:
        return t("wd.next.auto")
    return t("wd.next.two") if payout.required_approvals >= 2 else t("wd.next.one")


def created(t: Translator, payout: Payout) -> Screen:
    text = t(
        "wd.created",
        id=payout.id,
        amount=_money(t, payout.amount),
        fee=_money(t, payout.fee),
        net=_money(t, payout.net_amount),
        wallet=code(payout.to_address),
        status=status_label(t, payout),
        next=_next_steps(t, payout),
    )
    markup = _markup(
        [(t.raw("wd.btn.list"), Wd(action="list", page=1).pack())],
        [(t.raw("btn.menu"), Nav(to="menu").pack())],
    )
    return text, markup


def _item(t: Translator, payout: Payout, approvals: int | None, *, explorer: str, tz: tzinfo) -> Safe:
    lines: list[str] = [
        t(
            "wd.list_item",
            id=payout.id,
            kind=t.raw(f"wd.kind.{payout.kind}"),
            amount=_money(t, payout.amount),
            net=_money(t, payout.net_amount),
            status=status_label(t, payout, approvals),
            requested=_dt(payout.requested_at or payout.created_at, t.lang, tz),
        )
    ]
    for name in _DATE_FIELDS:
        moment = getattr(payout, f"{name}_at")
        if moment is not None:
            lines.append(t("wd.date_line", label=t.raw(f"wd.date.{name}"), date=_dt(moment, t.lang, tz)))
    if payout.status == PayoutStatus.REJECTED and payout.reject_reason:
        lines.append(t("wd.reason_line", reason=payout.reject_reason))
    if payout.status in _TX_STATUSES and payout.tx_hash:
        lines.append(t("wd.tx_line", link=link(f"{explorer}/tx/{payout.tx_hash}", t.raw("wd.tx_label"))))
    return _join(*lines)


def payouts_list(t: Translator, data: svc.PayoutPage, *, explorer: str, tz: tzinfo) -> Screen:
    back = [(t.raw("btn.back"), Nav(to="withdraw").pack())]
    if not data.items:
        return t("wd.list_empty"), _markup(back)
    blocks = [t("wd.list_title", total=data.total)]
    blocks += [_item(t, p, data.approvals.get(p.id, 0), explorer=explorer, tz=tz) for p in data.items]
    builder = Keyboard()
    for payout in data.items:
        if user_cancellable(payout):
            builder.row(
                kb.button(
                    t.plain("wd.btn.cancel_payout", id=payout.id),
                    Wd(action="cancel", id=payout.id, page=data.page).pack(),
                )
            )
    if data.pages > 1:
        builder.row(*kb.pager(lambda p: Wd(action="list", page=p).pack(), data.page, data.pages))
    builder.row(*(kb.button(label, cb) for label, cb in back))
    return Safe("\n\n".join(blocks)), builder.as_markup()


def cancel_confirm(t: Translator, payout: Payout, page: int) -> Screen:
    text = t("wd.cancel_confirm", id=payout.id, amount=_money(t, payout.amount))
    markup = _markup(
        [
            (
                t.plain("wd.btn.cancel_yes", id=payout.id),
                Wd(action="cancel_ok", id=payout.id, page=page).pack(),
            )
        ],
        [(t.raw("wd.btn.keep"), Wd(action="list", page=max(page, 1)).pack())],
    )
    return text, markup


def cancelled(t: Translator, payout: Payout, available: Decimal, page: int) -> Screen:
    text = t(
        "wd.cancelled",
        id=payout.id,
        amount=_money(t, payout.amount),
        available=_money(t, available),
    )
    markup = _markup(
        [(t.raw("wd.btn.list"), Wd(action="list", page=max(page, 1)).pack())],
        [(t.raw("btn.back"), Nav(to="withdraw").pack())],
    )
    return text, markup


def alert_text(t: Translator, err: svc.WithdrawalError) -> str:
    """A refusal as a callback alert: plain text, at most 200 characters."""
    if err.code == svc.NOT_CANCELLABLE:
        status = str(err.params.get("status", ""))
        label = t.raw(f"wd.status.{status}") if status else ""
        text = t.plain("wd.err.not_cancellable", id=err.params.get("payout_id", ""), status=label)
    else:
        text = html.unescape(_TAG.sub("", error_text(t, err)))
    return truncate_plain(text, ANSWER_LIMIT)

"""Transaction history screen (SPEC §5.6 History): totals header, 10 merged items per page, filters.

Pure: data in, ``(Safe text, InlineKeyboardMarkup)`` out.
"""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Hist
from sigmatrade.bot.keyboards import Keyboard
from sigmatrade.domain.money import format_amount
from sigmatrade.domain.timefmt import format_dt
from sigmatrade.services import history as svc
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, link

Screen = tuple[Safe, InlineKeyboardMarkup]
_TX_DEPOSIT = ("detected", "confirmed", "completed")
_TX_PAYOUT = ("sent", "confirmed")
_DEPOSIT_STATUSES = ("pending", "detected", "confirmed", "completed", "expired", "cancelled")
_PAYOUT_STATUSES = (
    "requested",
    "approved",
    "signing",
    "sent",
    "confirmed",
    "cancelled",
    "rejected",
    "failed",
)
_PAYOUT_KINDS = ("withdrawal", "auto_payout", "refund")


def _money(t: Translator, value: Decimal) -> str:
    return format_amount(value, t.lang)


def _status(t: Translator, prefix: str, known: tuple[str, ...], status: str) -> str:
    return t.raw(f"{prefix}.{status}") if status in known else status


def _tx(t: Translator, explorer: str, tx_hash: str | None) -> str:
    if not tx_hash:
        return ""
    return t("hist.tx", link=link(f"{explorer}/tx/{tx_hash}", t.raw("hist.tx_label")))


def _line(t: Translator, item: svc.Item, *, explorer: str, tz: tzinfo) -> Safe:
    date = format_dt(item.at, t.lang, tz)
    amount = _money(t, item.amount)
    if item.kind == svc.DEPOSITS:
        text = t(
            "hist.item.deposits",
            date=date,
            id=item.id,
            level=item.level,
            amount=amount,
            status=_status(t, "hist.dep", _DEPOSIT_STATUSES, item.status),
        )
        tail = _tx(t, explorer, item.tx_hash) if item.status in _TX_DEPOSIT else ""
        return Safe(text + tail)
    if item.kind == svc.REWARDS:
        return t(
            "hist.item.rewards", date=date, id=item.id, level=item.level, count=item.count, amount=amount
        )
    if item.kind == svc.REFERRAL:
        return t("hist.item.referral", date=date, name=item.payer, depth=item.depth, amount=amount)
    kind = item.extra.get("kind", "")
    text = t(
        "hist.item.payouts",
        date=date,
        kind=t.raw(f"hist.kind.{kind}") if kind in _PAYOUT_KINDS else kind,
        id=item.id,
        amount=amount,
        status=_status(t, "hist.po", _PAYOUT_STATUSES, item.status),
    )
    tail = _tx(t, explorer, item.tx_hash) if item.status in _TX_PAYOUT else ""
    return Safe(text + tail)


def history(t: Translator, data: svc.HistoryPage, *, explorer: str, tz: tzinfo) -> Screen:
    totals = data.totals
    header = t(
        "hist.title",
        filter=t.raw(f"hist.btn.{data.kind}"),
        deposited=_money(t, totals.deposited),
        rewards=_money(t, totals.rewards),
        referral=_money(t, totals.referral),
        withdrawn=_money(t, totals.withdrawn),
        pending=_money(t, totals.pending),
    )
    lines = [_line(t, item, explorer=explorer, tz=tz) for item in data.items] or [t("hist.empty")]
    text = Safe(header + "\n\n" + "\n".join(lines))
    builder = Keyboard()
    filters = []
    for kind in svc.KINDS:
        label = t.raw(f"hist.btn.{kind}")
        if kind == data.kind:
            label = t.plain("hist.btn.on", label=label)
        filters.append(kb.button(label, Hist(kind=kind, page=1).pack()))
    builder.row(*filters[:3])
    builder.row(*filters[3:])
    if data.pages > 1:
        current = data.kind
        builder.row(*kb.pager(lambda p: Hist(kind=current, page=p).pack(), data.page, data.pages))
    builder.row(*kb.back_row(t, "menu"))
    return text, builder.as_markup()

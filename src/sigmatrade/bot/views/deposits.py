"""Deposits screen, level view, activation, deposit status, pending deposits, history, cancel.

Pure: data in, ``(Safe text, InlineKeyboardMarkup)`` out.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from datetime import datetime, tzinfo
from decimal import ROUND_DOWN, Decimal
from typing import Any

from aiogram.types import InlineKeyboardMarkup

from sigmatrade.bot import keyboards as kb
from sigmatrade.bot.callbacks import Dep, Nav, Reg
from sigmatrade.bot.keyboards import Keyboard
from sigmatrade.db.models import Deposit
from sigmatrade.domain import levels as rules
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.domain.money import canonical, format_amount, format_rate
from sigmatrade.services import deposits as svc
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import ANSWER_LIMIT, Safe, code, link, progress_bar, truncate_plain

Screen = tuple[Safe, InlineKeyboardMarkup]

_TAG = re.compile(r"<[^>]*>")
_DATE_FIELDS = ("detected", "confirmed", "completed", "expired", "cancelled")


def _dt(moment: datetime | None, lang: str, tz: tzinfo) -> str:
    """``DD.MM.YYYY HH:MM`` (ru) / ``YYYY-MM-DD HH:MM`` (en) in the display timezone."""
    if moment is None:
        return "—"
    local = moment.astimezone(tz)
    return local.strftime("%d.%m.%Y %H:%M" if lang == "ru" else "%Y-%m-%d %H:%M")


def _updated(t: Translator, now: datetime, tz: tzinfo, tz_name: str) -> Safe:
    """A refreshed screen always differs from the previous one (identical taps are ≥ 1 s apart)."""
    return t("dep.updated", time=now.astimezone(tz).strftime("%H:%M:%S"), tz=tz_name)


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


def _back_to_levels(t: Translator) -> list[tuple[str, str]]:
    return [(t.raw("btn.back"), Dep(action="levels").pack())]


def duration(t: Translator, seconds: float, *, round_up: bool = False) -> str:
    """``12 min`` / ``5 h 3 min`` / ``3 d 4 h`` (plain text)."""
    minutes = max(0, math.ceil(seconds / 60) if round_up else math.floor(seconds / 60))
    if minutes < 60:
        return t.plain("dep.dur.m", m=minutes)
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return t.plain("dep.dur.hm", h=hours, m=rest)
    days, hours = divmod(hours, 24)
    return t.plain("dep.dur.dh", d=days, h=hours)


def _status_label(t: Translator, status: str) -> str:
    return t.raw(f"dep.status.{status}")


def _params(t: Translator, params: Mapping[str, Any]) -> dict[str, Any]:
    """Refusal parameters with the status code translated."""
    values = dict(params)
    if "status" in values:
        values["status"] = _status_label(t, str(values["status"]))
    return values


def refusal_text(t: Translator, code_: str, params: Mapping[str, Any]) -> str:
    """The message of a refused activation (plain text)."""
    return t.plain(f"dep.refusal.{code_}", **_params(t, params))


def alert_text(t: Translator, err: svc.DepositError) -> str:
    """A refusal as a callback alert: plain text, at most 200 characters."""
    if err.code == svc.RATE_LIMITED:
        minutes = max(1, math.ceil(int(err.params.get("wait_seconds", 60)) / 60))
        text = html.unescape(_TAG.sub("", t("err.action_limited", wait=t.plain("time.minutes", n=minutes))))
    elif err.code == svc.NOT_CANCELLABLE:
        status = str(err.params.get("status", ""))
        text = t.plain(
            "dep.err.not_cancellable",
            id=err.params.get("deposit_id", ""),
            status=_status_label(t, status) if status else "",
        )
    elif err.code == svc.CONFLICT or err.code in rules.RULE_ORDER:
        text = refusal_text(t, err.code, err.params)
    else:
        text = t.plain("err.outdated_button")
    return truncate_plain(text, ANSWER_LIMIT)


# --------------------------------------------------------------------------------------- deposits
def verify_first(t: Translator) -> Screen:
    markup = _markup(
        [(t.raw("btn.verify"), Reg(action="verify").pack())],
        [(t.raw("btn.back"), Nav(to="menu").pack())],
    )
    return t("dep.verify_first"), markup


def _state_text(t: Translator, state: rules.LevelState) -> str:
    if state.kind == rules.PENDING:
        return t.raw(f"dep.state.{state.deposit_status or DepositStatus.PENDING}")
    if state.kind == rules.LOCKED and state.refusal is not None:
        reason = t.plain(f"dep.why.{state.refusal.code}", **_params(t, state.refusal.params))
        return t.plain("dep.state.locked", reason=reason)
    return t.raw(f"dep.state.{state.kind}")


def _reminders(t: Translator, table: rules.LevelTable) -> Safe:
    cap = table.spec(1).cap_percent
    return t("dep.reminders", cap=format_rate(cap)) if cap is not None else t("dep.reminders_nocap")


def overview(t: Translator, ov: svc.Overview) -> Screen:
    lines: list[str] = [t("dep.title"), ""]
    buttons: list[list[tuple[str, str]]] = []
    for state in ov.states:
        spec = ov.table.spec(state.level)
        line = t("dep.line", level=spec.level, amount=_money(t, spec.amount), state=_state_text(t, state))
        if spec.level == 1 and state.completed_cycles:
            line = Safe(line + t("dep.cycles", count=state.completed_cycles))
        lines.append(line)
        label = t.plain(
            "dep.btn.level",
            mark=t.raw(f"dep.mark.{state.kind}"),
            level=spec.level,
            amount=_money(t, spec.amount),
        )
        buttons.append([(label, Dep(action="level", level=spec.level).pack())])
    if not ov.table.enabled:
        lines += ["", t("dep.paused")]
    lines += ["", _reminders(t, ov.table)]
    pending_label = (
        t.plain("dep.btn.pending_count", count=ov.open_count) if ov.open_count else t.raw("dep.btn.pending")
    )
    buttons.append([(pending_label, Dep(action="pending").pack())])
    buttons.append([(t.raw("dep.btn.history"), Dep(action="history", page=1).pack())])
    buttons.append([(t.raw("btn.back"), Nav(to="menu").pack())])
    return _join(*lines), _markup(*buttons)


# ------------------------------------------------------------------------------------- level view
def _mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def _progress(t: Translator, deposit: Deposit) -> Safe | None:
    """Level-1 cycle progress of a capped, confirmed deposit."""
    if deposit.cap_amount is None or deposit.status != DepositStatus.CONFIRMED:
        return None
    target = deposit.cap_amount
    accrued = deposit.accrued_total
    percent, cells = rules.progress(accrued, target)
    bar = progress_bar(cells)
    cap_percent = deposit.cap_amount * 100 / deposit.amount
    return t(
        "dep.level.progress",
        bar=bar,
        percent=format(percent.quantize(Decimal("0.1"), rounding=ROUND_DOWN), "f"),
        accrued=_money(t, accrued),
        remaining=_money(t, max(Decimal(0), target - accrued)),
        target=_money(t, target),
        cap=format_rate(cap_percent),
    )


def level(t: Translator, lv: svc.LevelView) -> Screen:
    spec, state, facts = lv.spec, lv.state, lv.facts
    lines: list[str] = [
        t("dep.level.title", level=spec.level, amount=_money(t, spec.amount)),
        t("dep.level.state", state=_state_text(t, state)),
        "",
    ]
    if spec.level == 1:
        lines.append(t("dep.level.req_none"))
    else:
        previous_ok = bool(facts.statuses(spec.level - 1) & rules.REACHED)
        enough = facts.verified_referrals >= spec.required_referrals
        lines += [
            t("dep.level.requirements"),
            t("dep.level.req_previous", mark=_mark(previous_ok), previous=spec.level - 1),
            t(
                "dep.level.req_referrals",
                mark=_mark(enough),
                current=facts.verified_referrals,
                required=spec.required_referrals,
            ),
            t("dep.level.once"),
        ]
    lines.append("")
    if spec.cap_percent is not None and spec.cap_amount is not None:
        lines.append(t("dep.level.cap", cap=format_rate(spec.cap_percent), target=_money(t, spec.cap_amount)))
    else:
        lines.append(t("dep.level.no_cap"))
    if spec.level == 1 and state.completed_cycles:
        lines.append(t("dep.level.cycles", count=state.completed_cycles))
    if lv.current is not None and state.kind == rules.ACTIVE:
        progress = _progress(t, lv.current)
        if progress is not None:
            lines += ["", progress]
    hours = format_rate(lv.period_hours)
    if lv.session_rate is not None:
        lines += ["", t("dep.level.rate", rate=format_rate(lv.session_rate), hours=hours)]
    else:
        lines += ["", t("dep.level.no_session", hours=hours)]
    if state.kind == rules.LOCKED and state.refusal is not None:
        lines += ["", t("dep.level.locked", reason=refusal_text(t, state.refusal.code, state.refusal.params))]
    rows: list[list[tuple[str, str]]] = []
    if state.kind == rules.AVAILABLE:
        label = t.plain("dep.btn.activate", level=spec.level, amount=_money(t, spec.amount))
        rows.append([(label, Dep(action="activate", level=spec.level).pack())])
    if lv.current is not None and lv.current.status in rules.OPEN:
        rows.append(
            [(t.plain("dep.btn.details", id=lv.current.id), Dep(action="status", id=lv.current.id).pack())]
        )
    rows.append(_back_to_levels(t))
    return _join(*lines), _markup(*rows)


# ------------------------------------------------------------------------------------- activation
def _confirmation_rule(t: Translator, pay: svc.Payment) -> Safe:
    if pay.confirmation_mode == "finalized":
        return t("dep.confirm.finalized")
    return t("dep.confirm.blocks", blocks=pay.confirmation_blocks)


def _wallet(t: Translator, pay: svc.Payment) -> Safe:
    return code(pay.system_wallet) if pay.system_wallet else t("dep.no_wallet_inline")


def _left(t: Translator, info: svc.DepositInfo) -> str | None:
    """Time left until the deadline, or None when it has passed."""
    seconds = (info.deposit.expires_at - info.now).total_seconds()
    return duration(t, seconds, round_up=True) if seconds > 0 else None


def activation(t: Translator, info: svc.DepositInfo, *, tz: tzinfo, tz_name: str) -> Screen:
    """Payment instructions of a newly created deposit (§3.3.1)."""
    deposit, pay = info.deposit, info.payment
    text = t(
        "dep.activation",
        id=deposit.id,
        level=deposit.level,
        amount=_money(t, deposit.amount),
        exact=canonical(deposit.expected_amount),
        contract=code(pay.contract),
        wallet=_wallet(t, pay),
        user_wallet=code(pay.user_wallet),
        confirmation=_confirmation_rule(t, pay),
        deadline=_dt(deposit.expires_at, t.lang, tz),
        tz=tz_name,
        left=_left(t, info) or duration(t, 0),
    )
    markup = _markup(
        [(t.raw("dep.btn.sent"), Dep(action="status", id=deposit.id).pack())],
        [(t.raw("dep.btn.cancel"), Dep(action="cancel", id=deposit.id).pack())],
        _back_to_levels(t),
    )
    return text, markup


def _confirmations(t: Translator, info: svc.DepositInfo) -> str:
    pay = info.payment
    if pay.confirmation_mode == "finalized":
        return t.raw("dep.conf.finalized")
    if info.confirmations is None:
        return t.plain("dep.conf.awaiting", n=pay.confirmation_blocks)
    return t.plain("dep.conf.blocks", k=info.confirmations, n=pay.confirmation_blocks)


def _live_status(t: Translator, info: svc.DepositInfo) -> str:
    status = info.deposit.status
    label = _status_label(t, status)
    if status == DepositStatus.DETECTED:
        return f"{label} · {_confirmations(t, info)}"
    return label


def _tx_line(t: Translator, deposit: Deposit, explorer: str) -> Safe | None:
    if not deposit.tx_hash:
        return None
    return t("dep.info.tx", link=link(f"{explorer}/tx/{deposit.tx_hash}", t.raw("dep.tx_label")))


def _deadline(t: Translator, info: svc.DepositInfo, tz: tzinfo, tz_name: str) -> Safe:
    deadline = _dt(info.deposit.expires_at, t.lang, tz)
    left = _left(t, info)
    if left is None:
        return t("dep.info.overdue", deadline=deadline, tz=tz_name)
    return t("dep.info.deadline", deadline=deadline, tz=tz_name, left=left)


def _dates(t: Translator, deposit: Deposit, tz: tzinfo) -> list[str]:
    lines: list[str] = [
        t("dep.info.date", label=t.raw("dep.date.created"), date=_dt(deposit.created_at, t.lang, tz))
    ]
    for name in _DATE_FIELDS:
        moment = getattr(deposit, f"{name}_at")
        if moment is not None:
            lines.append(t("dep.info.date", label=t.raw(f"dep.date.{name}"), date=_dt(moment, t.lang, tz)))
    return lines


def deposit_status(t: Translator, info: svc.DepositInfo, *, tz: tzinfo, tz_name: str) -> Screen:
    """One deposit ("I have sent it"): waiting / detected with confirmations / final state."""
    deposit, pay = info.deposit, info.payment
    lines: list[str] = [
        t("dep.info.title", id=deposit.id, level=deposit.level),
        t("dep.info.amount", amount=_money(t, deposit.amount)),
        t("dep.info.status", status=_live_status(t, info)),
    ]
    if deposit.received_amount is not None:
        lines.append(t("dep.info.received", amount=_money(t, deposit.received_amount)))
    tx = _tx_line(t, deposit, pay.explorer)
    if tx is not None:
        lines.append(tx)
    if deposit.status == DepositStatus.PENDING:
        lines += [
            "",
            t(
                "dep.info.waiting",
                exact=canonical(deposit.expected_amount),
                wallet=_wallet(t, pay),
                user_wallet=code(pay.user_wallet),
            ),
            _deadline(t, info, tz, tz_name),
        ]
    else:
        lines += ["", *_dates(t, deposit, tz)]
    if deposit.status in rules.OPEN:
        lines += ["", _updated(t, info.now, tz, tz_name)]
    rows: list[list[tuple[str, str]]] = []
    if deposit.status in rules.OPEN:
        rows.append([(t.raw("dep.btn.refresh"), Dep(action="status", id=deposit.id).pack())])
    if deposit.status == DepositStatus.PENDING:
        rows.append([(t.raw("dep.btn.cancel"), Dep(action="cancel", id=deposit.id).pack())])
    if deposit.status in rules.OPEN:
        rows.append([(t.raw("btn.back"), Dep(action="pending").pack())])
    else:
        rows.append(_back_to_levels(t))
    return _join(*lines), _markup(*rows)


# ---------------------------------------------------------------------------------------- pending
def pending_list(t: Translator, data: svc.PendingList, *, tz: tzinfo, tz_name: str) -> Screen:
    if not data.items:
        return t("dep.pending.empty"), _markup(_back_to_levels(t))
    blocks: list[str] = [t("dep.pending.title", count=len(data.items))]
    rows: list[list[tuple[str, str]]] = []
    for info in data.items:
        deposit = info.deposit
        left = _left(t, info)
        item: list[str] = [
            t(
                "dep.pending.item",
                id=deposit.id,
                level=deposit.level,
                amount=_money(t, deposit.amount),
                age=duration(t, (info.now - deposit.created_at).total_seconds()),
                left=t.plain("dep.left", left=left) if left is not None else t.raw("dep.overdue"),
                status=_live_status(t, info),
            )
        ]
        tx = _tx_line(t, deposit, info.payment.explorer)
        if tx is not None:
            item.append(tx)
        blocks.append(_join(*item))
        row = [(t.plain("dep.btn.details", id=deposit.id), Dep(action="status", id=deposit.id).pack())]
        if deposit.status == DepositStatus.PENDING:
            row.append(
                (t.plain("dep.btn.cancel_id", id=deposit.id), Dep(action="cancel", id=deposit.id).pack())
            )
        rows.append(row)
    blocks.append(_updated(t, data.now, tz, tz_name))
    rows.append([(t.raw("dep.btn.refresh"), Dep(action="pending").pack())])
    rows.append(_back_to_levels(t))
    return Safe("\n\n".join(blocks)), _markup(*rows)


# ---------------------------------------------------------------------------------------- history
def _history_item(t: Translator, deposit: Deposit, *, explorer: str, tz: tzinfo) -> Safe:
    lines: list[str] = [
        t(
            "dep.history.item",
            id=deposit.id,
            level=deposit.level,
            amount=_money(t, deposit.amount),
            status=_status_label(t, deposit.status),
        )
    ]
    if deposit.received_amount is not None:
        lines.append(t("dep.info.received", amount=_money(t, deposit.received_amount)))
    lines += _dates(t, deposit, tz)
    tx = _tx_line(t, deposit, explorer)
    if tx is not None:
        lines.append(tx)
    return _join(*lines)


def history(t: Translator, data: svc.HistoryPage, *, explorer: str, tz: tzinfo) -> Screen:
    if not data.items:
        return t("dep.history.empty"), _markup(_back_to_levels(t))
    blocks: list[str] = [t("dep.history.title", total=data.total)]
    blocks += [_history_item(t, d, explorer=explorer, tz=tz) for d in data.items]
    builder = Keyboard()
    if data.pages > 1:
        builder.row(*kb.pager(lambda p: Dep(action="history", page=p).pack(), data.page, data.pages))
    builder.row(*(kb.button(label, cb) for label, cb in _back_to_levels(t)))
    return Safe("\n\n".join(blocks)), builder.as_markup()


# ----------------------------------------------------------------------------------------- cancel
def cancel_confirm(t: Translator, deposit: Deposit) -> Screen:
    text = t("dep.cancel_confirm", id=deposit.id, level=deposit.level, amount=_money(t, deposit.amount))
    markup = _markup(
        [(t.plain("dep.btn.cancel_yes", id=deposit.id), Dep(action="cancel_ok", id=deposit.id).pack())],
        [(t.raw("dep.btn.keep"), Dep(action="status", id=deposit.id).pack())],
    )
    return text, markup


def cancelled(t: Translator, deposit: Deposit) -> Screen:
    text = t("dep.cancelled", id=deposit.id, level=deposit.level, amount=_money(t, deposit.amount))
    markup = _markup(
        [(t.raw("dep.btn.deposits"), Dep(action="levels").pack())],
        [(t.raw("btn.menu"), Nav(to="menu").pack())],
    )
    return text, markup

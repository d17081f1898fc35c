"""Messages about deposits on chain (SPEC §8): detected, confirmed (with the uplines' commissions),
expired, reverted, and the admin alerts for amount deviations and unmatched transfers. Sent after the
transaction that caused them committed; a failure to send is logged, never raised."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sigmatrade.db.models import ChainTransfer, Deposit, User
from sigmatrade.domain.enums import CommissionStatus
from sigmatrade.domain.matching import MatchRules
from sigmatrade.domain.money import HUNDRED, canonical, format_amount, format_rate
from sigmatrade.logging import get_logger
from sigmatrade.runtime import Runtime
from sigmatrade.services.deposit_events import CommissionNote, Confirmation, Queued
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.services.users import display_name
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import Safe, code, link

log = get_logger("sigmatrade.deposits")

# Notification categories (failed_notifications.category).
CAT_DETECTED = "deposit_detected"
CAT_CONFIRMED = "deposit_confirmed"
CAT_EXPIRED = "deposit_expired"
CAT_REVERTED = "deposit_reverted"
CAT_COMMISSION = "referral_commission"


def tx_url(rt: Runtime, tx_hash: str) -> str:
    return f"{rt.config.explorer_base_url}/tx/{tx_hash}"


def _tx_link(rt: Runtime, t: Translator, tx_hash: str | None) -> Safe:
    if not tx_hash:
        return Safe("")
    return link(tx_url(rt, tx_hash), t.raw("depev.tx_label"))


async def _safely(what: str, coro: Any) -> None:
    try:
        await coro
    except Exception:
        log.exception("deposit_notification_failed", notification=what)


async def notify_detected(
    rt: Runtime,
    user: User,
    deposit: Deposit,
    received: Decimal,
    tx_hash: str,
    *,
    confirmation_mode: str,
    confirmation_blocks: int,
) -> None:
    def build(t: Translator) -> Content:
        if confirmation_mode == "finalized":
            waiting = t("depev.waiting.finalized")
        else:
            waiting = t("depev.waiting.blocks", confirmations=confirmation_blocks)
        return Content(
            t(
                "depev.detected",
                level=deposit.level,
                amount=format_amount(received, t.lang),
                waiting=waiting,
                link=_tx_link(rt, t, tx_hash),
            )
        )

    await _safely(CAT_DETECTED, notifier(rt).to_user(user, build, category=CAT_DETECTED))


async def notify_confirmed(rt: Runtime, confirmation: Confirmation) -> None:
    """The depositor (amount, level, link, cap target / next level) and every credited upline."""
    deposit, user = confirmation.deposit, confirmation.user
    try:
        levels = await rt.store.many(
            ["deposit.level_amounts", "deposit.level_required_referrals", "deposit.max_open_level"]
        )
    except Exception:
        log.exception("deposit_settings_unavailable")
        levels = {}
    next_level = deposit.level + 1
    amounts = levels.get("deposit.level_amounts") or []
    required = levels.get("deposit.level_required_referrals") or []
    show_next = next_level <= int(levels.get("deposit.max_open_level") or 0) and next_level <= len(amounts)

    def build(t: Translator) -> Content:
        extra: list[str] = []
        if deposit.cap_amount is not None:
            extra.append(
                t(
                    "depev.confirmed.cap",
                    cap=format_amount(deposit.cap_amount, t.lang),
                    percent=format_rate(deposit.cap_amount / deposit.amount * HUNDRED),
                )
            )
        if show_next:
            extra.append(
                t(
                    "depev.confirmed.next",
                    next_level=next_level,
                    next_amount=format_amount(amounts[next_level - 1], t.lang),
                    required=required[next_level - 1] if next_level <= len(required) else 0,
                )
            )
        return Content(
            t(
                "depev.confirmed",
                level=deposit.level,
                amount=format_amount(confirmation.received, t.lang),
                extra=Safe("\n".join(extra) + "\n" if extra else ""),
                link=_tx_link(rt, t, confirmation.tx_hash),
            )
        )

    await _safely(CAT_CONFIRMED, notifier(rt).to_user(user, build, category=CAT_CONFIRMED))
    for note in confirmation.commissions:
        if note.status != CommissionStatus.CREDITED:
            continue
        await _safely(CAT_COMMISSION, _notify_commission(rt, note, user))


async def _notify_commission(rt: Runtime, note: CommissionNote, payer: User) -> None:
    def build(t: Translator) -> Content:
        return Content(
            t(
                "depev.commission",
                amount=format_amount(note.amount, t.lang),
                depth=note.depth,
                name=display_name(payer),
                balance=format_amount(note.balance or Decimal(0), t.lang),
            )
        )

    await notifier(rt).to_user(note.beneficiary, build, category=CAT_COMMISSION)


async def notify_expired(rt: Runtime, user: User, deposit: Deposit) -> None:
    def build(t: Translator) -> Content:
        return Content(t("depev.expired", level=deposit.level, amount=format_amount(deposit.amount, t.lang)))

    await _safely(CAT_EXPIRED, notifier(rt).to_user(user, build, category=CAT_EXPIRED))


async def notify_reverted(rt: Runtime, user: User, deposit: Deposit, *, expired: bool) -> None:
    key = "depev.reverted_expired" if expired else "depev.reverted"

    def build(t: Translator) -> Content:
        return Content(t(key, level=deposit.level, amount=format_amount(deposit.amount, t.lang)))

    await _safely(CAT_REVERTED, notifier(rt).to_user(user, build, category=CAT_REVERTED))


def _mode_text(t: Translator, rules: MatchRules, expected: Decimal) -> Safe:
    if rules.mode == "percent":
        return t(
            "depev.mode.percent",
            value=format_rate(rules.percent),
            amount=canonical(rules.tolerance(expected)),
        )
    return t("depev.mode.fixed", value=canonical(rules.fixed))


async def alert_deviation(
    rt: Runtime, user: User, deposit: Deposit, received: Decimal, tx_hash: str, rules: MatchRules
) -> None:
    def build(t: Translator) -> Content:
        return Content(
            t(
                "depev.alert.deviation",
                deposit_id=deposit.id,
                level=deposit.level,
                user=display_name(user),
                expected=canonical(deposit.amount),
                received=canonical(received),
                mode=_mode_text(t, rules, deposit.amount),
                link=_tx_link(rt, t, tx_hash),
            )
        )

    await _safely("deviation_alert", notifier(rt).to_admins(build))


async def alert_unmatched(rt: Runtime, queued: Queued) -> None:
    def build(t: Translator) -> Content:
        return Content(
            t(
                "depev.alert.unmatched",
                id=queued.item_id,
                amount=canonical(queued.amount),
                sender=queued.sender,
                reason=t.raw(f"depev.reason.{queued.reason}"),
                link=_tx_link(rt, t, queued.tx_hash),
            )
        )

    await _safely("unmatched_alert", notifier(rt).to_admins(build))


async def alert_receipt_missing(rt: Runtime, transfer: ChainTransfer, minutes: int) -> None:
    """A pending transfer whose receipt stays missing while its block is still canonical (§4.4.3);
    once per transfer."""

    def build(t: Translator) -> Content:
        return Content(
            t(
                "depev.alert.receipt_missing",
                minutes=minutes,
                amount=canonical(transfer.amount),
                block=transfer.block_number,
                link=_tx_link(rt, t, transfer.tx_hash),
            )
        )

    notify = notifier(rt).to_admins(
        build, dedupe_key=f"receipt_missing:{transfer.transfer_key}", dedupe_seconds=86400
    )
    await _safely("receipt_missing_alert", notify)


def code_hash(tx_hash: str) -> Safe:
    return code(tx_hash)

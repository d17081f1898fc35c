"""Withdrawal rules (SPEC §3.7.1–§3.7.4): amount validation, fee and net, approval policy.

Pure functions on exact decimals; property-tested. The service feeds them the settings, the
available balance and what the user already requested today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sigmatrade.domain.money import HUNDRED, ZERO, floor_cents, parse_user_amount, quantize_fee

_NEGATIVE = re.compile(r"^-\s*\d+(?:[.,]\d*)?$")
_TOO_MANY_DECIMALS = re.compile(r"^\d+[.,]\d{3,}$")


class AmountError(StrEnum):
    """Why an amount is refused; each has its own message."""

    FORMAT = "format"  # not a plain decimal: letters, exponent, spaces inside, "+", NaN, infinity
    DECIMALS = "decimals"  # more than 2 decimals (rejected, never rounded)
    NOT_POSITIVE = "not_positive"  # 0 or a negative number
    BELOW_MIN = "below_min"
    ABOVE_MAX = "above_max"
    ABOVE_AVAILABLE = "above_available"
    DAILY_LIMIT = "daily_limit"
    NET_TOO_SMALL = "net_too_small"  # net after the fee below payout.min_net_amount


@dataclass(frozen=True, slots=True)
class Rules:
    """The withdrawal settings that decide a request (``withdrawal.*``, ``payout.min_net_amount``)."""

    minimum: Decimal
    maximum: Decimal
    fee_percent: Decimal
    daily_limit: Decimal | None
    auto_approve_below: Decimal | None
    two_admin_threshold: Decimal
    min_net: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    """An accepted amount split into fee and net (amount = fee + net)."""

    amount: Decimal
    fee: Decimal
    net: Decimal


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refused amount; ``bound`` is the limit that was crossed (min, max, available, left today, min net)."""

    error: AmountError
    bound: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Approval:
    required_approvals: int  # 0 (automatic), 1 or 2
    auto_approved: bool


def fee_for(amount: Decimal, fee_percent: Decimal) -> Decimal:
    """Fee = amount × percent / 100, quantised to 0.01 ROUND_HALF_UP."""
    return quantize_fee(amount * fee_percent / HUNDRED)


def quote(amount: Decimal, fee_percent: Decimal) -> Quote:
    fee = fee_for(amount, fee_percent)
    return Quote(amount=amount, fee=fee, net=amount - fee)


def parse(text: str) -> Decimal | Rejection:
    """A user-typed amount (``.`` or ``,``, at most 2 decimals) or the reason it is not one."""
    amount = parse_user_amount(text)
    if amount is not None:
        return amount
    stripped = text.strip()
    if _NEGATIVE.match(stripped):
        return Rejection(AmountError.NOT_POSITIVE)
    if _TOO_MANY_DECIMALS.match(stripped):
        return Rejection(AmountError.DECIMALS)
    return Rejection(AmountError.FORMAT)


def daily_remaining(rules: Rules, used_today: Decimal) -> Decimal | None:
    """What may still be requested today (None when there is no daily limit)."""
    if rules.daily_limit is None:
        return None
    return max(ZERO, rules.daily_limit - used_today)


def check(amount: Decimal, rules: Rules, *, available: Decimal, used_today: Decimal) -> Quote | Rejection:
    """Every amount rule of §3.7.1–§3.7.2, in the order the user can act on them."""
    if amount != amount.quantize(Decimal("0.01")):
        return Rejection(AmountError.DECIMALS)
    if amount <= 0:
        return Rejection(AmountError.NOT_POSITIVE)
    if amount < rules.minimum:
        return Rejection(AmountError.BELOW_MIN, rules.minimum)
    if amount > rules.maximum:
        return Rejection(AmountError.ABOVE_MAX, rules.maximum)
    if amount > available:
        return Rejection(AmountError.ABOVE_AVAILABLE, floor_cents(max(available, ZERO)))
    remaining = daily_remaining(rules, used_today)
    if remaining is not None and amount > remaining:
        return Rejection(AmountError.DAILY_LIMIT, remaining)
    result = quote(amount, rules.fee_percent)
    if result.net < rules.min_net:
        return Rejection(AmountError.NET_TOO_SMALL, rules.min_net)
    return result


def validate(text: str, rules: Rules, *, available: Decimal, used_today: Decimal) -> Quote | Rejection:
    """Parse and check a typed amount."""
    parsed = parse(text)
    if isinstance(parsed, Rejection):
        return parsed
    return check(parsed, rules, available=available, used_today=used_today)


def can_start(rules: Rules, available: Decimal) -> bool:
    """Whether "New withdrawal" is offered: the available balance reaches the minimum."""
    return available >= rules.minimum


def withdraw_all_offer(rules: Rules, available: Decimal, used_today: Decimal) -> Decimal:
    """The "withdraw all" amount: available rounded down to 0.01, within the maximum and today's limit."""
    offer = floor_cents(max(available, ZERO))
    offer = min(offer, rules.maximum)
    remaining = daily_remaining(rules, used_today)
    if remaining is not None:
        offer = min(offer, floor_cents(remaining))
    return offer


def approval_policy(amount: Decimal, rules: Rules) -> Approval:
    """§3.7.4: automatic below ``auto_approve_below`` (and the two-admin threshold), else 2 or 1 approvals."""
    auto = rules.auto_approve_below
    if auto is not None and amount < auto and amount < rules.two_admin_threshold:
        return Approval(required_approvals=0, auto_approved=True)
    if amount >= rules.two_admin_threshold:
        return Approval(required_approvals=2, auto_approved=False)
    return Approval(required_approvals=1, auto_approved=False)


# ------------------------------------------------------------------------------ automatic payouts
def auto_slot(epoch_seconds: int, interval_minutes: int) -> int:
    """The interval slot a moment belongs to: one automatic payout per user per slot (§3.7)."""
    return epoch_seconds // (interval_minutes * 60)


def auto_payout(available: Decimal, rules: Rules, threshold: Decimal) -> tuple[Quote, Approval] | None:
    """§3.7 automatic payouts: the available balance rounded down to 0.01 (capped at the maximum),
    the normal fee; approved at once, or two admins at/above the two-admin threshold. None when the
    balance is under the threshold or the net would be under the payout minimum."""
    if available < threshold:
        return None
    amount = min(floor_cents(available), rules.maximum)
    if amount <= 0:
        return None
    result = quote(amount, rules.fee_percent)
    if result.net < rules.min_net or result.net <= 0:
        return None
    if amount >= rules.two_admin_threshold:
        return result, Approval(required_approvals=2, auto_approved=False)
    return result, Approval(required_approvals=0, auto_approved=True)

"""Referral commission math (SPEC §3.4.4–§3.4.5, §1.6): pure functions over plain data.

For a payment of ``base`` (a deposit's nominal amount, or an accrual) every upline at depth d earns
``base × rate(d) / 100`` computed at full precision and quantised to 18 decimals with ROUND_DOWN.
A banned or earnings-blocked beneficiary gets a *skipped* line (recorded, never paid later); banned
takes precedence when both apply. Lines whose amount is zero (a zero rate, or a payment so small that
the commission rounds down to nothing) are not produced at all: nothing would be credited or recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sigmatrade.domain.enums import CommissionSkipReason
from sigmatrade.domain.money import HUNDRED, ZERO, quantize_accrual

MAX_DEPTH = 3


@dataclass(frozen=True, slots=True)
class Upline:
    """One closure row of the payer: the ancestor, its depth and its flags at payment time."""

    user_id: int
    depth: int
    banned: bool = False
    earnings_blocked: bool = False


@dataclass(frozen=True, slots=True)
class CommissionLine:
    beneficiary_id: int
    depth: int
    rate: Decimal
    base_amount: Decimal
    amount: Decimal
    skip_reason: CommissionSkipReason | None = None

    @property
    def credited(self) -> bool:
        return self.skip_reason is None


def rate_for_depth(rates: Sequence[Decimal], depth: int) -> Decimal:
    """The percent rate of ``depth`` (1-based); depths beyond the configured list earn nothing."""
    if not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"referral depth must be 1..{MAX_DEPTH}, got {depth}")
    if depth > len(rates):
        return ZERO
    rate = rates[depth - 1]
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0:
        raise ValueError(f"referral rate for depth {depth} must be a non-negative Decimal")
    return rate


def commission_amount(base: Decimal, rate: Decimal) -> Decimal:
    """``base × rate / 100`` at full precision, quantised to 18 decimals, ROUND_DOWN."""
    if not isinstance(base, Decimal) or not isinstance(rate, Decimal):
        raise TypeError("commission inputs must be Decimals")
    if base < 0 or rate < 0:
        raise ValueError("commission inputs must be non-negative")
    return quantize_accrual(base * rate / HUNDRED)


def skip_reason(upline: Upline) -> CommissionSkipReason | None:
    if upline.banned:
        return CommissionSkipReason.BANNED
    if upline.earnings_blocked:
        return CommissionSkipReason.EARNINGS_BLOCKED
    return None


def plan_commissions(
    base: Decimal, uplines: Iterable[Upline], rates: Sequence[Decimal]
) -> list[CommissionLine]:
    """Commission lines for one payment, ordered by depth (one per upline with a non-zero amount)."""
    ordered = sorted(uplines, key=lambda u: u.depth)
    depths = [u.depth for u in ordered]
    if len(set(depths)) != len(depths):
        raise ValueError("a payer has at most one upline per depth")
    if len({u.user_id for u in ordered}) != len(ordered):
        raise ValueError("an upline appears at most once")
    lines: list[CommissionLine] = []
    for upline in ordered:
        rate = rate_for_depth(rates, upline.depth)
        amount = commission_amount(base, rate)
        if amount == 0:
            continue
        lines.append(CommissionLine(upline.user_id, upline.depth, rate, base, amount, skip_reason(upline)))
    return lines


def credited_total(lines: Iterable[CommissionLine]) -> Decimal:
    return sum((line.amount for line in lines if line.credited), ZERO)

"""Matching a received transfer to a pending deposit (SPEC §4.3.5 c–f): the tolerance rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sigmatrade.domain.money import HUNDRED


@dataclass(frozen=True)
class MatchRules:
    """The matching settings of one moment (SPEC §10.2 ``deposit.*``)."""

    mode: str = "fixed"
    fixed: Decimal = Decimal("0.01")
    percent: Decimal = Decimal(5)
    dust_floor: Decimal = Decimal("1.00")
    pending_ttl_hours: int = 24

    def tolerance(self, expected: Decimal) -> Decimal:
        if self.mode == "percent":
            return expected * self.percent / HUNDRED
        return self.fixed

    def matches(self, expected: Decimal, received: Decimal) -> bool:
        return abs(received - expected) <= self.tolerance(expected)

    def significant_deviation(self, expected: Decimal, received: Decimal) -> bool:
        """Deviation above half the tolerance: admins are alerted (§4.3.5 f)."""
        return abs(received - expected) * 2 > self.tolerance(expected)

    def is_dust(self, amount: Decimal) -> bool:
        return amount < self.dust_floor

"""Matching a received transfer to a pending deposit (SPEC §4.3.5 c–f): the tolerance rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sigmatrade.domain.money import HUNDRED

TAG_STEP = Decimal("0.0001")  # amount tags are multiples of it, below TAG_LIMIT
TAG_LIMIT = Decimal("0.1000")


def tag_values() -> list[Decimal]:
    """Every amount tag (0.0001 … 0.0999 USDT)."""
    return [TAG_STEP * n for n in range(1, int(TAG_LIMIT / TAG_STEP))]


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

    def matches_deposit(self, nominal: Decimal, tag: Decimal | None, received: Decimal) -> bool:
        """A deposit with an amount tag (issue 9, finding 12) matches only its exact tagged amount
        (``nominal + tag`` up to the tag step: a few wei of rounding, never another deposit's tag);
        an untagged one (admin assignment, tags off) the tolerance rule."""
        if tag is None:
            return self.matches(nominal, received)
        expected = nominal + tag
        return expected <= received < expected + TAG_STEP

    def is_dust(self, amount: Decimal) -> bool:
        return amount < self.dust_floor

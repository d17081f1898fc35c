"""Reward accrual rules (SPEC §3.6): pure functions over plain data.

* Period k of a deposit confirmed at ``c`` with period ``P`` ends at ``t(k) = c + (k+1)·P``.
* A session S covers period k when ``S.starts_at ≤ t(k) < S.ends_at``; a period is due when also
  ``t(k) ≤ now``. Active sessions never overlap, so a period belongs to at most one active session.
* Amount = ``amount × rate / 100`` at full precision, quantised to 18 decimals ROUND_DOWN; with a cap
  the amount is cut to what is left (``trimmed``); zero amounts are never written; reaching the cap
  completes the deposit and nothing later accrues.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sigmatrade.domain.money import HUNDRED, ZERO, quantize_accrual

LEVELS = 5
_US = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Window:
    """An active reward session as the calculator sees it."""

    session_id: int
    starts_at: datetime
    ends_at: datetime
    rates: tuple[Decimal, ...]  # percent per period, levels 1..5

    def rate(self, level: int) -> Decimal:
        return self.rates[level - 1]


@dataclass(frozen=True, slots=True)
class DepositState:
    deposit_id: int
    user_id: int
    level: int
    amount: Decimal
    cap_amount: Decimal | None
    accrued_total: Decimal
    confirmed_at: datetime
    period_seconds: int


@dataclass(frozen=True, slots=True)
class PlannedAccrual:
    deposit_id: int
    user_id: int
    level: int
    session_id: int
    period_index: int
    period_end: datetime
    base_amount: Decimal
    rate: Decimal
    amount: Decimal
    trimmed: bool

    @property
    def key(self) -> str:
        return f"accrual:{self.deposit_id}:{self.session_id}:{self.period_index}"


@dataclass(frozen=True, slots=True)
class DepositPlan:
    deposit: DepositState
    accruals: tuple[PlannedAccrual, ...]
    accrued_total: Decimal  # after the planned accruals
    completed: bool


def period_end(confirmed_at: datetime, period_seconds: int, k: int) -> datetime:
    return confirmed_at + timedelta(seconds=period_seconds * (k + 1))


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def due_range(
    confirmed_at: datetime, period_seconds: int, starts_at: datetime, ends_at: datetime, now: datetime
) -> tuple[int, int] | None:
    """The inclusive range of period indexes k with ``starts_at ≤ t(k) < ends_at`` and ``t(k) ≤ now``."""
    if period_seconds <= 0:
        raise ValueError("accrual period must be positive")
    p = period_seconds * 1_000_000
    a = (starts_at - confirmed_at) // _US
    b = (ends_at - confirmed_at) // _US
    n = (now - confirmed_at) // _US
    j_lo = max(1, _ceil_div(a, p))
    j_hi = min(_ceil_div(b, p) - 1, n // p)
    if j_hi < j_lo:
        return None
    return j_lo - 1, j_hi - 1


def accrual_amount(amount: Decimal, rate: Decimal) -> Decimal:
    """``amount × rate / 100`` at full precision, quantised to 18 decimals, ROUND_DOWN."""
    return quantize_accrual(amount * rate / HUNDRED)


def windows_for(
    deposit: DepositState, windows: Iterable[Window], now: datetime
) -> list[tuple[Window, int, int]]:
    """The due (window, lo, hi) ranges of one deposit, windows with a zero rate for its level left out."""
    found: list[tuple[Window, int, int]] = []
    for window in windows:
        if window.rate(deposit.level) <= 0:
            continue
        rng = due_range(deposit.confirmed_at, deposit.period_seconds, window.starts_at, window.ends_at, now)
        if rng is not None:
            found.append((window, rng[0], rng[1]))
    return found


def plan_deposit(deposit: DepositState, missing: Sequence[tuple[int, Window]]) -> DepositPlan:
    """Accrue the ``missing`` (period, window) pairs of one deposit in ascending period order."""
    total = deposit.accrued_total
    planned: list[PlannedAccrual] = []
    completed = deposit.cap_amount is not None and total >= deposit.cap_amount
    for k, window in sorted(missing, key=lambda item: item[0]):
        if completed:
            break
        rate = window.rate(deposit.level)
        amount = accrual_amount(deposit.amount, rate)
        trimmed = False
        if deposit.cap_amount is not None:
            left = deposit.cap_amount - total
            if amount >= left:
                trimmed = amount > left
                amount = left
                completed = True
        if amount <= ZERO:
            continue
        total += amount
        planned.append(
            PlannedAccrual(
                deposit_id=deposit.deposit_id,
                user_id=deposit.user_id,
                level=deposit.level,
                session_id=window.session_id,
                period_index=k,
                period_end=period_end(deposit.confirmed_at, deposit.period_seconds, k),
                base_amount=deposit.amount,
                rate=rate,
                amount=amount,
                trimmed=trimmed,
            )
        )
    return DepositPlan(deposit, tuple(planned), total, completed)

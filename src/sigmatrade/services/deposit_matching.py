"""Deposit matching reads (SPEC §4.3.5 c–e): the matching rules and confirmation terms from the runtime
settings, the sender's user, the candidate deposits and the reason a transfer found none.

Nothing here writes: every status transition is :mod:`services.deposit_lifecycle`.

* **Candidates**: the sender's ``pending`` deposits whose amount is within tolerance (``fixed``:
  |received − amount| ≤ tolerance_fixed; ``percent``: ≤ amount × tolerance_percent / 100) and whose
  deadline had not passed when the transfer was mined (block time; detection time when the node gives
  none), oldest first.
* **Reason** without a candidate: ``deposit_expired`` (a deposit of matching amount whose deadline passed
  within the last 48 h), ``amount_mismatch`` (a pending deposit of another amount) or
  ``no_pending_deposit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.models import Deposit, User
from sigmatrade.domain.enums import DepositStatus, MatchStatus, UnmatchedReason
from sigmatrade.domain.matching import MatchRules
from sigmatrade.services.settings import SettingsStore

EXPIRED_MATCH_WINDOW = timedelta(hours=48)


async def load_rules(store: SettingsStore) -> MatchRules:
    values = await store.many(
        [
            "deposit.tolerance_mode",
            "deposit.tolerance_fixed",
            "deposit.tolerance_percent",
            "deposit.dust_floor",
            "deposit.pending_ttl_hours",
        ]
    )
    return MatchRules(
        mode=str(values["deposit.tolerance_mode"]),
        fixed=values["deposit.tolerance_fixed"],
        percent=values["deposit.tolerance_percent"],
        dust_floor=values["deposit.dust_floor"],
        pending_ttl_hours=int(values["deposit.pending_ttl_hours"]),
    )


@dataclass(frozen=True)
class ConfirmationTerms:
    accrual_period_hours: int = 24
    referral_rates: tuple[Decimal, ...] = (Decimal(3), Decimal(2), Decimal(5))


async def load_confirmation_terms(store: SettingsStore) -> ConfirmationTerms:
    values = await store.many(["reward.accrual_period_hours", "referral.rates"])
    return ConfirmationTerms(
        accrual_period_hours=int(values["reward.accrual_period_hours"]),
        referral_rates=tuple(values["referral.rates"]),
    )


# ---------------------------------------------------------------------------------------------- matching
@dataclass
class Match:
    status: MatchStatus
    reason: UnmatchedReason | None = None
    user: User | None = None
    deposit: Deposit | None = None


async def sender_user(session: AsyncSession, address: str) -> User | None:
    user: User | None = await session.scalar(select(User).where(User.wallet_address_lc == address.lower()))
    return user


async def pending_candidates(
    session: AsyncSession, user_id: int, received: Decimal, rules: MatchRules, mined_at: datetime
) -> list[Deposit]:
    """The user's pending deposits matching ``received`` whose deadline was after ``mined_at``, oldest first.

    Amounts are compared in Python (exact on both dialects)."""
    rows = (
        await session.scalars(
            select(Deposit)
            .where(Deposit.user_id == user_id, Deposit.status == DepositStatus.PENDING)
            .order_by(Deposit.created_at, Deposit.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    return [
        d for d in rows if d.expires_at > mined_at and rules.matches_deposit(d.amount, d.amount_tag, received)
    ]


async def unmatched_reason(
    session: AsyncSession, user_id: int, received: Decimal, rules: MatchRules, now: datetime
) -> UnmatchedReason:
    """Why a registered, non-banned sender's transfer found no deposit (§4.3.5 e)."""
    recent = (
        await session.scalars(
            select(Deposit).where(
                Deposit.user_id == user_id,
                Deposit.status.in_([DepositStatus.EXPIRED, DepositStatus.PENDING]),
                Deposit.expires_at >= now - EXPIRED_MATCH_WINDOW,
            )
        )
    ).all()
    late = [
        d
        for d in recent
        if rules.matches_deposit(d.amount, d.amount_tag, received)
        and (d.status == DepositStatus.EXPIRED or d.expires_at <= now)
    ]
    if late:
        return UnmatchedReason.DEPOSIT_EXPIRED
    has_pending = await session.scalar(
        select(Deposit.id).where(Deposit.user_id == user_id, Deposit.status == DepositStatus.PENDING).limit(1)
    )
    if has_pending is not None:
        return UnmatchedReason.AMOUNT_MISMATCH
    return UnmatchedReason.NO_PENDING_DEPOSIT

"""Displayed balances of a user (SPEC §3.5.4), derived from the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.aggregate import total
from sigmatrade.db.models import JournalEntry, LedgerAccount, LedgerPosting, Payout
from sigmatrade.domain.enums import AccountKind, EntryType, PayoutStatus


@dataclass(frozen=True)
class Balances:
    available: Decimal
    held: Decimal
    principal: Decimal  # total deposited (confirmed principal)
    earned: Decimal  # rewards + credited referral commissions
    withdrawn: Decimal  # gross amount of confirmed (settled) payouts


async def user_balances(session: AsyncSession, user_id: int) -> Balances:
    rows = (
        await session.execute(
            select(LedgerAccount.kind, LedgerAccount.balance, LedgerAccount.id).where(
                LedgerAccount.user_id == user_id
            )
        )
    ).all()
    by_kind = {kind: (balance, account_id) for kind, balance, account_id in rows}
    zero = Decimal(0)
    available_id = by_kind.get(AccountKind.USER_AVAILABLE, (zero, None))[1]
    earned = zero
    if available_id is not None:
        earned = await total(
            session,
            select(LedgerPosting.amount)
            .join(JournalEntry, JournalEntry.id == LedgerPosting.entry_id)
            .where(
                LedgerPosting.account_id == available_id,
                JournalEntry.entry_type.in_([EntryType.REWARD_ACCRUAL, EntryType.REFERRAL_COMMISSION]),
            ),
        )
    withdrawn = await total(
        session,
        select(Payout.amount).where(Payout.user_id == user_id, Payout.status == PayoutStatus.CONFIRMED),
    )
    return Balances(
        available=by_kind.get(AccountKind.USER_AVAILABLE, (zero, None))[0],
        held=by_kind.get(AccountKind.USER_HELD, (zero, None))[0],
        principal=by_kind.get(AccountKind.USER_PRINCIPAL, (zero, None))[0],
        earned=earned,
        withdrawn=withdrawn,
    )

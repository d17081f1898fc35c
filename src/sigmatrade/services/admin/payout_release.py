"""Giving a payout's money back when it ends without a transfer (SPEC §3.7.6, §4.5 refund, §4.6.9).

A withdrawal or automatic payout releases its hold to the user's available balance
(``withdrawal_release``); a refund payout returns its unmatched-queue item to ``open`` (the received
amount never left the suspense account). Any open PaymentRetry row is closed as ``refunded``. Runs
inside the caller's unit of work, after the caller moved the payout to its terminal status.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import PaymentRetry, Payout, UnmatchedDeposit
from sigmatrade.domain.enums import PayoutKind, RetryResolution, UnmatchedStatus
from sigmatrade.ledger import entries
from sigmatrade.ledger.journal import post


async def release(session: AsyncSession, payout: Payout, admin_id: int | None) -> None:
    now = clock.now()
    if payout.kind == PayoutKind.REFUND:
        if payout.unmatched_deposit_id is not None:
            await session.execute(
                update(UnmatchedDeposit)
                .where(
                    UnmatchedDeposit.id == payout.unmatched_deposit_id,
                    UnmatchedDeposit.status == UnmatchedStatus.REFUND_PENDING,
                    UnmatchedDeposit.refund_payout_id == payout.id,  # not a later refund of the item
                )
                .values(status=UnmatchedStatus.OPEN, refund_payout_id=None, updated_at=now)
            )
    else:
        assert payout.user_id is not None
        await post(session, entries.withdrawal_release(payout.id, payout.user_id, payout.amount))
    await session.execute(
        update(PaymentRetry)
        .where(PaymentRetry.payout_id == payout.id, PaymentRetry.resolved.is_(False))
        .values(
            resolved=True,
            resolved_at=now,
            resolved_by_admin_id=admin_id,
            resolution=RetryResolution.REFUNDED,
            next_retry_at=None,
            in_dlq=False,
        )
    )


async def refund_item_settled(session: AsyncSession, payout: Payout) -> None:
    """A confirmed refund payout closes its unmatched item: ``refund_pending`` → ``refunded`` (§4.5)."""
    if payout.kind != PayoutKind.REFUND or payout.unmatched_deposit_id is None:
        return
    await session.execute(
        update(UnmatchedDeposit)
        .where(
            UnmatchedDeposit.id == payout.unmatched_deposit_id,
            UnmatchedDeposit.status == UnmatchedStatus.REFUND_PENDING,
            UnmatchedDeposit.refund_payout_id == payout.id,
        )
        .values(status=UnmatchedStatus.REFUNDED, updated_at=clock.now())
    )

"""The admin panel header: what needs attention (SPEC §5.8 "Panel"). One read, one round trip, sent to
the driver directly (``db/hot.py``: the panel is every admin's most frequent screen)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, ScalarSelect, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db.base import Base
from sigmatrade.db.hot import HotSelect, engine_of
from sigmatrade.db.models import FinpassRecovery, PaymentRetry, Payout, SupportTicket, UnmatchedDeposit
from sigmatrade.domain.enums import RecoveryStatus, TicketStatus, UnmatchedStatus
from sigmatrade.services.admin.withdrawals import AWAITING_APPROVAL


@dataclass(frozen=True)
class Attention:
    withdrawals: int  # payouts awaiting approval: the withdrawal queue's total (refunds included)
    unmatched: int  # open unmatched deposits
    dlq: int  # payments in the dead-letter queue
    finpass: int  # open finpass recovery requests (pending or in review)
    tickets: int  # open support tickets


def _count(model: type[Base], *where: ColumnElement[bool]) -> ScalarSelect[int]:
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


_ATTENTION = HotSelect(
    select(
        _count(Payout, AWAITING_APPROVAL),
        _count(UnmatchedDeposit, UnmatchedDeposit.status == UnmatchedStatus.OPEN),
        _count(PaymentRetry, PaymentRetry.in_dlq.is_(True), PaymentRetry.resolved.is_(False)),
        # Two comparisons, not ``in_``: an IN list is re-rendered into the SQL text on every execution.
        _count(
            FinpassRecovery,
            or_(
                FinpassRecovery.status == RecoveryStatus.PENDING,
                FinpassRecovery.status == RecoveryStatus.IN_REVIEW,
            ),
        ),
        _count(SupportTicket, SupportTicket.status == TicketStatus.OPEN),
    )
)


async def attention(session: AsyncSession) -> Attention:
    row = await _ATTENTION.first(engine_of(session), {})
    assert row is not None  # a SELECT of scalar subqueries yields one row
    return Attention(*(int(v) for v in row))

"""Payouts & DLQ desk (SPEC §4.6.9, §5.8 "Payouts & DLQ"): payouts in flight, the dead-letter queue,
Retry and Resolve.

* **Retry** (extended+): the retry row leaves the DLQ with its attempt count reset and is due now; the
  payout's ``dead_lettered`` flag is cleared, so the payment retry job attempts it through the normal
  pipeline (pre-checks, sign-and-persist, broadcast).
* **Resolve as failed** (extended+; nonce conflicts super admin only): only when no transaction of the
  payout can still be mined — no bound nonce (never sent, or reverted) or a nonce conflict (the nonce
  was consumed by a foreign transaction). The payout becomes ``failed``, the hold is released (a
  refund's item returns to the unmatched queue), the user is told.
* **Resolve as confirmed** (extended+): the admin names the transaction that paid it; the chain layer
  has already checked it on chain (status 1, confirmed, a Transfer of exactly the net amount from the
  payout wallet to the destination). When the payout holds a bound nonce, only one of its own signed
  transactions is accepted (a different transfer could otherwise be paid on top of it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from sigmatrade import clock
from sigmatrade.db.locks import lock_books
from sigmatrade.db.models import Admin, PaymentRetry, Payout, PayoutTransaction, User
from sigmatrade.db.session import is_postgres, unit
from sigmatrade.domain.enums import (
    IN_FLIGHT_STATUSES,
    ROLE_RANK,
    AdminRole,
    PayoutKind,
    PayoutStatus,
    PayoutTxStatus,
    RetryErrorKind,
    RetryResolution,
)
from sigmatrade.domain.money import format_amount
from sigmatrade.domain.paging import page_count
from sigmatrade.ledger import entries
from sigmatrade.ledger.journal import post
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit
from sigmatrade.services.admin import access
from sigmatrade.services.admin.payout_release import refund_item_settled, release
from sigmatrade.services.admin.refusals import NOT_FOUND, DeskRefusal
from sigmatrade.services.admin.wake import RETRY, wake
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.services.payout_pipeline import notify_confirmed
from sigmatrade.texts.i18n import Translator

PAGE_SIZE = 5
IN_FLIGHT_LIMIT = 10
NOT_IN_DLQ = "not_in_dlq"
NONCE_BOUND = "nonce_bound"
SUPER_ONLY = "super_only"
BAD_TX = "bad_tx"
CATEGORY_FAILED = "payout_failed"


@dataclass(frozen=True)
class Flight:
    payout: Payout
    user: User | None


@dataclass(frozen=True)
class DlqItem:
    payout: Payout
    retry: PaymentRetry
    user: User | None


@dataclass(frozen=True)
class DlqPage:
    items: Sequence[DlqItem]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class Overview:
    in_flight: Sequence[Flight]
    in_flight_total: int
    dlq_total: int


@dataclass(frozen=True)
class ManualTransfer:
    """A transfer the chain layer found and checked: the payout's exact net amount, confirmed."""

    tx_hash: str
    block: int


def _dlq_filter() -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (PaymentRetry.in_dlq.is_(True), PaymentRetry.resolved.is_(False))


# ---------------------------------------------------------------------------------------------- reads
async def overview(session: AsyncSession) -> Overview:
    async with unit(session):
        rows = (
            await session.execute(
                select(Payout, User)
                .outerjoin(User, User.id == Payout.user_id)
                .where(Payout.status.in_(IN_FLIGHT_STATUSES), Payout.dead_lettered.is_(False))
                .order_by(Payout.created_at, Payout.id)
                .limit(IN_FLIGHT_LIMIT)
            )
        ).all()
        flights = int(
            await session.scalar(
                select(func.count(Payout.id)).where(
                    Payout.status.in_(IN_FLIGHT_STATUSES), Payout.dead_lettered.is_(False)
                )
            )
            or 0
        )
        dlq = int(await session.scalar(select(func.count(PaymentRetry.id)).where(*_dlq_filter())) or 0)
    return Overview([Flight(p, u) for p, u in rows], flights, dlq)


async def dlq_page(session: AsyncSession, page: int) -> DlqPage:
    async with unit(session):
        count = int(await session.scalar(select(func.count(PaymentRetry.id)).where(*_dlq_filter())) or 0)
        pages = page_count(count, PAGE_SIZE)
        page = 1 if page < 1 else min(page, pages)
        rows = (
            await session.execute(
                select(Payout, PaymentRetry, User)
                .join(PaymentRetry, PaymentRetry.payout_id == Payout.id)
                .outerjoin(User, User.id == Payout.user_id)
                .where(*_dlq_filter())
                .order_by(PaymentRetry.dlq_at, PaymentRetry.id)
                .offset((page - 1) * PAGE_SIZE)
                .limit(PAGE_SIZE)
            )
        ).all()
    return DlqPage([DlqItem(p, r, u) for p, r, u in rows], page, pages, count)


async def dlq_item(session: AsyncSession, payout_id: int) -> DlqItem | None:
    async with unit(session):
        row = (
            await session.execute(
                select(Payout, PaymentRetry, User)
                .join(PaymentRetry, PaymentRetry.payout_id == Payout.id)
                .outerjoin(User, User.id == Payout.user_id)
                .where(Payout.id == payout_id, *_dlq_filter())
            )
        ).first()
    return DlqItem(row[0], row[1], row[2]) if row is not None else None


# ----------------------------------------------------------------------------------------- decisions
async def _locked_item(session: AsyncSession, payout_id: int) -> tuple[Payout, PaymentRetry]:
    payout = await session.get(
        Payout, payout_id, with_for_update=is_postgres(session), populate_existing=True
    )
    if payout is None:
        raise DeskRefusal(NOT_FOUND)
    retry = await session.scalar(
        select(PaymentRetry)
        .where(PaymentRetry.payout_id == payout_id, *_dlq_filter())
        .execution_options(populate_existing=True)
    )
    if retry is None or not payout.dead_lettered:
        raise DeskRefusal(NOT_IN_DLQ)
    return payout, retry


async def retry(session: AsyncSession, rt: Runtime, admin: Admin, payout_id: int) -> Payout:
    """DLQ Retry: reset the attempts, leave the DLQ, due now; the retry job takes it."""
    async with unit(session):
        payout, row = await _locked_item(session, payout_id)
        now = clock.now()
        before = {"attempt_count": row.attempt_count, "in_dlq": True, "error_kind": row.error_kind}
        row.attempt_count, row.in_dlq, row.dlq_at, row.next_retry_at = 0, False, None, now
        payout.dead_lettered = False
        await session.flush()
        await audit.log(
            session,
            access.actor(admin),
            "dlq_retry",
            target_type="payout",
            target_id=payout.id,
            amount=payout.amount,
            before=before,
            after={"attempt_count": 0, "in_dlq": False, "status": payout.status},
        )
    wake(rt, RETRY)
    return payout


def can_fail(payout: Payout, row: PaymentRetry) -> str | None:
    """Why Resolve-as-failed is refused (None: allowed): a bound nonce may still be mined, unless the
    nonce was consumed by a foreign transaction (nonce conflict)."""
    if payout.nonce is not None and row.error_kind != RetryErrorKind.NONCE_CONFLICT:
        return NONCE_BOUND
    return None


def may_resolve(admin: Admin, row: PaymentRetry) -> str | None:
    """Why ``admin`` may not resolve the item either way (None: may): a nonce conflict is resolved by a
    super admin only (§4.6.9)."""
    if (
        row.error_kind == RetryErrorKind.NONCE_CONFLICT
        and ROLE_RANK[AdminRole(admin.role)] < ROLE_RANK[AdminRole.SUPER_ADMIN]
    ):
        return SUPER_ONLY
    return None


def _may_resolve(admin: Admin, row: PaymentRetry) -> None:
    refused = may_resolve(admin, row)
    if refused is not None:
        raise DeskRefusal(refused)


async def resolve_failed(session: AsyncSession, rt: Runtime, admin: Admin, payout_id: int) -> Payout:
    """DLQ Resolve → ``failed``: funds released to the user (or the refund's item reopened), told."""
    async with unit(session):
        payout, row = await _locked_item(session, payout_id)
        reason = can_fail(payout, row)
        if reason is not None:
            raise DeskRefusal(reason)
        _may_resolve(admin, row)
        before = payout.status
        now = clock.now()
        moved = await session.execute(
            update(Payout)
            .where(
                Payout.id == payout_id,
                Payout.status == before,
                Payout.status.in_(IN_FLIGHT_STATUSES),  # never a payout already settled or closed
                Payout.dead_lettered.is_(True),
            )
            .values(status=PayoutStatus.FAILED, failed_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(moved, "rowcount", 0) != 1:
            raise DeskRefusal(NOT_IN_DLQ)
        await session.execute(
            update(PayoutTransaction)
            .where(
                PayoutTransaction.payout_id == payout_id,
                PayoutTransaction.status.in_((PayoutTxStatus.SIGNED, PayoutTxStatus.BROADCAST)),
            )
            .values(status=PayoutTxStatus.SUPERSEDED)
        )
        done = await session.get(Payout, payout_id, populate_existing=True)
        assert done is not None
        await release(session, done, admin.id)
        await audit.log(
            session,
            access.actor(admin),
            "dlq_resolved_failed",
            target_type="payout",
            target_id=payout_id,
            amount=done.amount,
            before={"status": before, "dead_lettered": True},
            after={"status": PayoutStatus.FAILED, "resolution": RetryResolution.REFUNDED},
            details={"error_kind": row.error_kind, "last_error": row.last_error},
        )
        user = await session.get(User, done.user_id) if done.user_id is not None else None
    if user is not None:
        await notify_failed(rt, user, done)
    return done


async def resolve_confirmed(
    session: AsyncSession, rt: Runtime, admin: Admin, payout_id: int, transfer: ManualTransfer
) -> Payout:
    """DLQ Resolve → ``confirmed`` with a transfer checked on chain: settle entry, retry ``succeeded``."""
    async with unit(session):
        payout, row = await _locked_item(session, payout_id)
        _may_resolve(admin, row)
        own = await session.scalar(
            select(PayoutTransaction).where(func.lower(PayoutTransaction.tx_hash) == transfer.tx_hash.lower())
        )
        if own is not None and own.payout_id != payout_id:
            raise DeskRefusal(BAD_TX)  # another payout's transaction
        if payout.nonce is not None and own is None:
            raise DeskRefusal(NONCE_BOUND)
        # Two admins resolving two payouts with one transfer: the check below and the confirmation
        # must not interleave, or one transfer would settle both. The books lock (taken now instead of
        # at the settle entry; the lock order of db/locks.py is kept) serialises them, and the second
        # one's query then sees the first one's confirmation.
        await lock_books(session)
        used = await session.scalar(
            select(Payout.id).where(
                Payout.id != payout_id,
                Payout.status == PayoutStatus.CONFIRMED,
                func.lower(Payout.tx_hash) == transfer.tx_hash.lower(),
            )
        )
        if used is not None:
            raise DeskRefusal(BAD_TX)
        before = payout.status
        now = clock.now()
        moved = await session.execute(
            update(Payout)
            .where(
                Payout.id == payout_id,
                Payout.status == before,
                Payout.status.in_(IN_FLIGHT_STATUSES),
                Payout.dead_lettered.is_(True),
            )
            .values(
                status=PayoutStatus.CONFIRMED,
                confirmed_at=now,
                block_number=transfer.block,
                tx_hash=transfer.tx_hash,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(moved, "rowcount", 0) != 1:
            raise DeskRefusal(NOT_IN_DLQ)
        await session.execute(
            update(PayoutTransaction)
            .where(
                PayoutTransaction.payout_id == payout_id,
                PayoutTransaction.status.in_((PayoutTxStatus.SIGNED, PayoutTxStatus.BROADCAST)),
            )
            .values(status=PayoutTxStatus.SUPERSEDED)
        )
        if own is not None:
            own.status, own.mined_block, own.receipt_status = PayoutTxStatus.MINED_SUCCESS, transfer.block, 1
        done = await session.get(Payout, payout_id, populate_existing=True)
        assert done is not None
        if done.kind == PayoutKind.REFUND:
            await post(session, entries.refund_settled(done.id, done.amount))
            await refund_item_settled(session, done)
        else:
            assert done.user_id is not None
            await post(
                session, entries.payout_settled(done.id, done.user_id, done.amount, done.net_amount, done.fee)
            )
        await session.execute(
            update(PaymentRetry)
            .where(PaymentRetry.payout_id == payout_id, PaymentRetry.resolved.is_(False))
            .values(
                resolved=True,
                resolved_at=now,
                resolved_by_admin_id=admin.id,
                resolution=RetryResolution.SUCCEEDED,
                in_dlq=False,
                next_retry_at=None,
            )
        )
        await audit.log(
            session,
            access.actor(admin),
            "dlq_resolved_confirmed",
            target_type="payout",
            target_id=payout_id,
            amount=done.amount,
            before={"status": before, "dead_lettered": True},
            after={"status": PayoutStatus.CONFIRMED, "resolution": RetryResolution.SUCCEEDED},
            details={"tx_hash": transfer.tx_hash, "block": transfer.block},
        )
    await notify_confirmed(rt, done)  # the user is told as for a payout the pipeline confirmed (§3.7)
    return done


async def notify_failed(rt: Runtime, user: User, payout: Payout) -> None:
    def build(t: Translator) -> Content:
        return Content(t("pn.failed", id=payout.id, amount=format_amount(payout.amount, t.lang)))

    await notifier(rt).to_user(user, build, category=CATEGORY_FAILED)

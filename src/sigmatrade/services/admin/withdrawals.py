"""Withdrawal desk (SPEC §3.7.4–§3.7.6, §5.8 "Withdrawals"): the queue of requests awaiting approval,
a request's view, approve and reject.

Approve and reject lock the payout row first (``FOR UPDATE`` on PostgreSQL; SQLite's write lock), so
two admins, a double tap, the user's cancel and the payout sender are serialised on it: each status
move is also conditional on the status it starts from. An approval never sends anything: it wakes the
payment processor after the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.hot import HotSelect, engine_of
from sigmatrade.db.models import Admin, Deposit, Payout, PayoutApproval, Referral, User
from sigmatrade.db.session import is_postgres, unit
from sigmatrade.domain.enums import DepositStatus, PayoutStatus
from sigmatrade.domain.money import format_amount
from sigmatrade.domain.paging import page_count
from sigmatrade.ledger.balances import Balances, user_balances
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit
from sigmatrade.services.admin import access
from sigmatrade.services.admin.payout_release import release
from sigmatrade.services.admin.refusals import (
    ALREADY_PROCESSED,
    IN_DLQ,
    NOT_FOUND,
    NOT_REJECTABLE,
    SAME_ADMIN,
    DeskRefusal,
)
from sigmatrade.services.admin.wake import PROCESSOR, wake
from sigmatrade.services.notifications import Content, notifier
from sigmatrade.texts.i18n import Translator
from sigmatrade.texts.render import strip_controls, truncate_plain

PAGE_SIZE = 5
REASON_LIMIT = 500
CATEGORY_REJECTED = "payout_rejected"
REJECTABLE = (PayoutStatus.REQUESTED, PayoutStatus.APPROVED)


class Outcome(StrEnum):
    RECORDED = "recorded"  # one of two approvals
    APPROVED = "approved"  # the count is reached: requested → approved


@dataclass(frozen=True)
class Person:
    """What the desk shows of the user a row belongs to (``views.admin.desk_common.who``)."""

    id: int
    telegram_id: int
    username: str | None
    first_name: str | None


@dataclass(frozen=True)
class QueueItem:
    """One request of the queue: plain values read as columns (no ORM objects to build for a list)."""

    id: int
    user: Person | None
    amount: Decimal
    net_amount: Decimal
    requested_at: datetime
    approvals: int
    required: int  # approvals needed (``required``)


@dataclass(frozen=True)
class QueuePage:
    items: Sequence[QueueItem]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class Approver:
    telegram_id: int
    username: str | None


@dataclass(frozen=True)
class Detail:
    payout: Payout
    user: User | None
    balances: Balances | None
    active_deposits: int
    direct_referrals: int
    approvers: Sequence[Approver]


@dataclass(frozen=True)
class ApproveResult:
    payout: Payout
    outcome: Outcome
    approvals: int


def required(payout: Payout) -> int:
    """Approvals needed (a stored 0 — automatic — still needs one admin if it waits in ``requested``)."""
    return approvals_needed(payout.required_approvals)


def approvals_needed(stored: int) -> int:
    return max(1, stored)


# ---------------------------------------------------------------------------------------------- reads
async def queue(session: AsyncSession, page: int) -> QueuePage:
    """Requests awaiting approval, oldest first, 5 per page (page clamped to 1..last).

    One lock-free read sent to the driver directly (``db/hot.py``): the page with each row's user and
    approvals, and the total (both from the index of open requests by age,
    ``ix_payouts_status_created_id``: no sort, no table rows but the page's)."""
    engine = engine_of(session)
    page = max(1, page)
    rows = [_QueueRow(*r) for r in await _QUEUE.all(engine, {"offset": (page - 1) * PAGE_SIZE})]
    if not rows and page > 1:  # past the end: clamp to the last page
        counted = await _REQUESTED.first(engine, {})
        page = page_count(int(counted[0]) if counted else 0, PAGE_SIZE)
        rows = [_QueueRow(*r) for r in await _QUEUE.all(engine, {"offset": (page - 1) * PAGE_SIZE})]
    total = rows[0].total if rows else 0
    items = [
        QueueItem(
            id=r.id,
            user=Person(r.user_id, r.telegram_id, r.username, r.first_name)
            if r.telegram_id is not None
            else None,
            amount=r.amount,
            net_amount=r.net_amount,
            requested_at=r.requested_at or r.created_at,
            approvals=int(r.approvals),
            required=approvals_needed(r.required_approvals),
        )
        for r in rows
    ]
    return QueuePage(items=items, page=page, pages=page_count(total, PAGE_SIZE), total=total)


class _QueueRow(NamedTuple):
    id: int
    user_id: int
    amount: Decimal
    net_amount: Decimal
    requested_at: datetime | None
    created_at: datetime
    required_approvals: int
    telegram_id: int | None
    username: str | None
    first_name: str | None
    approvals: int
    total: int


# What the queue lists and the panel counts: every payout waiting for an admin's approval, whatever its
# kind (a refund goes through the same approvals as a withdrawal). ``ix_payouts_status_created_id``
# holds every column these reads filter, order and count on.
AWAITING_APPROVAL = Payout.status == PayoutStatus.REQUESTED


def _queue_statement() -> Select[*tuple[Any, ...]]:
    """The queue page as columns (``_QueueRow``): the page's ids and the total come from the index of
    open requests by age alone; users and approval counts are read for the page's 5 rows only."""
    page_ids = (
        select(Payout.id.label("id"))
        .where(AWAITING_APPROVAL)
        .order_by(Payout.created_at, Payout.id)
        .offset(bindparam("offset", type_=Integer))
        .limit(PAGE_SIZE)
        .subquery("page")
    )
    total = select(func.count()).select_from(Payout).where(AWAITING_APPROVAL).scalar_subquery()
    approvals = (
        select(func.count(PayoutApproval.id))
        .where(PayoutApproval.payout_id == Payout.id)
        .correlate(Payout)
        .scalar_subquery()
    )
    return (
        select(
            Payout.id,
            Payout.user_id,
            Payout.amount,
            Payout.net_amount,
            Payout.requested_at,
            Payout.created_at,
            Payout.required_approvals,
            User.telegram_id,
            User.username,
            User.first_name,
            approvals.label("approvals"),
            total.label("total"),
        )
        .join(page_ids, page_ids.c.id == Payout.id)
        .outerjoin(User, User.id == Payout.user_id)
        .order_by(Payout.created_at, Payout.id)
    )


_QUEUE = HotSelect(_queue_statement())  # built once; executed with the page's offset
_REQUESTED = HotSelect(select(func.count(Payout.id)).where(AWAITING_APPROVAL))


async def detail(session: AsyncSession, payout_id: int) -> Detail | None:
    async with unit(session):
        payout = await session.get(Payout, payout_id, populate_existing=True)
        if payout is None:
            return None
        user = await session.get(User, payout.user_id) if payout.user_id is not None else None
        balances = await user_balances(session, user.id) if user is not None else None
        active = referrals = 0
        if user is not None:
            active = int(
                await session.scalar(
                    select(func.count(Deposit.id)).where(
                        Deposit.user_id == user.id, Deposit.status == DepositStatus.CONFIRMED
                    )
                )
                or 0
            )
            referrals = int(
                await session.scalar(
                    select(func.count())
                    .select_from(Referral)
                    .where(Referral.ancestor_id == user.id, Referral.depth == 1)
                )
                or 0
            )
        approvers = (
            await session.execute(
                select(Admin.telegram_id, Admin.username)
                .join(PayoutApproval, PayoutApproval.admin_id == Admin.id)
                .where(PayoutApproval.payout_id == payout_id)
                .order_by(PayoutApproval.id)
            )
        ).all()
    return Detail(
        payout=payout,
        user=user,
        balances=balances,
        active_deposits=active,
        direct_referrals=referrals,
        approvers=[Approver(int(tg), name) for tg, name in approvers],
    )


# ----------------------------------------------------------------------------------------- decisions
async def _locked(session: AsyncSession, payout_id: int) -> Payout:
    payout = await session.get(
        Payout, payout_id, with_for_update=is_postgres(session), populate_existing=True
    )
    if payout is None:
        raise DeskRefusal(NOT_FOUND)
    return payout


async def approve(session: AsyncSession, rt: Runtime, admin: Admin, payout_id: int) -> ApproveResult:
    """One approval row per admin; when the count reaches the requirement, ``requested`` → ``approved``.

    Refusals (nothing written): ``already_processed`` (not ``requested`` any more: another admin, a
    double tap, the user's cancel), ``same_admin`` (this admin already approved; another must confirm).
    """
    actor = access.actor(admin)
    async with unit(session):
        payout = await _locked(session, payout_id)
        if payout.status != PayoutStatus.REQUESTED:
            raise DeskRefusal(ALREADY_PROCESSED, status=payout.status)
        mine = await session.scalar(
            select(PayoutApproval.id).where(
                PayoutApproval.payout_id == payout_id, PayoutApproval.admin_id == admin.id
            )
        )
        if mine is not None:
            raise DeskRefusal(SAME_ADMIN)
        try:
            async with session.begin_nested():
                session.add(PayoutApproval(payout_id=payout_id, admin_id=admin.id, created_at=clock.now()))
                await session.flush()
        except IntegrityError as exc:
            raise DeskRefusal(SAME_ADMIN) from exc
        count = int(
            await session.scalar(
                select(func.count(PayoutApproval.id)).where(PayoutApproval.payout_id == payout_id)
            )
            or 0
        )
        outcome = Outcome.RECORDED
        if count >= required(payout):
            now = clock.now()
            moved = await session.execute(
                update(Payout)
                .where(Payout.id == payout_id, Payout.status == PayoutStatus.REQUESTED)
                .values(status=PayoutStatus.APPROVED, approved_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(moved, "rowcount", 0) != 1:
                raise DeskRefusal(ALREADY_PROCESSED, status=payout.status)
            outcome = Outcome.APPROVED
        after = PayoutStatus.APPROVED if outcome == Outcome.APPROVED else PayoutStatus.REQUESTED
        await audit.log(
            session,
            actor,
            "withdrawal_approved" if outcome == Outcome.APPROVED else "withdrawal_approval_recorded",
            target_type="payout",
            target_id=payout_id,
            amount=payout.amount,
            before={"status": PayoutStatus.REQUESTED, "approvals": count - 1},
            after={"status": after, "approvals": count},
            details={"required": required(payout), "kind": payout.kind},
        )
        fresh = await session.get(Payout, payout_id, populate_existing=True)
        assert fresh is not None
    if outcome == Outcome.APPROVED:
        wake(rt, PROCESSOR)
    return ApproveResult(payout=fresh, outcome=outcome, approvals=count)


def clean_reason(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = truncate_plain(strip_controls(text).strip(), REASON_LIMIT)
    return cleaned or None


def can_reject(payout: Payout) -> str | None:
    """Why Reject is refused (None: allowed). A payout with a bound nonce may have a signed transaction
    that can still be mined; a dead-lettered one is decided on the DLQ desk (extended admin+), whose
    Resolve-as-failed is what a reject would do."""
    if payout.status not in REJECTABLE or payout.nonce is not None:
        return NOT_REJECTABLE
    if payout.dead_lettered:
        return IN_DLQ
    return None


async def reject(
    session: AsyncSession, rt: Runtime, admin: Admin, payout_id: int, reason: str | None
) -> Payout:
    """``requested`` (or ``approved`` not yet signing) → ``rejected``: the hold is released (a refund's
    item returns to the unmatched queue), the user is told the reason after the commit."""
    reason = clean_reason(reason)
    async with unit(session):
        payout = await _locked(session, payout_id)
        refused = can_reject(payout)
        if refused is not None:
            raise DeskRefusal(refused, status=payout.status)
        before = payout.status
        now = clock.now()
        moved = await session.execute(
            update(Payout)
            .where(
                Payout.id == payout_id,
                Payout.status == before,
                Payout.nonce.is_(None),
                Payout.dead_lettered.is_(False),
            )
            .values(
                status=PayoutStatus.REJECTED,
                rejected_at=now,
                rejected_by_admin_id=admin.id,
                reject_reason=reason,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(moved, "rowcount", 0) != 1:
            raise DeskRefusal(NOT_REJECTABLE, status=payout.status)
        done = await session.get(Payout, payout_id, populate_existing=True)
        assert done is not None
        payout = done
        await release(session, payout, admin.id)
        await audit.log(
            session,
            access.actor(admin),
            "withdrawal_rejected",
            target_type="payout",
            target_id=payout_id,
            amount=payout.amount,
            before={"status": before},
            after={"status": PayoutStatus.REJECTED},
            details={"reason": reason, "kind": payout.kind},
        )
        user = await session.get(User, payout.user_id) if payout.user_id is not None else None
    if user is not None:
        await notify_rejected(rt, user, payout)
    return payout


async def notify_rejected(rt: Runtime, user: User, payout: Payout) -> None:
    def build(t: Translator) -> Content:
        key = "pn.rejected_reason" if payout.reject_reason else "pn.rejected"
        return Content(
            t(
                key,
                id=payout.id,
                amount=format_amount(payout.amount, t.lang),
                reason=payout.reject_reason or "",
            )
        )

    await notifier(rt).to_user(user, build, category=CATEGORY_REJECTED)

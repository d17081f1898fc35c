"""services.admin.withdrawals on the real database (SPEC §3.7.4–§3.7.6, scenarios 40–43): approval rows,
the conditional transition, two-admin withdrawals, reject with release, and the races of approve against
approve and against the user's cancel (50 rounds each)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from sigmatrade.app import build_runtime
from sigmatrade.config import load_config
from sigmatrade.db.models import Admin, AuditLog, FailedNotification, PayoutApproval, User
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import JobStatus, PayoutStatus
from sigmatrade.ledger import accounts
from sigmatrade.runtime import Runtime
from sigmatrade.services import withdrawals as user_withdrawals
from sigmatrade.services.admin import withdrawals as desk
from sigmatrade.services.admin.refusals import DeskRefusal
from tests.desk_helpers import balance, consistent, count, desk_admin, funded_user, payout, requested

D = Decimal


@pytest.fixture
async def rt(db: Database) -> AsyncIterator[Runtime]:
    env = load_config(_env_file=None, database_url=db.url, environment="test")
    yield await build_runtime(env, db=db)


async def _approve(rt: Runtime, admin: Admin, payout_id: int) -> desk.ApproveResult | str:
    async with rt.db.session() as session:
        try:
            return await desk.approve(session, rt, admin, payout_id)
        except DeskRefusal as exc:
            return exc.code


async def _cancel(rt: Runtime, user: User, payout_id: int) -> str:
    async with rt.db.session() as session:
        try:
            await user_withdrawals.cancel(session, rt, user, payout_id)
            return "cancelled"
        except user_withdrawals.WithdrawalError as exc:
            return exc.code


async def test_single_approval_moves_to_approved_once(rt: Runtime) -> None:
    a1, a2 = await desk_admin(rt), await desk_admin(rt)
    user = await funded_user(rt)
    p = await requested(rt, user, "20")
    result = await _approve(rt, a1, p.id)
    assert isinstance(result, desk.ApproveResult) and result.outcome == desk.Outcome.APPROVED
    assert (await payout(rt, p.id)).status == PayoutStatus.APPROVED
    assert await _approve(rt, a1, p.id) == "already_processed"  # double tap
    assert await _approve(rt, a2, p.id) == "already_processed"
    assert await count(rt, PayoutApproval) == 1
    assert await count(rt, AuditLog, AuditLog.action == "withdrawal_approved") == 1
    await consistent(rt)


async def test_two_admin_threshold_needs_two_different_admins(rt: Runtime) -> None:
    a1, a2 = await desk_admin(rt), await desk_admin(rt)
    user = await funded_user(rt)
    p = await requested(rt, user, "1000")
    assert p.required_approvals == 2
    first = await _approve(rt, a1, p.id)
    assert isinstance(first, desk.ApproveResult) and first.outcome == desk.Outcome.RECORDED
    assert await _approve(rt, a1, p.id) == "same_admin"
    assert (await payout(rt, p.id)).status == PayoutStatus.REQUESTED
    page = await _queue(rt)
    assert [(i.id, i.approvals) for i in page.items] == [(p.id, 1)]
    second = await _approve(rt, a2, p.id)
    assert isinstance(second, desk.ApproveResult) and second.outcome == desk.Outcome.APPROVED
    assert second.approvals == 2
    assert (await _queue(rt)).total == 0
    await consistent(rt)


async def _queue(rt: Runtime) -> desk.QueuePage:
    async with rt.db.session() as session:
        return await desk.queue(session, 1)


async def test_queue_oldest_first_and_detail(rt: Runtime) -> None:
    admin = await desk_admin(rt)
    user = await funded_user(rt)
    ids = [(await requested(rt, user, amount)).id for amount in ("10", "11", "12", "13", "14", "15")]
    page = await _queue(rt)
    assert [i.id for i in page.items] == ids[:5] and page.pages == 2 and page.total == 6
    first = page.items[0]
    assert first.user is not None and (first.user.id, first.user.telegram_id) == (user.id, user.telegram_id)
    assert (first.amount, first.approvals, first.required) == (D(10), 0, 1)
    async with rt.db.session() as session:
        past_the_end = await desk.queue(session, 99)  # clamped to the last page
    assert (past_the_end.page, [i.id for i in past_the_end.items]) == (2, ids[5:])
    await _approve(rt, admin, ids[0])
    async with rt.db.session() as session:
        view = await desk.detail(session, ids[0])
        assert await desk.detail(session, 10**12) is None
    assert view is not None and view.user is not None and view.user.id == user.id
    assert view.balances is not None and view.balances.held == D(11 + 12 + 13 + 14 + 15 + 10)
    assert [a.telegram_id for a in view.approvers] == [admin.telegram_id]


async def test_reject_releases_and_tells_the_user_escaped(rt: Runtime) -> None:
    admin = await desk_admin(rt)
    user = await funded_user(rt, "100")
    p = await requested(rt, user, "40")
    assert await balance(rt, accounts.available(user.id)) == D(60)
    async with rt.db.session() as session:
        rejected = await desk.reject(session, rt, admin, p.id, "  <b>&  ")
    assert rejected.status == PayoutStatus.REJECTED and rejected.reject_reason == "<b>&"
    assert await balance(rt, accounts.available(user.id)) == D(100)
    assert await balance(rt, accounts.held(user.id)) == D(0)
    async with rt.db.session() as session:
        note = await session.scalar(
            select(FailedNotification).where(FailedNotification.category == "payout_rejected")
        )
    assert note is not None and "&lt;b&gt;&amp;" in str(note.payload["text"])  # no bot here: queued, escaped
    async with rt.db.session() as session:
        with pytest.raises(DeskRefusal) as refused:
            await desk.reject(session, rt, admin, p.id, None)
    assert refused.value.code == "not_rejectable"
    assert await _approve(rt, admin, p.id) == "already_processed"
    await consistent(rt)


async def test_reject_approved_before_signing_only(rt: Runtime) -> None:
    admin = await desk_admin(rt)
    user = await funded_user(rt, "100")
    p = await requested(rt, user, "30")
    await _approve(rt, admin, p.id)
    async with rt.db.session() as session:
        assert (await desk.reject(session, rt, admin, p.id, "late")).status == PayoutStatus.REJECTED
    q = await requested(rt, user, "30")
    await _approve(rt, admin, q.id)
    async with rt.db.transaction() as session:
        row = await session.get(type(q), q.id)
        assert row is not None
        row.status = PayoutStatus.SIGNING
    async with rt.db.session() as session:
        with pytest.raises(DeskRefusal):
            await desk.reject(session, rt, admin, q.id, "too late")
    assert await balance(rt, accounts.held(user.id)) == D(30)


ROUNDS = 50


async def test_two_admins_racing_on_a_large_withdrawal(rt: Runtime) -> None:
    admins = [await desk_admin(rt) for _ in range(3)]
    user = await funded_user(rt, str(1000 * ROUNDS + 10))
    for _ in range(ROUNDS):
        p = await requested(rt, user, "1000")
        # three admins at once on a two-admin withdrawal: exactly one transition, two approvals
        results = await asyncio.gather(*(_approve(rt, a, p.id) for a in admins))
        outcomes = [r.outcome if isinstance(r, desk.ApproveResult) else r for r in results]
        assert outcomes.count(desk.Outcome.APPROVED) == 1, outcomes
        assert outcomes.count(desk.Outcome.RECORDED) == 1, outcomes
        assert outcomes.count("already_processed") == 1, outcomes
        assert await count(rt, PayoutApproval, PayoutApproval.payout_id == p.id) == 2
        assert (await payout(rt, p.id)).status == PayoutStatus.APPROVED
    assert await count(rt, AuditLog, AuditLog.action == "withdrawal_approved") == ROUNDS
    await consistent(rt)


async def test_approve_racing_the_users_cancel(rt: Runtime) -> None:
    a1, a2 = await desk_admin(rt), await desk_admin(rt)
    user = await funded_user(rt, "1100")
    approved = cancelled = 0
    for n in range(ROUNDS):
        p = await requested(rt, user, "1000" if n % 2 else "20")
        if n % 2:  # a two-admin request with its first approval: the second races the cancel
            await _approve(rt, a1, p.id)
        approval, cancel = await asyncio.gather(_approve(rt, a2, p.id), _cancel(rt, user, p.id))
        status = (await payout(rt, p.id)).status
        if status == PayoutStatus.APPROVED:
            approved += 1
            assert isinstance(approval, desk.ApproveResult) and cancel == "not_cancellable"
            async with rt.db.session() as session:  # let the next round start from the same balance
                await desk.reject(session, rt, a1, p.id, None)
        else:
            cancelled += 1
            assert status == PayoutStatus.CANCELLED and approval == "already_processed"
        assert await balance(rt, accounts.held(user.id)) == D(0)
        assert await balance(rt, accounts.available(user.id)) == D(1100)
    assert approved + cancelled == ROUNDS
    await consistent(rt)


class _Jobs:
    def __init__(self) -> None:
        self.ran: list[str] = []

    async def run_now(self, name: str) -> JobStatus:
        self.ran.append(name)
        return JobStatus.OK


async def test_the_approval_wakes_the_payment_processor_not_a_recorded_one(rt: Runtime) -> None:
    jobs = _Jobs()
    rt.jobs = jobs
    a1, a2 = await desk_admin(rt), await desk_admin(rt)
    user = await funded_user(rt)
    p = await requested(rt, user, "1500")
    await _approve(rt, a1, p.id)
    await asyncio.sleep(0.05)
    assert jobs.ran == []  # 1 of 2: nothing to send yet
    await _approve(rt, a2, p.id)
    await asyncio.sleep(0.05)
    assert jobs.ran == ["payment_processor"]

"""services.admin.unmatched on the real database (SPEC §4.5, scenario 17 admin half): assign confirms the
deposit with its commissions exactly once (also under a double tap), refund goes through the payout
pipeline's approval rules, ignore needs a note; every action only from ``open``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from sigmatrade.app import build_runtime
from sigmatrade.config import load_config
from sigmatrade.db.models import Deposit, JournalEntry, Payout, ReferralCommission, UnmatchedDeposit, User
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import (
    AdminRole,
    DepositSource,
    DepositStatus,
    EntryType,
    PayoutKind,
    PayoutStatus,
    UnmatchedStatus,
)
from sigmatrade.ledger import accounts
from sigmatrade.runtime import Runtime
from sigmatrade.services.admin import panel
from sigmatrade.services.admin import unmatched as desk
from sigmatrade.services.admin import withdrawals as wd_desk
from sigmatrade.services.admin.refusals import DeskRefusal
from tests.desk_helpers import balance, consistent, count, desk_admin, unmatched_item
from tests.factories import make_user

D = Decimal


@pytest.fixture
async def rt(db: Database) -> AsyncIterator[Runtime]:
    env = load_config(_env_file=None, database_url=db.url, environment="test")
    yield await build_runtime(env, db=db)


async def _status(rt: Runtime, item_id: int) -> str:
    async with rt.db.session() as session:
        row = await session.get(UnmatchedDeposit, item_id)
        assert row is not None
        return row.status


async def _pair(rt: Runtime) -> tuple[User, User]:
    async with rt.db.transaction() as session:
        referrer = await make_user(session, language="en")
        user = await make_user(session, language="en", referrer=referrer, username="Payer")
    return referrer, user


async def test_assign_confirms_with_commissions_exactly_once(rt: Runtime) -> None:
    admin, other = await desk_admin(rt), await desk_admin(rt)
    referrer, user = await _pair(rt)
    item_id = await unmatched_item(rt, "10")
    async with rt.db.session() as session:
        page = await desk.queue(session, 1)
        assert [i.item.id for i in page.items] == [item_id]
        assert (await desk.find_user(session, "@payer")) is not None
        assert (await desk.find_user(session, str(user.telegram_id))) is not None
        assert await desk.check_assign(session, rt, item_id, user.id, 1) == D(10)

    async def attempt(who: object) -> str:
        async with rt.db.session() as session:
            try:
                await desk.assign(session, rt, who, item_id, user.id, 1)  # type: ignore[arg-type]
                return "ok"
            except DeskRefusal as exc:
                return exc.code

    results = await asyncio.gather(attempt(admin), attempt(other))
    assert sorted(results) == ["not_open", "ok"]
    assert await _status(rt, item_id) == UnmatchedStatus.ASSIGNED
    async with rt.db.session() as session:
        deposit = await session.scalar(select(Deposit).where(Deposit.user_id == user.id))
    assert deposit is not None and deposit.status == DepositStatus.CONFIRMED
    assert deposit.source == DepositSource.ADMIN_ASSIGNMENT and deposit.received_amount == D(10)
    assert await balance(rt, accounts.principal(user.id)) == D(10)
    assert await balance(rt, accounts.available(referrer.id)) == D("0.3")
    assert await count(rt, ReferralCommission) == 1
    assert await count(rt, JournalEntry, JournalEntry.entry_type == EntryType.UNMATCHED_ASSIGNED) == 1
    await consistent(rt)


async def test_assign_reuses_the_users_pending_deposit_and_checks_amount_and_rules(rt: Runtime) -> None:
    admin = await desk_admin(rt)
    _, user = await _pair(rt)
    small = await unmatched_item(rt, "9.98")
    async with rt.db.session() as session:
        with pytest.raises(DeskRefusal) as refused:
            await desk.check_assign(session, rt, small, user.id, 1)
        assert refused.value.code == "too_little"
        with pytest.raises(DeskRefusal) as refused:
            await desk.check_assign(session, rt, small, user.id, 2)  # level 2 is closed by default
        assert refused.value.code in ("too_little", "activation")
    item_id = await unmatched_item(rt, "10")
    async with rt.db.transaction() as session:
        from datetime import timedelta

        from sigmatrade import clock

        pending = Deposit(
            user_id=user.id,
            level=1,
            amount=D(10),
            cap_amount=D(50),
            status=DepositStatus.PENDING,
            source=DepositSource.USER,
            expires_at=clock.now() + timedelta(hours=1),
            accrued_total=D(0),
        )
        session.add(pending)
    async with rt.db.session() as session:
        confirmation = await desk.assign(session, rt, admin, item_id, user.id, 1)
    assert confirmation.deposit.id == pending.id
    assert await count(rt, Deposit) == 1
    await consistent(rt)


async def test_refund_through_approval_and_back_to_open_when_rejected(rt: Runtime) -> None:
    adm = await desk_admin(rt)
    ext = await desk_admin(rt, AdminRole.EXTENDED_ADMIN)
    item_id = await unmatched_item(rt, "30")
    async with rt.db.session() as session:
        with pytest.raises(DeskRefusal) as refused:
            await desk.refund(session, rt, ext, item_id, "  ")
        assert refused.value.code == "note_required"
        payout = await desk.refund(session, rt, ext, item_id, "sender asked")
    assert (payout.kind, payout.status, payout.amount, payout.fee) == (
        PayoutKind.REFUND,
        PayoutStatus.REQUESTED,
        D(30),
        D(0),
    )
    assert await _status(rt, item_id) == UnmatchedStatus.REFUND_PENDING
    async with rt.db.session() as session:
        await wd_desk.reject(session, rt, adm, payout.id, "wrong")
    assert await _status(rt, item_id) == UnmatchedStatus.OPEN
    async with rt.db.session() as session:
        again = await desk.refund(session, rt, ext, item_id, "second try")
        await wd_desk.approve(session, rt, adm, again.id)
    assert again.idempotency_key != payout.idempotency_key
    assert await balance(rt, accounts.system_code(accounts.SystemAccount.UNMATCHED_SUSPENSE)) == D(30)
    await consistent(rt)


async def test_a_refund_awaiting_approval_is_counted_on_the_panel_and_listed_in_the_queue(
    rt: Runtime,
) -> None:
    """The panel's "awaiting approval" count is the queue's total: a refund waits for the same approvals."""
    ext = await desk_admin(rt, AdminRole.EXTENDED_ADMIN)
    item_id = await unmatched_item(rt, "30")
    async with rt.db.session() as session:
        payout = await desk.refund(session, rt, ext, item_id, "sender asked")
    assert payout.status == PayoutStatus.REQUESTED
    async with rt.db.session() as session:
        waiting = (await panel.attention(session)).withdrawals
        page = await wd_desk.queue(session, 1)
    assert (waiting, page.total, [item.id for item in page.items]) == (1, 1, [payout.id])


async def test_ignore_needs_a_note_and_posts_once(rt: Runtime) -> None:
    ext = await desk_admin(rt, AdminRole.EXTENDED_ADMIN)
    item_id = await unmatched_item(rt, "12")
    async with rt.db.session() as session:
        with pytest.raises(DeskRefusal):
            await desk.ignore(session, rt, ext, item_id, None)
        done = await desk.ignore(session, rt, ext, item_id, "test transfer")
        assert done.status == UnmatchedStatus.IGNORED
        with pytest.raises(DeskRefusal) as refused:
            await desk.ignore(session, rt, ext, item_id, "again")
        assert refused.value.code == "not_open"
    assert await count(rt, JournalEntry, JournalEntry.entry_type == EntryType.UNMATCHED_IGNORED) == 1
    assert await count(rt, Payout) == 0
    await consistent(rt)

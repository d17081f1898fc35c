"""The lock order of write transactions (``db.locks``, docs/decisions.md "Lock order") on PostgreSQL:
a deposit confirmation (post the deposit, audit, then post the upline's commission) racing the
upline's withdrawal request (post the hold, then audit) deadlocked when the audit lock was taken
between two groups of account locks. With the books lock taken first at fixed points, the second
transaction waits and both commit."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import select

from sigmatrade.db.models import LedgerAccount
from sigmatrade.db.session import Database
from sigmatrade.ledger import accounts, entries
from sigmatrade.ledger.journal import post
from sigmatrade.services import audit
from tests.conftest import PG_URL
from tests.factories import credit, make_user
from tests.locks import someone_waits_on_a_lock

pytestmark = pytest.mark.skipif(not PG_URL, reason="row and advisory locks are PostgreSQL's")


async def test_deposit_confirmation_and_withdrawal_request_do_not_deadlock(db: Database) -> None:
    async with db.transaction() as session:
        upline = await make_user(session)
        depositor = await make_user(session, referrer=upline)
        await credit(session, upline, Decimal(50))
    a_audited = asyncio.Event()

    async def deposit_confirmation() -> None:
        async with db.session() as session, session.begin():
            await post(
                session, entries.deposit_confirmed("lock-order-transfer", 9001, depositor.id, Decimal(100))
            )
            await audit.log(session, audit.SYSTEM, "deposit_confirmed", target_type="deposit", target_id=9001)
            a_audited.set()
            assert await someone_waits_on_a_lock(db)  # the withdrawal request is blocked now
            await post(session, entries.referral_commission("deposit", 9001, upline.id, Decimal(3)))

    async def withdrawal_request() -> None:
        await a_audited.wait()
        async with db.session() as session, session.begin():
            await post(session, entries.withdrawal_hold(9002, upline.id, Decimal(20)))
            await audit.log_user_action(session, upline.id, upline.telegram_id, "withdrawal_requested")

    await asyncio.wait_for(asyncio.gather(deposit_confirmation(), withdrawal_request()), 60)
    async with db.session() as session:
        balances = dict(
            (
                await session.execute(
                    select(LedgerAccount.code, LedgerAccount.balance).where(
                        LedgerAccount.code.in_([accounts.available(upline.id), accounts.held(upline.id)])
                    )
                )
            ).all()
        )
        verified = await audit.verify(session)
    assert balances == {accounts.available(upline.id): Decimal(33), accounts.held(upline.id): Decimal(20)}
    assert verified.ok and verified.rows == 2

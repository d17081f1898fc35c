"""Ledger: exact postings, idempotency keys, no negative user balances, invariant check."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from sigmatrade.db.models import JournalEntry, LedgerAccount
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import PayoutStatus, SystemAccount
from sigmatrade.ledger import accounts as acc
from sigmatrade.ledger import entries
from sigmatrade.ledger.check import run_check
from sigmatrade.ledger.journal import InsufficientFunds, LedgerError, post
from tests.factories import make_payout, make_user

D = Decimal


async def _balance(db: Database, code: str) -> Decimal:
    async with db.session() as session:
        return (await session.scalar(select(LedgerAccount.balance).where(LedgerAccount.code == code))) or D(0)


async def test_adjustment_hold_settle_exact(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        await post(
            session, entries.adjustment(user.id, D("100.000000000000000001"), "seed", key="adjust:seed")
        )
        payout = await make_payout(session, user, D("12.50"), fee=D("0.13"))
        await post(session, entries.withdrawal_hold(payout.id, user.id, D("12.50")))
    assert await _balance(db, acc.available(user.id)) == D("87.500000000000000001")
    assert await _balance(db, acc.held(user.id)) == D("12.50")
    async with db.transaction() as session:
        payout.status = PayoutStatus.CONFIRMED
        session.add(payout)
        await post(session, entries.payout_settled(payout.id, user.id, D("12.50"), D("12.37"), D("0.13")))
    assert await _balance(db, acc.held(user.id)) == 0
    assert await _balance(db, acc.system_code(SystemAccount.PAYOUTS)) == D("12.37")
    assert await _balance(db, acc.system_code(SystemAccount.FEES)) == D("0.13")
    async with db.session() as session:
        report = await run_check(session)
    assert report.ok, report.render()


async def test_replay_is_a_noop(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        first = await post(session, entries.adjustment(user.id, D(5), "seed", key="adjust:once"))
        again = await post(session, entries.adjustment(user.id, D(5), "seed", key="adjust:once"))
    assert first.created and not again.created and again.entry.id == first.entry.id
    assert await _balance(db, acc.available(user.id)) == D(5)


async def test_concurrent_same_key_posts_once(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)

    async def attempt() -> bool:
        async with db.transaction() as session:
            return (await post(session, entries.adjustment(user.id, D(1), "race", key="adjust:race"))).created

    results = await asyncio.gather(*(attempt() for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]
    assert await _balance(db, acc.available(user.id)) == D(1)


async def test_overdraft_refused_and_nothing_written(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        await post(session, entries.adjustment(user.id, D(10), "seed", key="adjust:s"))
    with pytest.raises(InsufficientFunds):
        async with db.transaction() as session:
            payout = await make_payout(session, user, D("10.01"))
            await post(session, entries.withdrawal_hold(payout.id, user.id, D("10.01")))
    assert await _balance(db, acc.available(user.id)) == D(10)
    async with db.session() as session:
        assert await session.scalar(select(func.count(JournalEntry.id))) == 1


async def test_concurrent_holds_only_one_succeeds(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        await post(session, entries.adjustment(user.id, D(1000), "seed", key="adjust:k"))

    async def hold() -> bool:
        try:
            async with db.transaction() as session:
                payout = await make_payout(session, user, D(600))
                await post(session, entries.withdrawal_hold(payout.id, user.id, D(600)))
            return True
        except InsufficientFunds:
            return False

    assert sorted(await asyncio.gather(hold(), hold())) == [False, True]
    assert await _balance(db, acc.available(user.id)) == D(400)


def test_malformed_entries_refused() -> None:
    from sigmatrade.domain.enums import EntryType
    from sigmatrade.ledger.journal import EntrySpec, Posting, validate

    for postings in (
        (Posting("a", D(1)),),
        (Posting("a", D(1)), Posting("b", D("-0.99"))),
        (Posting("a", D(0)), Posting("b", D(0))),
        (Posting("a", D("1e-19")), Posting("b", D("-1e-19"))),
    ):
        with pytest.raises(LedgerError):
            validate(EntrySpec("k", EntryType.ADJUSTMENT, postings))


async def test_check_finds_a_corrupted_posting(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        await post(session, entries.adjustment(user.id, D(10), "seed", key="adjust:c"))
    async with db.transaction() as session:
        await session.execute(
            text("UPDATE ledger_postings SET amount = '11' WHERE amount = '10'")
            if db.is_sqlite
            else text("UPDATE ledger_postings SET amount = 11 WHERE amount = 10")
        )
    async with db.session() as session:
        report = await run_check(session)
    assert not report.ok
    rendered = report.render()
    assert "entry 1: postings sum to 1" in rendered
    assert f"account {acc.available(user.id)}" in rendered

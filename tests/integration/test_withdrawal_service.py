"""services.withdrawals on the real database: the request transaction, idempotency, concurrency
(scenario 39), the daily limit window, approval policy, user cancel, eligibility and rate limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.app import build_runtime
from sigmatrade.config import load_config
from sigmatrade.db.models import Admin, AuditLog, JournalEntry, LedgerAccount, Payout, PayoutApproval, User
from sigmatrade.db.session import Database
from sigmatrade.domain import withdrawals as rules_mod
from sigmatrade.domain.enums import EntryType, PayoutKind, PayoutStatus
from sigmatrade.ledger import accounts
from sigmatrade.ledger.check import run_check
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit, settings
from sigmatrade.services import withdrawals as svc
from sigmatrade.services.finpass import CheckOutcome
from tests.factories import credit, make_payout, make_user

D = Decimal
FINPASS = "Abcdefgh2345"


@pytest.fixture
async def rt(db: Database) -> AsyncIterator[Runtime]:
    env = load_config(_env_file=None, database_url=db.url, environment="test")
    yield await build_runtime(env, db=db)


async def _user(rt: Runtime, balance: str | None = "100", **kwargs: Any) -> User:
    async with rt.db.transaction() as session:
        user = await make_user(session, finpass=FINPASS, **kwargs)
        if balance:
            await credit(session, user, balance)
    return user


async def _set(rt: Runtime, key: str, value: Any) -> None:
    async with rt.db.transaction() as session:
        await settings.write(session, key, value, None)
    rt.store.invalidate()


async def _balance(rt: Runtime, code: str) -> Decimal:
    async with rt.db.session() as session:
        return (await session.scalar(select(LedgerAccount.balance).where(LedgerAccount.code == code))) or D(0)


async def _count(rt: Runtime, model: Any) -> int:
    async with rt.db.session() as session:
        return int(await session.scalar(select(func.count(model.id))) or 0)


async def _request(rt: Runtime, user: User, amount: str, flow: int | None = None) -> tuple[Payout, bool]:
    async with rt.db.session() as session:
        return await svc.request(session, rt, user.id, flow_id=flow or svc.new_flow_id(), amount=D(amount))


async def _consistent(rt: Runtime) -> None:
    async with rt.db.session() as session:
        report = await run_check(session)
        assert report.ok, report.render()
        assert (await audit.verify(session)).ok


async def test_request_inserts_payout_hold_and_audit(rt: Runtime) -> None:
    await _set(rt, "withdrawal.fee_percent", D(1))
    user = await _user(rt, "50")
    payout, created = await _request(rt, user, "12.50", flow=77)
    assert created
    assert payout.kind == PayoutKind.WITHDRAWAL and payout.status == PayoutStatus.REQUESTED
    assert (payout.amount, payout.fee, payout.net_amount) == (D("12.50"), D("0.13"), D("12.37"))
    assert payout.raw_amount == 12_370_000_000_000_000_000
    assert payout.to_address == user.wallet_address
    assert payout.idempotency_key == f"withdrawal:{user.id}:77"
    assert payout.requested_at is not None and payout.approved_at is None
    assert await _balance(rt, accounts.available(user.id)) == D("37.50")
    assert await _balance(rt, accounts.held(user.id)) == D("12.50")
    async with rt.db.session() as session:
        entry = await session.scalar(
            select(JournalEntry).where(JournalEntry.idempotency_key == f"payout:{payout.id}:hold")
        )
        assert entry is not None and entry.entry_type == EntryType.WITHDRAWAL_HOLD
        row = await session.scalar(select(AuditLog).where(AuditLog.action == "withdrawal_requested"))
        assert row is not None and row.target_id == payout.id and row.amount == D("12.50")
        assert row.details["net"] == "12.37" and row.before == {"available": "50"}
    await _consistent(rt)


async def test_same_flow_twice_creates_one_payout(rt: Runtime) -> None:
    user = await _user(rt, "100")
    first, created = await _request(rt, user, "10", flow=5)
    again, created_again = await _request(rt, user, "10", flow=5)
    assert created and not created_again and again.id == first.id
    # Concurrent double submit of one flow.
    results = await asyncio.gather(*(_request(rt, user, "20", flow=6) for _ in range(2)))
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0].id == results[1][0].id
    assert await _count(rt, Payout) == 2
    assert await _balance(rt, accounts.held(user.id)) == D(30)
    await _consistent(rt)


async def test_two_concurrent_requests_exceeding_the_balance(rt: Runtime) -> None:
    """Scenario 39: balance 1000, two concurrent requests of 600 → exactly one payout held."""
    user = await _user(rt, "1000")
    outcomes = await asyncio.gather(
        _request(rt, user, "600"), _request(rt, user, "600"), return_exceptions=True
    )
    made = [o for o in outcomes if isinstance(o, tuple)]
    refused = [o for o in outcomes if isinstance(o, svc.WithdrawalError)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert refused[0].code in ("above_available", svc.INSUFFICIENT_FUNDS)
    assert await _count(rt, Payout) == 1
    assert await _balance(rt, accounts.available(user.id)) == D(400)
    assert await _balance(rt, accounts.held(user.id)) == D(600)
    await _consistent(rt)


async def test_hold_failure_rolls_back_the_payout(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """A balance that changed after validation: the conditional hold fails and nothing is written."""
    user = await _user(rt, "10")

    def accept(amount: Decimal, rules: rules_mod.Rules, **_: Any) -> rules_mod.Quote:
        return rules_mod.quote(amount, rules.fee_percent)

    monkeypatch.setattr(rules_mod, "check", accept)
    entries_before = await _count(rt, JournalEntry)
    with pytest.raises(svc.WithdrawalError) as info:
        await _request(rt, user, "50")
    assert info.value.code == svc.INSUFFICIENT_FUNDS
    assert await _count(rt, Payout) == 0 and await _count(rt, JournalEntry) == entries_before
    assert await _balance(rt, accounts.available(user.id)) == D(10)
    await _consistent(rt)


async def test_amount_rules_are_rechecked_in_the_transaction(rt: Runtime) -> None:
    user = await _user(rt, "100")
    for amount, code in (("4.99", "below_min"), ("1000000.01", "above_max"), ("100.01", "above_available")):
        with pytest.raises(svc.WithdrawalError) as info:
            await _request(rt, user, amount)
        assert info.value.code == code
    assert await _count(rt, Payout) == 0
    await _consistent(rt)


async def test_approval_policy_at_request_time(rt: Runtime) -> None:
    user = await _user(rt, "5000")
    await _set(rt, "withdrawal.auto_approve_below", D(50))
    auto, _ = await _request(rt, user, "20")
    one, _ = await _request(rt, user, "50")
    two, _ = await _request(rt, user, "1000")
    assert (auto.status, auto.required_approvals, auto.auto_approved) == (PayoutStatus.APPROVED, 0, True)
    assert auto.approved_at is not None
    assert (one.status, one.required_approvals, one.auto_approved) == (PayoutStatus.REQUESTED, 1, False)
    assert (two.status, two.required_approvals, two.auto_approved) == (PayoutStatus.REQUESTED, 2, False)
    # auto_approve_below above the two-admin threshold never auto-approves at/above the threshold.
    await _set(rt, "withdrawal.auto_approve_below", D(5000))
    big, _ = await _request(rt, user, "1500")
    assert (big.status, big.required_approvals) == (PayoutStatus.REQUESTED, 2)
    await _consistent(rt)


async def test_daily_limit_counts_today_and_open_statuses_only(rt: Runtime) -> None:
    user = await _user(rt, "1000")
    await _set(rt, "withdrawal.daily_limit", D(100))
    # Yesterday's request does not count.
    clock.travel(timedelta(days=-1))
    await _request(rt, user, "90")
    clock.reset()
    now = clock.now()
    if now.hour == 23 and now.minute >= 55:
        clock.travel(timedelta(minutes=10))
    async with rt.db.transaction() as session:
        row = await session.get(User, user.id)
        assert row is not None
        for status in (PayoutStatus.CANCELLED, PayoutStatus.REJECTED, PayoutStatus.FAILED):
            await make_payout(session, row, D(100), status=status)
    await _request(rt, user, "60")
    with pytest.raises(svc.WithdrawalError) as info:
        await _request(rt, user, "50")
    assert info.value.code == "daily_limit" and info.value.params["bound"] == D(40)
    async with rt.db.session() as session:
        assert await svc.used_today(session, user.id) == D(60)
    await _request(rt, user, "40")
    await _consistent(rt)


async def test_cancel_only_from_requested(rt: Runtime) -> None:
    user = await _user(rt, "2000")
    other = await _user(rt, "50")
    payout, _ = await _request(rt, user, "1000")
    async with rt.db.transaction() as session:
        admin = Admin(telegram_id=777_001, role="admin", created_via="cli")
        session.add(admin)
        await session.flush()
        session.add(PayoutApproval(payout_id=payout.id, admin_id=admin.id))
    async with rt.db.session() as session:
        with pytest.raises(svc.WithdrawalError) as info:
            await svc.cancel(session, rt, other, payout.id)  # another user's payout = missing
        assert info.value.code == svc.NOT_FOUND
        with pytest.raises(svc.WithdrawalError) as info:
            await svc.cancel(session, rt, user, 999_999)
        assert info.value.code == svc.NOT_FOUND
        cancelled, available = await svc.cancel(session, rt, user, payout.id)  # one of two approvals
        assert cancelled.status == PayoutStatus.CANCELLED and available == D(2000)
        with pytest.raises(svc.WithdrawalError) as info:
            await svc.cancel(session, rt, user, payout.id)
        assert info.value.code == svc.NOT_CANCELLABLE and info.value.params["status"] == "cancelled"
    async with rt.db.session() as session:
        releases = await session.scalar(
            select(func.count(JournalEntry.id)).where(JournalEntry.entry_type == EntryType.WITHDRAWAL_RELEASE)
        )
        assert releases == 1
        assert await session.scalar(select(AuditLog).where(AuditLog.action == "withdrawal_cancelled"))
    # Approved (auto) → refused, nothing released.
    await _set(rt, "withdrawal.auto_approve_below", D(50))
    approved, _ = await _request(rt, user, "20")
    async with rt.db.session() as session:
        with pytest.raises(svc.WithdrawalError) as info:
            await svc.cancel(session, rt, user, approved.id)
        assert info.value.code == svc.NOT_CANCELLABLE
    assert await _balance(rt, accounts.held(user.id)) == D(20)
    await _consistent(rt)


async def test_concurrent_cancels_release_once(rt: Runtime) -> None:
    user = await _user(rt, "100")
    payout, _ = await _request(rt, user, "30")

    async def cancel() -> object:
        async with rt.db.session() as session:
            return await svc.cancel(session, rt, user, payout.id)

    outcomes = await asyncio.gather(cancel(), cancel(), return_exceptions=True)
    assert sum(isinstance(o, tuple) for o in outcomes) == 1
    assert await _balance(rt, accounts.available(user.id)) == D(100)
    assert await _balance(rt, accounts.held(user.id)) == D(0)
    await _consistent(rt)


@pytest.mark.parametrize(
    ("flag", "code"),
    [
        ("unverified", svc.NOT_VERIFIED),
        ("banned", svc.BANNED),
        ("earnings_blocked", svc.EARNINGS_BLOCKED),
        ("disabled", svc.DISABLED),
    ],
)
async def test_ineligible_users_cannot_request(rt: Runtime, flag: str, code: str) -> None:
    user = await _user(rt, "100", verified=flag != "unverified", banned=flag == "banned")
    if flag == "earnings_blocked":
        async with rt.db.transaction() as session:
            row = await session.get(User, user.id)
            assert row is not None
            row.earnings_blocked = True
    if flag == "disabled":
        await _set(rt, "withdrawal.enabled", False)
    with pytest.raises(svc.WithdrawalError) as info:
        await _request(rt, user, "10")
    assert info.value.code == code
    assert await _count(rt, Payout) == 0
    await _consistent(rt)


async def test_submit_checks_finpass_and_rate_limit(rt: Runtime) -> None:
    user = await _user(rt, "100")
    await _set(rt, "throttle.withdrawal_request", "1/1h")
    async with rt.db.session() as session:
        wrong = await svc.submit(session, rt, user, flow_id=1, amount=D(10), typed="Wrongpass1234")
        assert wrong.check.outcome == CheckOutcome.WRONG and wrong.check.attempts_left == 4
        assert wrong.payout is None
        ok = await svc.submit(session, rt, user, flow_id=1, amount=D(10), typed=FINPASS)
        assert ok.created and ok.payout is not None
        replay = await svc.submit(session, rt, user, flow_id=1, amount=D(10), typed=FINPASS)
        assert not replay.created and replay.payout is not None and replay.payout.id == ok.payout.id
        with pytest.raises(svc.WithdrawalError) as info:
            await svc.begin(session, rt, user)
        assert info.value.code == svc.RATE_LIMITED and info.value.params["wait_seconds"] > 3000
        with pytest.raises(svc.WithdrawalError) as info:
            await svc.submit(session, rt, user, flow_id=2, amount=D(10), typed=FINPASS)
        assert info.value.code == svc.RATE_LIMITED
    assert await _count(rt, Payout) == 1
    async with rt.db.session() as session:
        fresh = await session.get(User, user.id)
        assert fresh is not None and fresh.finpass_failed_attempts == 0  # success reset the counter
    await _consistent(rt)


async def test_overview_and_payout_pages(rt: Runtime) -> None:
    user = await _user(rt, "1000")
    other = await _user(rt, "100")
    for _ in range(7):
        await _request(rt, user, "10")
    await _request(rt, other, "10")
    async with rt.db.session() as session:
        overview = await svc.overview(session, rt, user)
        assert overview.available == D(930) and overview.held == D(70)
        assert len(overview.open_payouts) == 5 and overview.can_start and overview.blocked is None
        first = await svc.payouts_page(session, user.id, 0)
        last = await svc.payouts_page(session, user.id, 99)
        assert (first.page, first.pages, first.total, len(first.items)) == (1, 2, 7, 5)
        assert (last.page, len(last.items)) == (2, 2)
        assert all(p.user_id == user.id for p in first.items + last.items)
        foreign = await svc.own_payout(session, user.id, 8)
        assert foreign is None and await svc.own_payout(session, other.id, 8) is not None
    await _consistent(rt)


async def test_fee_changed_after_the_summary_is_refused(rt: Runtime) -> None:
    user = await _user(rt, "100")
    await _set(rt, "withdrawal.fee_percent", D(2))
    async with rt.db.session() as session:
        with pytest.raises(svc.WithdrawalError) as info:
            await svc.request(session, rt, user.id, flow_id=9, amount=D(50), expected_fee=D(0))
        assert info.value.code == svc.TERMS_CHANGED
        with pytest.raises(svc.WithdrawalError) as info:
            await svc.prepare_finpass(session, rt, user, D(50), D(0))
        assert info.value.code == svc.TERMS_CHANGED
        assert await svc.prepare_finpass(session, rt, user, D(50), D(1)) == 5
        payout, created = await svc.request(session, rt, user.id, flow_id=9, amount=D(50), expected_fee=D(1))
    assert created and payout.fee == D(1) and payout.net_amount == D(49)
    assert await _count(rt, Payout) == 1
    await _consistent(rt)


async def test_finpass_check_in_the_withdrawal_runs_argon2_off_the_event_loop(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user row is locked while the finpass is checked: argon2 must run in a worker thread so the
    event loop (every other update) keeps running meanwhile; the results are unchanged."""
    import threading

    from sigmatrade.services import crypto

    loop_thread = threading.get_ident()
    threads: list[int] = []
    real = crypto._hasher()

    class Recording:
        def verify(self, hashed: str, secret: str) -> bool:
            threads.append(threading.get_ident())
            return real.verify(hashed, secret)

        def hash(self, secret: str) -> str:
            threads.append(threading.get_ident())
            return real.hash(secret)

        def check_needs_rehash(self, hashed: str) -> bool:
            return real.check_needs_rehash(hashed)

    user = await _user(rt, "100")
    recording = Recording()
    monkeypatch.setattr(crypto, "_hasher", lambda: recording)
    async with rt.db.session() as session:
        wrong = await svc.submit(session, rt, user, flow_id=1, amount=D(10), typed="Wrongpass1234")
        assert wrong.check.outcome == CheckOutcome.WRONG and wrong.payout is None
        ok = await svc.submit(session, rt, user, flow_id=1, amount=D(10), typed=FINPASS)
        assert ok.created and ok.payout is not None
    assert len(threads) == 2 and loop_thread not in threads
    await _consistent(rt)

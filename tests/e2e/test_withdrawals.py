"""Withdrawal requests through the real bot (SPEC §3.7, §5.6; scenarios 36–39, 42–44 request side).

Every scenario ends with ``ledger check`` and ``audit verify``; refused input changes nothing in the
database (payout count, balances, journal entries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiogram.fsm.context import FSMContext
from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.bot.states import Withdrawal
from sigmatrade.db.models import Admin, AuditLog, JournalEntry, Payout, PayoutApproval, User
from sigmatrade.domain.enums import EntryType, PayoutStatus
from sigmatrade.ledger import accounts, entries
from sigmatrade.ledger.check import run_check
from sigmatrade.ledger.journal import post
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit, settings
from tests.factories import credit, make_payout, make_user

FINPASS = "Abcdefgh2345"


# ------------------------------------------------------------------------------------------ helpers
@dataclass(frozen=True)
class Books:
    payouts: int
    available: Decimal
    held: Decimal
    entries: int


async def _make(
    h: Harness,
    tg: int,
    balance: str | None = "50",
    *,
    verified: bool = True,
    language: str = "en",
    **kwargs: Any,
) -> User:
    async with h.rt.db.transaction() as session:
        user = await make_user(
            session, telegram_id=tg, finpass=FINPASS, verified=verified, language=language, **kwargs
        )
        if balance:
            await credit(session, user, balance)
    return user


async def _set(h: Harness, key: str, value: Any) -> None:
    async with h.rt.db.transaction() as session:
        await settings.write(session, key, value, None)
    h.rt.store.invalidate()


async def _books(h: Harness, user_id: int) -> Books:
    async with h.rt.db.session() as session:
        payouts = int(await session.scalar(select(func.count(Payout.id))) or 0)
        journal = int(await session.scalar(select(func.count(JournalEntry.id))) or 0)
        from sigmatrade.db.models import LedgerAccount

        balances = dict(
            (
                await session.execute(
                    select(LedgerAccount.code, LedgerAccount.balance).where(LedgerAccount.user_id == user_id)
                )
            ).all()
        )
    return Books(
        payouts=payouts,
        available=balances[accounts.available(user_id)],
        held=balances[accounts.held(user_id)],
        entries=journal,
    )


async def _payouts(h: Harness) -> list[Payout]:
    async with h.rt.db.session() as session:
        return list((await session.scalars(select(Payout).order_by(Payout.id))).all())


async def _consistent(h: Harness) -> None:
    async with h.rt.db.session() as session:
        report = await run_check(session)
        assert report.ok, report.render()
        verified = await audit.verify(session)
        assert verified.ok, verified.render()


def _fsm(h: Harness, tg: int) -> FSMContext:
    app = h.app
    assert app is not None and app.bot is not None
    return app.dp.fsm.get_context(app.bot, tg, tg)


async def _state(h: Harness, tg: int) -> str | None:
    return await _fsm(h, tg).get_state()


async def press(client: UserClient, label: str) -> Exchange:
    """Press a button after the 1-second double-tap window of the previous identical tap."""
    clock.travel(timedelta(seconds=1.1))
    return await client.press(label)


async def press_data(client: UserClient, data: str) -> Exchange:
    clock.travel(timedelta(seconds=1.1))
    return await client.press_data(data)


async def _open_withdraw(client: UserClient) -> str:
    await client.send("/menu")
    return (await press(client, "💸 Withdraw")).text


async def _to_summary(client: UserClient, amount: str) -> str:
    await _open_withdraw(client)
    await press(client, "➕ New withdrawal")
    return (await client.send(amount)).text


async def _to_finpass(client: UserClient, amount: str) -> str:
    await _to_summary(client, amount)
    return (await press(client, "✅ Confirm")).text


async def _request(client: UserClient, amount: str) -> str:
    await _to_finpass(client, amount)
    return (await client.send(FINPASS)).text


@pytest.fixture(autouse=True)
async def _roomy_throttle(harness: Harness) -> None:
    """These scenarios send more than 30 updates a minute; the global limit is tested elsewhere."""
    await _set(harness, "throttle.updates_per_minute", 10_000)


# ---------------------------------------------------------------------------------------- scenarios
async def test_happy_path_with_fee_holds_the_amount(harness: Harness) -> None:
    """Scenario 36 (request side): fee 1 %, 12.50 → fee 0.13, net 12.37 → finpass → held."""
    user = await _make(harness, 5001, "50")
    await _set(harness, "withdrawal.fee_percent", Decimal(1))
    client = harness.user(5001, "Payee", language_code="en")

    home = await _open_withdraw(client)
    assert "Available: 50.00 USDT" in home and "Fee: 1%" in home and "No open payouts." in home
    assert user.wallet_address in home
    assert (await client.send("/menu")).text  # back to the menu, then the real path
    await press(client, "💸 Withdraw")
    ex = await press(client, "➕ New withdrawal")
    assert "Enter the amount in USDT" in ex.text and "Available: 50.00 USDT" in ex.text
    assert ex.buttons() == ["✖️ Cancel"]
    assert await _state(harness, 5001) == Withdrawal.amount.state

    ex = await client.send("12.50")
    assert "Amount: 12.50 USDT" in ex.text
    assert "Fee (1%): 0.13 USDT" in ex.text and "You receive: 12.37 USDT" in ex.text
    assert user.wallet_address in ex.text and "approval by an administrator" in ex.text
    assert ex.buttons() == ["✅ Confirm", "✖️ Cancel"]
    data = await _fsm(harness, 5001).get_data()
    assert data["wd_amount"] == "12.5" and isinstance(data["wd_flow"], int)

    ex = await press(client, "✅ Confirm")
    assert "financial password" in ex.text and "Attempts left: 5" in ex.text
    assert await _state(harness, 5001) == Withdrawal.finpass.state

    ex = await client.send(FINPASS)
    assert [m.body for m in ex.deleted] == [FINPASS]  # the password message is deleted
    assert "Withdrawal request #1 created" in ex.text
    assert "Amount: 12.50 USDT" in ex.text and "You receive: 12.37 USDT" in ex.text
    assert "Fee: 0.13 USDT" in ex.text and "awaiting approval" in ex.text
    assert ex.buttons() == ["📋 My payouts", "🏠 Menu"]
    assert await _state(harness, 5001) is None
    assert FINPASS not in str(await _fsm(harness, 5001).get_data())

    [payout] = await _payouts(harness)
    assert payout.kind == "withdrawal" and payout.status == PayoutStatus.REQUESTED
    assert (payout.amount, payout.fee, payout.net_amount) == (
        Decimal("12.5"),
        Decimal("0.13"),
        Decimal("12.37"),
    )
    assert payout.raw_amount == 12_370_000_000_000_000_000
    assert payout.to_address == user.wallet_address and payout.user_id == user.id
    assert payout.required_approvals == 1 and not payout.auto_approved
    assert payout.idempotency_key == f"withdrawal:{user.id}:{data['wd_flow']}"
    books = await _books(harness, user.id)
    assert (books.available, books.held) == (Decimal("37.5"), Decimal("12.5"))
    async with harness.rt.db.session() as session:
        hold = await session.scalar(
            select(JournalEntry).where(JournalEntry.idempotency_key == f"payout:{payout.id}:hold")
        )
        assert hold is not None and hold.entry_type == EntryType.WITHDRAWAL_HOLD
        actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
        assert "withdrawal_requested" in actions

    home = await _open_withdraw(client)
    assert "Available: 37.50 USDT" in home and "On hold (open payouts): 12.50 USDT" in home
    assert "#1 · 12.50 USDT · ⏳ awaiting approval" in home
    ex = await press(client, "📋 My payouts")
    assert "#1" in ex.text and "awaiting approval" in ex.text and "Cancel #1" in ex.buttons()[0]
    await _consistent(harness)


async def test_amount_validation_specific_errors(harness: Harness) -> None:
    """Scenario 37: each refused amount names its rule, keeps the state and holds nothing."""
    user = await _make(harness, 5002, "50")
    client = harness.user(5002, "Typo", language_code="en")
    await _open_withdraw(client)
    await press(client, "➕ New withdrawal")
    before = await _books(harness, user.id)
    cases = {
        "-1": "greater than zero",
        "0": "greater than zero",
        "4.99": "minimum withdrawal is 5.00 USDT",
        "5.001": "At most 2 decimal places",
        "1e3": "That is not an amount",
        "abc": "That is not an amount",
        "1 000": "That is not an amount",
        "NaN": "That is not an amount",
        "1000000.01": "maximum withdrawal is 1,000,000.00 USDT",
        "60": "you can withdraw up to 50.00 USDT",
    }
    for text, expected in cases.items():
        ex = await client.send(text)
        assert expected in ex.text, (text, ex.text)
        assert ex.buttons() == ["✖️ Cancel"]
        assert await _state(harness, 5002) == Withdrawal.amount.state
        assert await _books(harness, user.id) == before
    ex = await client.send("12,50")
    assert "Amount: 12.50 USDT" in ex.text and "You receive: 12.50 USDT" in ex.text
    assert await _state(harness, 5002) == Withdrawal.confirm.state
    assert (await _fsm(harness, 5002).get_data())["wd_amount"] == "12.5"
    assert await _books(harness, user.id) == before
    await _consistent(harness)


async def test_net_below_minimum_payout_is_refused(harness: Harness) -> None:
    user = await _make(harness, 5003, "50")
    await _set(harness, "withdrawal.min", Decimal("1"))
    await _set(harness, "withdrawal.fee_percent", Decimal(50))
    await _set(harness, "payout.min_net_amount", Decimal("2"))
    client = harness.user(5003, "Small", language_code="en")
    text = await _to_summary(client, "3")
    assert "minimum payout of 2.00 USDT" in text
    assert await _books(harness, user.id) == Books(0, Decimal(50), Decimal(0), 1)
    text = (await client.send("4")).text
    assert "Fee (50%): 2.00 USDT" in text and "You receive: 2.00 USDT" in text
    await _consistent(harness)


async def test_five_wrong_finpass_entries_lock_without_a_payout(harness: Harness) -> None:
    """Scenario 38: five wrong entries → 15-minute lockout, no payout; works again after expiry."""
    user = await _make(harness, 5004, "50")
    client = harness.user(5004, "Forgetful", language_code="en")
    await _to_finpass(client, "10")
    before = await _books(harness, user.id)
    for left in (4, 3, 2, 1):
        ex = await client.send("Wrongpass1234")
        assert len(ex.deleted) == 1
        assert f"Attempts left: {left}" in ex.text
        assert await _state(harness, 5004) == Withdrawal.finpass.state
    ex = await client.send("Wrongpass1234")
    assert "locked" in ex.text and "15 min" in ex.text and "No withdrawal was created" in ex.text
    assert await _state(harness, 5004) is None
    assert await _books(harness, user.id) == before
    # During the lockout even the right password never gets a prompt.
    ex = await client.send("/menu")
    await press(client, "💸 Withdraw")
    await press(client, "➕ New withdrawal")
    await client.send("10")
    ex = await press(client, "✅ Confirm")
    assert "locked" in ex.text and await _state(harness, 5004) is None
    assert await _books(harness, user.id) == before
    async with harness.rt.db.session() as session:
        actions = (await session.scalars(select(AuditLog.action))).all()
    assert actions.count("finpass_failed") == 5 and actions.count("finpass_locked") == 1

    clock.travel(timedelta(minutes=16))
    ex = await press(client, "💸 Withdraw")
    text = await _request(client, "10")
    assert "Withdrawal request #1 created" in text
    assert (await _books(harness, user.id)).held == Decimal(10)
    await _consistent(harness)


async def test_auto_approve_below_threshold(harness: Harness) -> None:
    """Scenario 42: auto_approve_below = 50 → 20 is approved at once, 60 waits for an admin."""
    user = await _make(harness, 5005, "100")
    await _set(harness, "withdrawal.auto_approve_below", Decimal(50))
    client = harness.user(5005, "Quick", language_code="en")
    summary = await _to_summary(client, "20")
    assert "approved automatically" in summary
    await press(client, "✅ Confirm")
    text = (await client.send(FINPASS)).text
    assert "approved, queued for sending" in text and "approved automatically" in text
    summary = await _to_summary(client, "60")
    assert "approval by an administrator" in summary
    await press(client, "✅ Confirm")
    text = (await client.send(FINPASS)).text
    assert "awaiting approval" in text
    first, second = await _payouts(harness)
    assert (first.status, first.auto_approved, first.required_approvals) == (PayoutStatus.APPROVED, True, 0)
    assert first.approved_at is not None
    assert (second.status, second.auto_approved, second.required_approvals) == (
        PayoutStatus.REQUESTED,
        False,
        1,
    )
    books = await _books(harness, user.id)
    assert (books.available, books.held) == (Decimal(20), Decimal(80))
    await _consistent(harness)


async def test_two_admin_threshold_and_large_request_alert(harness: Harness) -> None:
    user = await _make(harness, 5006, "1500")
    admin_client = harness.user(5106, "Boss", language_code="en")
    admin_client.user.started = True
    async with harness.rt.db.transaction() as session:
        session.add(Admin(telegram_id=5106, role="super_admin", created_via="cli"))
    client = harness.user(5006, "Whale", language_code="en")
    assert "approval by two administrators" in await _to_summary(client, "1000")
    await press(client, "✅ Confirm")
    text = (await client.send(FINPASS)).text
    assert "two administrators" in text
    [payout] = await _payouts(harness)
    assert payout.required_approvals == 2 and payout.status == PayoutStatus.REQUESTED
    alert = await admin_client.wait_message("💰")  # an admin without a users row reads Russian
    assert "Крупная заявка на вывод #1" in alert.body and "1\u00a0000,00 USDT" in alert.body
    assert (await _books(harness, user.id)).held == Decimal(1000)
    await _consistent(harness)


async def test_user_cancels_requested_and_cannot_cancel_approved(harness: Harness) -> None:
    """Scenario 43 (user side): cancel while requested → released; after approval → refused."""
    user = await _make(harness, 5007, "50")
    client = harness.user(5007, "Changed mind", language_code="en")
    await _request(client, "20")
    assert (await _books(harness, user.id)).held == Decimal(20)
    ex = await press(client, "📋 My payouts")
    ex = await press(client, "✖️ Cancel #1")
    assert "Cancel withdrawal request #1 of 20.00 USDT?" in ex.text
    assert ex.buttons() == ["✅ Yes, cancel #1", "◀️ No, keep it"]
    ex = await press(client, "✅ Yes, cancel #1")
    assert "Withdrawal request #1 cancelled" in ex.text and "now 50.00 USDT" in ex.text
    [payout] = await _payouts(harness)
    assert payout.status == PayoutStatus.CANCELLED and payout.cancelled_at is not None
    books = await _books(harness, user.id)
    assert (books.available, books.held) == (Decimal(50), Decimal(0))
    # The confirmation pressed again (stale button, after the double-tap window): nothing changes.
    clock.travel(timedelta(seconds=2))
    ex = await press_data(client, "wd:cancel_ok:1:1")
    assert (
        ex.answer is not None
        and ex.answer["show_alert"]
        and "can no longer be cancelled" in ex.answer["text"]
    )
    assert await _books(harness, user.id) == books
    ex = await press(client, "📋 My payouts")
    assert "cancelled, funds returned" in ex.text and "Cancelled:" in ex.text
    assert not any("Cancel #" in b for b in ex.buttons())

    # An approved payout cannot be cancelled by the user.
    async with harness.rt.db.transaction() as session:
        fresh = await session.get(User, user.id)
        assert fresh is not None
        approved = await make_payout(session, fresh, Decimal(10), status=PayoutStatus.APPROVED)
        await post(session, entries.withdrawal_hold(approved.id, user.id, Decimal(10)))
    before = await _books(harness, user.id)
    ex = await press_data(client, "wd:list:0:1")
    assert f"#{approved.id}" in ex.text and "approved, queued for sending" in ex.text
    assert not any("Cancel #" in b for b in ex.buttons())
    for data in (f"wd:cancel:{approved.id}:1", f"wd:cancel_ok:{approved.id}:1"):
        ex = await press_data(client, data)
        assert ex.answer is not None and ex.answer["show_alert"]
        assert "can no longer be cancelled: ✅ approved, queued for sending" in ex.answer["text"]
    assert await _books(harness, user.id) == before
    assert (await _payouts(harness))[-1].status == PayoutStatus.APPROVED
    await _consistent(harness)


async def test_cancel_with_one_of_two_approvals(harness: Harness) -> None:
    user = await _make(harness, 5008, "1200")
    client = harness.user(5008, "Half", language_code="en")
    await _request(client, "1000")
    async with harness.rt.db.transaction() as session:
        admin = Admin(telegram_id=5108, role="admin", created_via="cli")
        session.add(admin)
        await session.flush()
        session.add(PayoutApproval(payout_id=1, admin_id=admin.id))
    ex = await press(client, "📋 My payouts")
    assert "awaiting approval (1/2)" in ex.text
    await press(client, "✖️ Cancel #1")
    ex = await press(client, "✅ Yes, cancel #1")
    assert "cancelled" in ex.text
    books = await _books(harness, user.id)
    assert (books.available, books.held) == (Decimal(1200), Decimal(0))
    async with harness.rt.db.session() as session:
        actions = (await session.scalars(select(AuditLog.action))).all()
    assert "withdrawal_cancelled" in actions
    await _consistent(harness)


async def test_daily_limit_per_utc_day(harness: Harness) -> None:
    """Scenario 44: limit 100 → 60 then 50 on the same UTC day refused; the next day allowed."""
    now = clock.now()
    if now.hour == 23 and now.minute >= 50:  # keep both requests inside one UTC day
        clock.travel(timedelta(minutes=15))
    user = await _make(harness, 5009, "200")
    await _set(harness, "withdrawal.daily_limit", Decimal(100))
    client = harness.user(5009, "Daily", language_code="en")
    home = await _open_withdraw(client)
    assert "Daily limit: 100.00 USDT (left today: 100.00 USDT)" in home
    assert "Withdrawal request #1 created" in await _request(client, "60")
    home = await _open_withdraw(client)
    assert "left today: 40.00 USDT" in home
    await press(client, "💯 Withdraw all: 40.00 USDT")  # the offer stays within today's limit
    await press(client, "✖️ Cancel")
    await press(client, "➕ New withdrawal")
    before = await _books(harness, user.id)
    ex = await client.send("50")
    assert "Daily limit reached: you can request 40.00 USDT more today" in ex.text
    assert await _state(harness, 5009) == Withdrawal.amount.state
    assert await _books(harness, user.id) == before

    current = clock.now()
    midnight = datetime(current.year, current.month, current.day, tzinfo=UTC) + timedelta(days=1)
    clock.travel(midnight - current + timedelta(minutes=1))
    ex = await client.send("50")
    assert "Amount: 50.00 USDT" in ex.text
    await press(client, "✅ Confirm")
    assert "Withdrawal request #2 created" in (await client.send(FINPASS)).text
    books = await _books(harness, user.id)
    assert (books.available, books.held) == (Decimal(90), Decimal(110))
    await _consistent(harness)


async def test_cancelled_requests_do_not_count_towards_the_daily_limit(harness: Harness) -> None:
    user = await _make(harness, 5010, "200")
    await _set(harness, "withdrawal.daily_limit", Decimal(100))
    client = harness.user(5010, "Undo", language_code="en")
    await _request(client, "80")
    await press(client, "📋 My payouts")
    await press(client, "✖️ Cancel #1")
    await press(client, "✅ Yes, cancel #1")
    assert "Withdrawal request #2 created" in await _request(client, "90")
    assert (await _books(harness, user.id)).held == Decimal(90)
    await _consistent(harness)


async def test_double_submit_creates_one_payout(harness: Harness) -> None:
    """The same flow submitted twice (e.g. an update replayed after a crash) → one payout."""
    user = await _make(harness, 5011, "50")
    client = harness.user(5011, "Twice", language_code="en")
    await _to_finpass(client, "15")
    fsm = _fsm(harness, 5011)
    saved_state, saved_data = await fsm.get_state(), await fsm.get_data()
    assert "Withdrawal request #1 created" in (await client.send(FINPASS)).text
    after_first = await _books(harness, user.id)
    await fsm.set_state(saved_state)
    await fsm.set_data(saved_data)
    ex = await client.send(FINPASS)
    assert "Withdrawal request #1 created" in ex.text and len(ex.deleted) == 1
    assert await _books(harness, user.id) == after_first
    assert after_first.payouts == 1 and after_first.held == Decimal(15)
    # Confirm pressed twice quickly: the second tap is swallowed by the double-tap guard.
    await _to_summary(client, "5")
    summary, button = client.find_button("✅ Confirm")
    first = await client.press_data(button["callback_data"], message=summary)
    assert "Attempts left: 5" in first.text
    second = await client.press_data(button["callback_data"], message=summary)
    assert second.answer is not None and not second.answer.get("show_alert") and not second.screens
    clock.travel(timedelta(seconds=2))  # after the double-tap window: the summary is stale
    third = await client.press_data(button["callback_data"], message=summary)
    assert third.answer is not None and third.answer["show_alert"]
    assert await _state(harness, 5011) == Withdrawal.finpass.state
    assert await _books(harness, user.id) == after_first
    await _consistent(harness)


async def test_withdraw_all_and_below_minimum(harness: Harness) -> None:
    user = await _make(harness, 5012, "50.129")
    client = harness.user(5012, "Everything", language_code="en")
    await _open_withdraw(client)
    ex = await press(client, "💯 Withdraw all: 50.12 USDT")
    assert "Amount: 50.12 USDT" in ex.text and await _state(harness, 5012) == Withdrawal.confirm.state
    await press(client, "✅ Confirm")
    assert "Withdrawal request #1 created" in (await client.send(FINPASS)).text
    books = await _books(harness, user.id)
    assert (books.available, books.held) == (Decimal("0.009"), Decimal("50.12"))
    await client.send("/menu")
    ex = await press(client, "💸 Withdraw")
    assert "minimum withdrawal is 5.00 USDT" in ex.text
    assert ex.buttons() == ["📋 My payouts", "◀️ Back"]
    # Forged "new" / "all" with too little balance: refused, nothing held.
    ex = await press_data(client, "wd:all:0:0")
    assert ex.answer is not None and ex.answer["show_alert"]
    assert await _books(harness, user.id) == books
    await _consistent(harness)


async def test_unverified_blocked_and_disabled(harness: Harness) -> None:
    await _make(harness, 5013, "50", verified=False)
    client = harness.user(5013, "New", language_code="en")
    await client.send("/menu")
    ex = await press(client, "💸 Withdraw")
    assert "Verify your financial password first" in ex.text
    assert ex.buttons() == ["✅ Verify password", "◀️ Back"]
    await client.send("/menu")
    ex = await press_data(client, "wd:new:0:0")  # forged: the same answer as the screen
    assert "Verify your financial password first" in ex.text and await _state(harness, 5013) is None

    blocked = await _make(harness, 5014, "50")
    async with harness.rt.db.transaction() as session:
        row = await session.get(User, blocked.id)
        assert row is not None
        row.earnings_blocked = True
    other = harness.user(5014, "Recovering", language_code="en")
    await other.send("/menu")
    ex = await press(other, "💸 Withdraw")
    assert "recovery is in progress" in ex.text
    assert ex.buttons() == ["📋 My payouts", "◀️ Back"]
    ex = await press_data(other, "wd:new:0:0")
    assert ex.answer is not None and "recovery is in progress" in ex.answer["text"]
    assert await _state(harness, 5014) is None

    third = await _make(harness, 5015, "50")
    client3 = harness.user(5015, "Late", language_code="en")
    await _to_finpass(client3, "10")
    await _set(harness, "withdrawal.enabled", False)
    ex = await client3.send(FINPASS)
    assert "temporarily disabled" in ex.text and "No withdrawal was created" in ex.text
    assert await _state(harness, 5015) is None
    assert (await _books(harness, third.id)).payouts == 0
    home = await _open_withdraw(client3)
    assert "temporarily disabled" in home
    await _consistent(harness)


async def test_request_rate_limit(harness: Harness) -> None:
    user = await _make(harness, 5016, "100")
    await _set(harness, "throttle.withdrawal_request", "2/1h")
    client = harness.user(5016, "Busy", language_code="en")
    await _request(client, "5")
    await _request(client, "5")
    await _open_withdraw(client)
    ex = await press(client, "➕ New withdrawal")
    assert ex.answer is not None and "limit for this action is reached" in ex.answer["text"]
    assert await _state(harness, 5016) is None
    assert (await _books(harness, user.id)).payouts == 2
    clock.travel(timedelta(hours=1, minutes=1))
    assert "#3 created" in await _request(client, "5")
    await _consistent(harness)


async def test_unexpected_input_in_every_state_changes_nothing(harness: Harness) -> None:
    user = await _make(harness, 5017, "50")
    stranger = await _make(harness, 5018, "50")
    async with harness.rt.db.transaction() as session:
        row = await session.get(User, stranger.id)
        assert row is not None
        foreign = await make_payout(session, row, Decimal(10))
        await post(session, entries.withdrawal_hold(foreign.id, stranger.id, Decimal(10)))
    client = harness.user(5017, "Chaos", language_code="en")
    await _open_withdraw(client)
    await press(client, "➕ New withdrawal")
    before = await _books(harness, user.id)
    stranger_before = await _books(harness, stranger.id)

    async def poke(expected_state: str) -> None:
        ex = await client.send_media("photo")
        assert ex.text and await _state(harness, 5017) == expected_state
        ex = await client.send_media("sticker")
        assert ex.text and await _state(harness, 5017) == expected_state
        ex = await press_data(client, f"wd:cancel_ok:{foreign.id}:1")  # another user's payout
        assert ex.answer == {
            "text": "This button is outdated. Please open the menu again.",
            "show_alert": True,
            "callback_query_id": ex.answer["callback_query_id"] if ex.answer else "",
        }
        ex = await press_data(client, f"wd:cancel:{foreign.id}:1")
        assert ex.answer is not None and ex.answer["show_alert"] and "outdated" in ex.answer["text"]
        ex = await press_data(client, "wd:confirm:12345:0")  # a stale confirm of another flow
        assert ex.answer is not None and ex.answer["show_alert"]
        ex = await press_data(client, "wd:bogus:0:0")
        assert ex.answer is not None and ex.answer["show_alert"]
        assert await _state(harness, 5017) == expected_state
        assert await _books(harness, user.id) == before
        assert await _books(harness, stranger.id) == stranger_before

    # amount state
    await poke(Withdrawal.amount.state)
    ex = await client.send("/unknown")
    assert "waiting for the amount" in ex.text and await _state(harness, 5017) == Withdrawal.amount.state
    # confirm state
    await client.send("10")
    await poke(Withdrawal.confirm.state)
    ex = await client.send("yes please")
    assert "press Confirm or Cancel" in ex.text
    assert await _state(harness, 5017) == Withdrawal.confirm.state
    # finpass state
    await press(client, "✅ Confirm")
    await poke(Withdrawal.finpass.state)
    ex = await client.send_media("photo", caption=FINPASS)
    assert len(ex.deleted) == 1 and "financial password as a text message" in ex.text
    ex = await client.send("/whatever")
    assert "financial password as a text message" in ex.text
    async with harness.rt.db.session() as session:
        attempts = (await session.get(User, user.id)).finpass_failed_attempts  # type: ignore[union-attr]
    assert attempts == 0  # media and commands are not password attempts
    # /cancel and /menu leave the flow from any state.
    ex = await client.send("/cancel")
    assert await _state(harness, 5017) is None and "Main menu" in ex.text
    assert (await _fsm(harness, 5017).get_data()) == {}
    await _to_summary(client, "10")
    ex = await client.send("/menu")
    assert await _state(harness, 5017) is None and "Main menu" in ex.text
    # Cancel button inside the flow → back to the Withdraw screen.
    await _to_finpass(client, "10")
    ex = await press(client, "✖️ Cancel")
    assert "Available: 50.00 USDT" in ex.text and await _state(harness, 5017) is None
    # Navigation leaves the state too.
    await _to_summary(client, "10")
    ex = await press_data(client, "nav:menu")
    assert await _state(harness, 5017) is None
    # Text after leaving: the unknown-command answer, not an amount.
    ex = await client.send("10")
    assert ex.text.startswith("🤔 Unknown command")
    assert await _books(harness, user.id) == before
    await _consistent(harness)


async def test_my_payouts_statuses_pagination_and_escaping(harness: Harness) -> None:
    user = await _make(harness, 5019, "500")
    await _make(harness, 5020, "50")
    async with harness.rt.db.transaction() as session:
        row = await session.get(User, user.id)
        assert row is not None
        made = []
        for status in (
            PayoutStatus.CONFIRMED,
            PayoutStatus.REJECTED,
            PayoutStatus.FAILED,
            PayoutStatus.SENT,
            PayoutStatus.SIGNING,
            PayoutStatus.APPROVED,
            PayoutStatus.REQUESTED,
        ):
            made.append(await make_payout(session, row, Decimal(10), status=status))
        confirmed, rejected, _failed, sent, _signing, approved, requested = made
        confirmed.tx_hash = "0x" + "ab" * 32
        confirmed.confirmed_at = clock.now()
        sent.tx_hash = "0x" + "cd" * 32
        sent.sent_at = clock.now()
        rejected.reject_reason = "<b>&"
        rejected.rejected_at = clock.now()
        for payout in (approved, requested):
            await post(session, entries.withdrawal_hold(payout.id, user.id, Decimal(10)))
        for payout in (sent, _signing):
            await post(session, entries.withdrawal_hold(payout.id, user.id, Decimal(10)))
        for payout in (rejected, _failed):
            await post(session, entries.withdrawal_hold(payout.id, user.id, Decimal(10)))
            await post(session, entries.withdrawal_release(payout.id, user.id, Decimal(10)))
        await post(session, entries.withdrawal_hold(confirmed.id, user.id, Decimal(10)))
        await post(
            session, entries.payout_settled(confirmed.id, user.id, Decimal(10), Decimal(10), Decimal(0))
        )
    client = harness.user(5019, "Old hand", language_code="en")
    home = await _open_withdraw(client)
    assert home.count("#") >= 4  # open payouts: requested, approved, signing, sent
    ex = await press(client, "📋 My payouts")
    assert "My payouts (7)" in ex.text
    assert "#7" in ex.text and "#3" in ex.text and "#2 ·" not in ex.text
    assert "awaiting approval" in ex.text and "approved, queued for sending" in ex.text
    assert "📤 sending" in ex.text and "sent, awaiting confirmation" in ex.text
    assert "failed, funds returned" in ex.text
    sent_msg = ex.last
    assert any(e.get("url", "").endswith("/tx/0x" + "cd" * 32) for e in sent_msg.entities)
    assert ex.buttons() == ["✖️ Cancel #7", "1/2", "▶", "◀️ Back"]
    ex = await press(client, "▶")
    assert "#2" in ex.text and "#1" in ex.text and "#3 ·" not in ex.text
    assert "Reason: <b>&" in ex.text  # shown literally: escaped in the HTML
    assert "rejected, funds returned" in ex.text and "✅ completed" in ex.text
    assert any(e.get("url", "").endswith("/tx/0x" + "ab" * 32) for e in ex.last.entities)
    assert ex.buttons() == ["◀", "2/2", "◀️ Back"]
    # Page numbers out of range are clamped.
    ex = await press_data(client, "wd:list:0:-3")
    assert "#7" in ex.text and "1/2" in ex.buttons()
    ex = await press_data(client, "wd:list:0:99")
    assert "#2" in ex.text and "2/2" in ex.buttons()
    # A user without payouts.
    other = harness.user(5020, "Fresh", language_code="en")
    await _open_withdraw(other)
    assert "No payouts yet" in (await press(other, "📋 My payouts")).text
    await _consistent(harness)


async def test_russian_screens(harness: Harness) -> None:
    user = await _make(harness, 5021, "1234.5", language="ru")
    await _set(harness, "withdrawal.fee_percent", Decimal("0.5"))
    client = harness.user(5021, "Иван", language_code="ru")
    await client.send("/menu")
    ex = await press(client, "💸 Вывод")
    assert "Доступно: 1\u00a0234,50 USDT" in ex.text and "Комиссия: 0.5%" in ex.text
    await press(client, "➕ Новый вывод")
    ex = await client.send("100,05")
    assert "Комиссия (0.5%): 0,50 USDT" in ex.text and "К получению: 99,55 USDT" in ex.text
    await press(client, "✅ Подтвердить")
    ex = await client.send(FINPASS)
    assert "Заявка на вывод #1 создана" in ex.text and "ожидает одобрения" in ex.text
    ex = await press(client, "📋 Мои выплаты")
    today = clock.now().strftime("%d.%m.%Y")
    assert today in ex.text
    assert (await _books(harness, user.id)).held == Decimal("100.05")
    await _consistent(harness)


async def test_fee_change_between_summary_and_password_is_refused(harness: Harness) -> None:
    user = await _make(harness, 5022, "50")
    client = harness.user(5022, "Careful", language_code="en")
    assert "Attempts left: 5" in await _to_finpass(client, "20")
    await _set(harness, "withdrawal.fee_percent", Decimal(3))
    ex = await client.send(FINPASS)
    assert "fee has changed" in ex.text and "No withdrawal was created" in ex.text
    assert await _state(harness, 5022) is None
    assert await _books(harness, user.id) == Books(0, Decimal(50), Decimal(0), 1)
    text = await _to_summary(client, "20")
    assert "Fee (3%): 0.60 USDT" in text and "You receive: 19.40 USDT" in text
    await _set(harness, "withdrawal.fee_percent", Decimal(0))
    ex = await press(client, "✅ Confirm")
    assert "fee has changed" in ex.text and await _state(harness, 5022) is None
    await _consistent(harness)


async def test_forged_payout_ids_beyond_the_database_range_are_outdated(harness: Harness) -> None:
    """Callback ids are bounded where callback data is parsed (bot.callbacks): an id beyond BIGINT
    never reaches SQL, it gets the standard "outdated button" alert and changes nothing."""
    user = await _make(harness, 5020, "100")
    client = harness.user(5020, "Forger", language_code="en")
    await _request(client, "10")
    before = await _books(harness, user.id)
    for data in (
        "wd:cancel:99999999999999999999:1",
        "wd:cancel_ok:99999999999999999999:1",
        f"wd:cancel:{2**63}:1",
        f"wd:cancel_ok:{2**63}:1",
        "wd:cancel_ok:-1:1",
        f"wd:list:0:{2**64}",
    ):
        ex = await press_data(client, data)
        assert ex.answer is not None and ex.answer["show_alert"], data
        assert ex.answer["text"] == "This button is outdated. Please open the menu again.", data
        assert not ex.screens, data
    assert await _books(harness, user.id) == before
    assert (await _payouts(harness))[-1].status == PayoutStatus.REQUESTED
    await _consistent(harness)


async def test_an_amount_of_a_hundred_digits_is_refused_and_changes_nothing(harness: Harness) -> None:
    user = await _make(harness, 7101, "50")
    client = harness.user(7101, "Huge", language_code="en")
    await _open_withdraw(client)
    await press(client, "➕ New withdrawal")
    before = await _books(harness, user.id)
    ex = await client.send("9" * 60)
    assert "maximum withdrawal is 1,000,000.00 USDT" in ex.text
    ex = await client.send("9" * 120)
    assert "Something went wrong" not in ex.text and "❌" in ex.text
    assert await _state(harness, 7101) == Withdrawal.amount.state
    assert await _books(harness, user.id) == before

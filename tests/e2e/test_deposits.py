"""Deposit screens through the real bot (SPEC §3.2, §3.3.1–§3.3.2, §5.6; scenarios 13, 14, 24 and the
screen side of 15).

Every test ends with ``ledger check`` and ``audit verify``; refused input changes nothing in the
database (deposit rows, audit rows, user actions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from aiogram.fsm.context import FSMContext
from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.bot.states import Withdrawal
from sigmatrade.db.models import (
    AuditLog,
    ChainCursor,
    Deposit,
    RewardAccrual,
    RewardSession,
    User,
    UserAction,
)
from sigmatrade.domain.enums import DepositStatus
from sigmatrade.domain.money import canonical
from sigmatrade.ledger import entries
from sigmatrade.ledger.check import run_check
from sigmatrade.ledger.journal import post
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit, settings
from tests.factories import make_user, random_wallet

OUTDATED = "This button is outdated. Please open the menu again."
AMOUNTS = {1: Decimal(10), 2: Decimal(50), 3: Decimal(100), 4: Decimal(150), 5: Decimal(300)}
TX = "0x" + "ab" * 32


# ------------------------------------------------------------------------------------------ helpers
@dataclass(frozen=True)
class Books:
    deposits: tuple[tuple[int, int, str], ...]  # (id, user id, status)
    audit_rows: int
    user_actions: int


async def _make(h: Harness, tg: int, *, language: str = "en", **kwargs: Any) -> User:
    async with h.rt.db.transaction() as session:
        return await make_user(session, telegram_id=tg, language=language, **kwargs)


async def _set(h: Harness, key: str, value: Any) -> None:
    async with h.rt.db.transaction() as session:
        await settings.write(session, key, value, None)
    h.rt.store.invalidate()


async def _wallet(h: Harness) -> str:
    wallet = random_wallet()
    await _set(h, "deposit.system_wallet_address", wallet)
    return wallet


async def _books(h: Harness) -> Books:
    async with h.rt.db.session() as session:
        rows = (
            await session.execute(select(Deposit.id, Deposit.user_id, Deposit.status).order_by(Deposit.id))
        ).all()
        audit_rows = int(await session.scalar(select(func.count(AuditLog.id))) or 0)
        actions = int(await session.scalar(select(func.count(UserAction.id))) or 0)
    return Books(tuple((int(a), int(b), str(c)) for a, b, c in rows), audit_rows, actions)


async def _deposits(h: Harness) -> list[Deposit]:
    async with h.rt.db.session() as session:
        return list((await session.scalars(select(Deposit).order_by(Deposit.id))).all())


async def _add_deposit(
    h: Harness,
    user_id: int,
    level: int,
    status: DepositStatus,
    *,
    tx_hash: str | None = None,
    block: int | None = None,
    age: timedelta = timedelta(0),
) -> int:
    """A deposit row written directly (with its principal entry when confirmed/completed)."""
    now = clock.now()
    amount = AMOUNTS[level]
    async with h.rt.db.transaction() as session:
        deposit = Deposit(
            user_id=user_id,
            level=level,
            amount=amount,
            cap_amount=amount * 5 if level == 1 else None,
            status=status,
            source="user",
            expires_at=now - age + timedelta(hours=24),
            created_at=now - age,
        )
        if status in (DepositStatus.DETECTED, DepositStatus.CONFIRMED, DepositStatus.COMPLETED):
            deposit.detected_at = now - age
            deposit.tx_hash = tx_hash or "0x" + f"{user_id:02x}{level:02x}".rjust(64, "c")
            deposit.block_number = block or 1000
            deposit.received_amount = amount
        if status in (DepositStatus.CONFIRMED, DepositStatus.COMPLETED):
            deposit.confirmed_at = now - age
            deposit.accrual_period_seconds = 86400
        if status == DepositStatus.COMPLETED:
            deposit.completed_at = now
        if status == DepositStatus.EXPIRED:
            deposit.expired_at = now
        if status == DepositStatus.CANCELLED:
            deposit.cancelled_at = now
        session.add(deposit)
        await session.flush()
        if status in (DepositStatus.CONFIRMED, DepositStatus.COMPLETED):
            await post(session, entries.deposit_confirmed(f"seed-{deposit.id}", deposit.id, user_id, amount))
        return deposit.id


async def _transition(h: Harness, deposit_id: int, status: DepositStatus, *, block: int = 1000) -> None:
    """Move a deposit the way the chain watcher would (detected / confirmed with its entry)."""
    now = clock.now()
    async with h.rt.db.transaction() as session:
        deposit = await session.get(Deposit, deposit_id)
        assert deposit is not None
        if status in (DepositStatus.DETECTED, DepositStatus.CONFIRMED):
            deposit.detected_at = deposit.detected_at or now
            deposit.tx_hash = TX
            deposit.block_number = block
            deposit.received_amount = deposit.amount
        if status == DepositStatus.CONFIRMED:
            deposit.confirmed_at = now
            deposit.accrual_period_seconds = 86400
            await post(
                session,
                entries.deposit_confirmed(f"seed-{deposit.id}", deposit.id, deposit.user_id, deposit.amount),
            )
        if status == DepositStatus.COMPLETED:
            deposit.completed_at = now
        deposit.status = status


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


async def press(client: UserClient, label: str) -> Exchange:
    """Press a button after the 1-second double-tap window of the previous identical tap."""
    clock.travel(timedelta(seconds=1.1))
    return await client.press(label)


async def press_data(client: UserClient, data: str) -> Exchange:
    clock.travel(timedelta(seconds=1.1))
    return await client.press_data(data)


def _alert(ex: Exchange) -> str:
    assert ex.answer is not None and ex.answer.get("show_alert"), ex.answer
    return str(ex.answer["text"])


def _assert_outdated(ex: Exchange) -> None:
    assert ex.answer is not None
    assert {k: v for k, v in ex.answer.items() if k != "callback_query_id"} == {
        "text": OUTDATED,
        "show_alert": True,
    }
    assert not ex.screens


def _urls(ex: Exchange) -> list[str]:
    return [e.get("url", "") for e in ex.last.entities if e.get("type") == "text_link"]


def _codes(ex: Exchange) -> list[str]:
    text = ex.last.body.encode("utf-16-le")
    out = []
    for e in ex.last.entities:
        if e.get("type") == "code":
            start, length = e["offset"] * 2, e["length"] * 2
            out.append(text[start : start + length].decode("utf-16-le"))
    return out


async def _open_deposits(client: UserClient) -> Exchange:
    await client.send("/menu")
    return await press(client, "💼 Deposits")


async def _activate_level1(client: UserClient) -> Exchange:
    await _open_deposits(client)
    await press(client, "Level 1")
    return await press(client, "🚀 Activate level 1")


# ---------------------------------------------------------------------------------------- scenarios
async def test_level1_activation_shows_the_system_wallet_from_the_db_setting(harness: Harness) -> None:
    """Scenario 13: the activation screen shows the DB setting's wallet; a changed setting is shown next."""
    wallet_a = await _wallet(harness)
    user = await _make(harness, 6001)
    client = harness.user(6001, "Buyer", language_code="en")

    ex = await _open_deposits(client)
    assert "Level 1</b>" not in ex.text  # rendered, not raw HTML
    assert "Level 1 · 10.00 USDT — 🟢 available" in ex.text
    assert "Deposits are non-refundable" in ex.text and "capped at 500% of the amount" in ex.text
    assert "Level 2" not in ex.text
    assert ex.buttons() == ["🟢 Level 1 · 10.00 USDT", "⏳ Pending deposits", "📜 Deposit history", "◀️ Back"]

    ex = await press(client, "Level 1")
    assert "Level 1 · 10.00 USDT" in ex.text and "Status: 🟢 available" in ex.text
    assert "Requirements: none" in ex.text and "Reward cap: 500% of the amount (50.00 USDT)" in ex.text
    assert "no reward session is running now (period: 24 h)" in ex.text
    assert ex.buttons() == ["🚀 Activate level 1 · 10.00 USDT", "◀️ Back"]

    before = await _books(harness)
    ex = await press(client, "🚀 Activate level 1")
    [deposit] = await _deposits(harness)
    assert (deposit.user_id, deposit.level, deposit.status, deposit.source) == (user.id, 1, "pending", "user")
    assert (deposit.amount, deposit.cap_amount, deposit.accrued_total) == (
        Decimal(10),
        Decimal(50),
        Decimal(0),
    )
    assert deposit.expires_at - deposit.created_at == timedelta(hours=24)
    text = ex.text
    # finding 12: the exact amount to send carries the deposit's own amount tag
    assert deposit.amount_tag is not None and Decimal("0.0001") <= deposit.amount_tag < Decimal("0.1")
    exact = canonical(deposit.expected_amount)
    assert f"Deposit #{deposit.id} · level 1" in text
    assert f"Send exactly {exact} USDT (level amount 10.00 USDT" in text
    assert "BNB Smart Chain (BEP-20)" in text and "0x55d398326f99059fF775485246999027B3197955" in text
    assert wallet_a in text and user.wallet_address in text
    assert "From your registered wallet only" in text and "BNB on your wallet to pay the network fee" in text
    assert "confirmed after 12 block confirmations" in text and "non-refundable" in text
    deadline = deposit.expires_at.strftime("%Y-%m-%d %H:%M")
    assert f"Deadline: {deadline} (UTC) — 24 h 0 min left" in text
    assert wallet_a in _codes(ex) and exact in _codes(ex) and user.wallet_address in _codes(ex)
    assert ex.buttons() == ["📨 I have sent it", "✖️ Cancel deposit", "◀️ Back"]
    after = await _books(harness)
    assert after.audit_rows == before.audit_rows + 1 and after.user_actions == before.user_actions + 1
    async with harness.rt.db.session() as session:
        row = await session.scalar(select(AuditLog).order_by(AuditLog.id.desc()).limit(1))
    assert row is not None and row.action == "deposit_created" and row.target_id == deposit.id
    assert row.details is not None and row.details["level"] == 1 and row.details["cap_amount"] == "50"

    # "I have sent it": the status, with the current wallet of the DB setting.
    ex = await press(client, "📨 I have sent it")
    assert ex.answer is not None and ex.answer["text"] == "Status refreshed."
    assert "Status: ⏳ waiting for transfer" in ex.text and wallet_a in ex.text
    assert "checked automatically" in ex.text
    assert ex.buttons() == ["🔄 Refresh", "✖️ Cancel deposit", "◀️ Back"]

    wallet_b = await _wallet(harness)  # the setting changed (a wallet change request was applied)
    ex = await press(client, "🔄 Refresh")
    assert wallet_b in ex.text and wallet_a not in ex.text
    await press(client, "✖️ Cancel deposit")
    await press(client, "✅ Yes, cancel")
    ex = await _activate_level1(client)
    assert wallet_b in ex.text and wallet_a not in ex.text and wallet_b in _codes(ex)
    assert [d.status for d in await _deposits(harness)] == ["cancelled", "pending"]
    await _consistent(harness)


async def test_second_level1_refused_while_open_or_confirmed(harness: Harness) -> None:
    """Scenario 14 (first part): one level-1 cycle at a time; a completed cycle allows a new one."""
    await _wallet(harness)
    user = await _make(harness, 6002)
    client = harness.user(6002, "Again", language_code="en")
    await _activate_level1(client)
    [first] = await _deposits(harness)

    ex = await _open_deposits(client)
    assert "Level 1 · 10.00 USDT — ⏳ awaiting your transfer" in ex.text
    assert "⏳ Pending deposits (1)" in ex.buttons()
    ex = await press(client, "Level 1")
    assert "🚀 Activate level 1 · 10.00 USDT" not in ex.buttons()
    assert f"🧾 Deposit #{first.id}" in ex.buttons()

    for status, label in (
        (DepositStatus.PENDING, "⏳ waiting for transfer"),
        (DepositStatus.DETECTED, "🔎 transfer detected"),
        (DepositStatus.CONFIRMED, "✅ confirmed, level active"),
    ):
        if status != DepositStatus.PENDING:
            await _transition(harness, first.id, status)
        before = await _books(harness)
        ex = await press_data(client, "dep:activate:1:0:0")
        assert _alert(ex) == (
            f"You already have a level-1 deposit ({label}). "
            "A new cycle can be bought after the current one completes."
        )
        assert await _books(harness) == before

    ex = await _open_deposits(client)
    assert "Level 1 · 10.00 USDT — ✅ active" in ex.text and "✅ Level 1 · 10.00 USDT" in ex.buttons()

    await _transition(harness, first.id, DepositStatus.COMPLETED)
    ex = await _open_deposits(client)
    assert "Level 1 · 10.00 USDT — 🟢 available · cycles completed: 1" in ex.text
    ex = await press(client, "Level 1")
    assert "Completed cycles: 1" in ex.text
    ex = await press(client, "🚀 Activate level 1")
    assert "Deposit #2 · level 1" in ex.text
    assert [(d.user_id, d.status) for d in await _deposits(harness)] == [
        (user.id, "completed"),
        (user.id, "pending"),
    ]
    await _consistent(harness)


async def test_level2_hidden_at_max_1_and_its_rules_at_max_5(harness: Harness) -> None:
    """Scenario 14 (second part): level 2 needs a confirmed level 1 and one verified, non-banned direct
    referral (unverified, banned and deeper referrals do not count)."""
    await _wallet(harness)
    user = await _make(harness, 6003)
    client = harness.user(6003, "Climber", language_code="en")

    ex = await _open_deposits(client)
    assert "Level 2" not in ex.text and not any("Level 2" in b for b in ex.buttons())
    before = await _books(harness)
    assert _alert(await press_data(client, "dep:level:2:0:0")) == "🔒 Level 2 is not open yet."
    assert _alert(await press_data(client, "dep:activate:2:0:0")) == "🔒 Level 2 is not open yet."
    assert await _books(harness) == before

    await _set(harness, "deposit.max_open_level", 5)
    ex = await _open_deposits(client)
    assert "Level 2 · 50.00 USDT — 🔒 locked: level 1 needed first" in ex.text
    assert "Level 5 · 300.00 USDT — 🔒 locked: level 4 needed first" in ex.text
    assert ex.buttons()[:5] == [
        "🟢 Level 1 · 10.00 USDT",
        "🔒 Level 2 · 50.00 USDT",
        "🔒 Level 3 · 100.00 USDT",
        "🔒 Level 4 · 150.00 USDT",
        "🔒 Level 5 · 300.00 USDT",
    ]
    ex = await press_data(client, "dep:activate:2:0:0")
    assert _alert(ex) == "🔒 Level 2 requires level 1 to be active first."
    assert await _books(harness) == before

    # A pending level 1 is not enough.
    level1 = await _add_deposit(harness, user.id, 1, DepositStatus.PENDING)
    assert (
        _alert(await press_data(client, "dep:activate:2:0:0"))
        == "🔒 Level 2 requires level 1 to be active first."
    )
    await _transition(harness, level1, DepositStatus.CONFIRMED)

    # Referrals that do not count: unverified, verified but banned, and depth 2.
    async with harness.rt.db.transaction() as session:
        owner = await session.get(User, user.id)
        assert owner is not None
        await make_user(session, referrer=owner, verified=False)
        await make_user(session, referrer=owner, verified=True, banned=True)
        middle = await make_user(session, referrer=owner, verified=False)
        await make_user(session, referrer=middle, verified=True)
    ex = await _open_deposits(client)
    assert "Level 2 · 50.00 USDT — 🔒 locked: 1 verified referrals needed (you have 0)" in ex.text
    ex = await press(client, "Level 2")
    assert "✅ Level 1 active or completed" in ex.text
    assert "❌ Verified direct referrals: 0 of 1" in ex.text
    assert "🔒 Level 2 requires 1 verified direct referrals — you have 0." in ex.text
    assert ex.buttons() == ["◀️ Back"]
    before = await _books(harness)
    ex = await press_data(client, "dep:activate:2:0:0")
    assert _alert(ex) == "🔒 Level 2 requires 1 verified direct referrals — you have 0."
    assert await _books(harness) == before

    async with harness.rt.db.transaction() as session:
        owner = await session.get(User, user.id)
        assert owner is not None
        await make_user(session, referrer=owner, verified=True)
    ex = await _open_deposits(client)
    assert "Level 2 · 50.00 USDT — 🟢 available" in ex.text
    assert "Level 3 · 100.00 USDT — 🔒 locked: level 2 needed first" in ex.text
    ex = await press(client, "Level 2")
    assert "✅ Verified direct referrals: 1 of 1" in ex.text and "Reward cap: none." in ex.text
    ex = await press(client, "🚀 Activate level 2 · 50.00 USDT")
    deposit = (await _deposits(harness))[-1]
    assert "Deposit #2 · level 2" in ex.text
    assert f"Send exactly {canonical(deposit.expected_amount)} USDT (level amount 50.00 USDT" in ex.text
    assert (deposit.level, deposit.amount, deposit.cap_amount, deposit.status) == (
        2,
        Decimal(50),
        None,
        "pending",
    )
    # Level 3 still needs level 2 confirmed (pending does not count) and 2 referrals.
    assert (
        _alert(await press_data(client, "dep:activate:3:0:0"))
        == "🔒 Level 3 requires level 2 to be active first."
    )
    assert _alert(await press_data(client, "dep:activate:2:0:0")) == (
        "Level 2 is already bought (⏳ waiting for transfer). Levels 2–5 can be bought once."
    )
    await _consistent(harness)


async def test_cancel_pending_and_refuse_cancelling_a_detected_deposit(harness: Harness) -> None:
    """Scenario 24, and the screen side of scenario 15 (detected with confirmations and a tx link)."""
    await _wallet(harness)
    user = await _make(harness, 6004)
    client = harness.user(6004, "Undecided", language_code="en")
    await _activate_level1(client)

    ex = await press(client, "✖️ Cancel deposit")
    assert "Cancel deposit #1 (level 1, 10.00 USDT)?" in ex.text and "do not cancel" in ex.text
    assert ex.buttons() == ["✅ Yes, cancel #1", "◀️ No, keep it"]
    ex = await press(client, "◀️ No, keep it")
    assert "Status: ⏳ waiting for transfer" in ex.text
    await press(client, "✖️ Cancel deposit")
    before = await _books(harness)
    ex = await press(client, "✅ Yes, cancel #1")
    assert "Deposit #1 (level 1, 10.00 USDT) is cancelled" in ex.text
    assert ex.buttons() == ["💼 Deposits", "🏠 Menu"]
    [deposit] = await _deposits(harness)
    assert deposit.status == "cancelled" and deposit.cancelled_at is not None
    after = await _books(harness)
    assert after.audit_rows == before.audit_rows + 1
    async with harness.rt.db.session() as session:
        actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
    assert actions[-1] == "deposit_cancelled"

    # The stale confirmation pressed again: nothing changes.
    ex = await press_data(client, "dep:cancel_ok:0:1:0")
    assert _alert(ex) == "Deposit #1 can no longer be cancelled: ✖️ cancelled."
    ex = await press_data(client, "dep:cancel:0:1:0")
    assert _alert(ex) == "Deposit #1 can no longer be cancelled: ✖️ cancelled."
    assert await _books(harness) == after

    # A detected deposit cannot be cancelled.
    await _activate_level1(client)
    await _transition(harness, 2, DepositStatus.DETECTED, block=5000)
    ex = await _open_deposits(client)
    assert "Level 1 · 10.00 USDT — 🔎 transfer detected, awaiting confirmations" in ex.text
    ex = await press(client, "⏳ Pending deposits (1)")
    assert "#2 · level 1 · 10.00 USDT" in ex.text
    assert "Status: 🔎 transfer detected · awaiting 12 confirmations" in ex.text
    assert _urls(ex) == [f"https://bscscan.com/tx/{TX}"]
    assert ex.buttons() == ["🧾 Deposit #2", "🔄 Refresh", "◀️ Back"]
    async with harness.rt.db.transaction() as session:
        session.add(ChainCursor(name="usdt_deposits", last_block=5003, chunk_size=500))
    ex = await press(client, "🔄 Refresh")
    assert "confirmations 3/12" in ex.text
    ex = await press(client, "🧾 Deposit #2")
    assert (
        "Status: 🔎 transfer detected · confirmations 3/12" in ex.text and "Received: 10.00 USDT" in ex.text
    )
    assert _urls(ex) == [f"https://bscscan.com/tx/{TX}"]
    assert ex.buttons() == ["🔄 Refresh", "◀️ Back"]
    before = await _books(harness)
    for data in ("dep:cancel:0:2:0", "dep:cancel_ok:0:2:0"):
        ex = await press_data(client, data)
        assert _alert(ex) == "Deposit #2 can no longer be cancelled: 🔎 transfer detected."
    assert await _books(harness) == before
    assert (await _deposits(harness))[-1].status == "detected"

    # Confirmed: the status screen shows the final state.
    await _transition(harness, 2, DepositStatus.CONFIRMED, block=5000)
    ex = await press_data(client, "dep:status:0:2:0")
    assert "Status: ✅ confirmed, level active" in ex.text and "Confirmed:" in ex.text
    assert ex.buttons() == ["◀️ Back"]
    assert user.id == deposit.user_id
    await _consistent(harness)


async def test_double_tap_on_activate_creates_one_deposit(harness: Harness) -> None:
    await _wallet(harness)
    await _make(harness, 6005)
    client = harness.user(6005, "Quick fingers", language_code="en")
    await _open_deposits(client)
    level_view = await press(client, "Level 1")
    message, button = client.find_button("🚀 Activate level 1", level_view.last)
    first = await client.press_data(button["callback_data"], message=message)
    assert "Deposit #1 · level 1" in first.text
    second = await client.press_data(button["callback_data"], message=message)  # within the tap window
    assert second.answer is not None and not second.answer.get("show_alert") and not second.screens
    clock.travel(timedelta(seconds=2))  # after the window: the activation check refuses it
    third = await client.press_data(button["callback_data"], message=message)
    assert "You already have a level-1 deposit" in _alert(third)
    assert [d.status for d in await _deposits(harness)] == ["pending"]
    await _consistent(harness)


async def test_activation_is_limited_to_10_per_hour(harness: Harness) -> None:
    await _wallet(harness)
    await _set(harness, "throttle.updates_per_minute", 10_000)
    await _make(harness, 6006)
    client = harness.user(6006, "Churner", language_code="en")
    for n in range(1, 11):
        ex = await press_data(client, "dep:activate:1:0:0")
        assert f"Deposit #{n} · level 1" in ex.text
        ex = await press_data(client, f"dep:cancel_ok:0:{n}:0")
        assert "is cancelled" in ex.text
    before = await _books(harness)
    ex = await press_data(client, "dep:activate:1:0:0")
    assert re.fullmatch(r"⏳ The limit for this action is reached\. Try again in \d+ min\.", _alert(ex))
    assert await _books(harness) == before and len(before.deposits) == 10
    # Refused activations do not use the limit; an hour later activation works again.
    clock.travel(timedelta(hours=1, minutes=1))
    ex = await press_data(client, "dep:activate:1:0:0")
    assert "Deposit #11 · level 1" in ex.text
    await _consistent(harness)


async def test_history_pagination(harness: Harness) -> None:
    user = await _make(harness, 6007)
    other = await _make(harness, 6008)
    await _add_deposit(harness, other.id, 1, DepositStatus.CANCELLED)
    ids = []
    for n in range(11):
        status = DepositStatus.EXPIRED if n % 2 else DepositStatus.CANCELLED
        ids.append(await _add_deposit(harness, user.id, 1, status, age=timedelta(hours=30 - n)))
    ids.append(await _add_deposit(harness, user.id, 1, DepositStatus.CONFIRMED, tx_hash=TX))
    client = harness.user(6007, "Veteran", language_code="en")
    await _open_deposits(client)
    ex = await press(client, "📜 Deposit history")
    assert "Deposit history (12)" in ex.text
    shown = [int(n) for n in re.findall(r"#(\d+) · level", ex.text)]
    assert shown == list(reversed(ids))[:5]
    assert "Status: ✅ confirmed, level active" in ex.text and "Received: 10.00 USDT" in ex.text
    assert _urls(ex) == [f"https://bscscan.com/tx/{TX}"]
    assert "Created:" in ex.text and "Confirmed:" in ex.text
    assert ex.buttons() == ["1/3", "▶", "◀️ Back"]
    ex = await press(client, "▶")
    assert [int(n) for n in re.findall(r"#(\d+) · level", ex.text)] == list(reversed(ids))[5:10]
    assert "⌛️ expired" in ex.text and "Expired:" in ex.text and "✖️ cancelled" in ex.text
    assert ex.buttons() == ["◀", "2/3", "▶", "◀️ Back"]
    # Out-of-range pages are clamped (each step changes the page shown).
    for data, page in (("dep:history:0:0:0", 1), ("dep:history:0:0:2", 2), ("dep:history:0:0:-3", 1)):
        ex = await press_data(client, data)
        assert f"{page}/3" in ex.buttons(), (data, ex.buttons())
    ex = await press_data(client, "dep:history:0:0:99")
    assert [int(n) for n in re.findall(r"#(\d+) · level", ex.text)] == list(reversed(ids))[10:]
    assert ex.buttons() == ["◀", "3/3", "◀️ Back"]
    ex = await press(client, "3/3")  # the page indicator does nothing
    assert ex.answer is not None and not ex.screens
    # Another user sees only their own deposit; a user without deposits sees the empty history.
    other_client = harness.user(6008, "Other", language_code="en")
    ex = await press_data(other_client, "dep:history:0:0:1")
    assert "Deposit history (1)" in ex.text and f"#{ids[0]} ·" not in ex.text
    await _make(harness, 6009)
    ex = await press_data(harness.user(6009, "New", language_code="en"), "dep:history:0:0:1")
    assert "No deposits yet." in ex.text and ex.buttons() == ["◀️ Back"]
    await _consistent(harness)


async def test_foreign_stale_and_forged_callbacks_change_nothing(harness: Harness) -> None:
    await _wallet(harness)
    owner = await _make(harness, 6010)
    await _make(harness, 6011)
    foreign = await _add_deposit(harness, owner.id, 1, DepositStatus.PENDING)
    client = harness.user(6011, "Snoop", language_code="en")
    await _open_deposits(client)
    before = await _books(harness)
    for data in (
        f"dep:status:0:{foreign}:0",
        f"dep:cancel:0:{foreign}:0",
        f"dep:cancel_ok:0:{foreign}:0",
        "dep:status:0:999999:0",
        "dep:cancel:0:999999:0",
        "dep:cancel_ok:0:999999:0",
        "dep:status:0:0:0",
        "dep:cancel_ok:0:-1:0",
        "dep:status:0:99999999999999999999:0",
        "dep:cancel_ok:0:99999999999999999999:0",
        "dep:level:9:0:0",
        "dep:level:0:0:0",
        "dep:level:x:0:0",
        "dep:bogus:0:0:0",
        "dep",
    ):
        _assert_outdated(await press_data(client, data))
    assert await _books(harness) == before
    # The same ids answer the owner normally.
    owner_client = harness.user(6010, "Owner", language_code="en")
    ex = await press_data(owner_client, f"dep:status:0:{foreign}:0")
    assert "Status: ⏳ waiting for transfer" in ex.text
    # A guest (no users row) gets the outdated alert for any deposit button.
    guest = harness.user(6012, "Guest", language_code="en")
    await guest.send("/start")
    for data in ("nav:deposits", "dep:levels:0:0:0", "dep:activate:1:0:0", f"dep:cancel_ok:0:{foreign}:0"):
        _assert_outdated(await press_data(guest, data))
    assert await _books(harness) == before
    await _consistent(harness)


async def test_unverified_user_is_told_to_verify_first(harness: Harness) -> None:
    await _wallet(harness)
    await _make(harness, 6013, verified=False)
    client = harness.user(6013, "Newbie", language_code="en")
    before = await _books(harness)
    ex = await _open_deposits(client)
    assert "Verify your financial password first" in ex.text
    assert ex.buttons() == ["✅ Verify password", "◀️ Back"]
    for data in ("dep:activate:1:0:0", "dep:level:1:0:0", "dep:pending:0:0:0", "dep:history:0:0:1"):
        ex = await press_data(client, data)
        # the same screen again: the bot leaves the message as it is (no "not modified" edit)
        assert ex.screens == [] or "Verify your financial password first" in ex.text
        assert "Verify your financial password first" in client.last_message.body
    assert await _books(harness) == before
    await _consistent(harness)


async def test_commands_and_navigation_mid_flow(harness: Harness) -> None:
    await _wallet(harness)
    await _make(harness, 6014)
    client = harness.user(6014, "Wanderer", language_code="en")
    activation = await _activate_level1(client)
    before = await _books(harness)
    ex = await client.send("hello")
    assert ex.text.startswith("🤔 Unknown command")
    ex = await client.send("/cancel")
    assert "Main menu" in ex.text
    ex = await client.send("/menu")
    assert "Main menu" in ex.text
    ex = await client.send_media("photo")
    assert ex.text
    assert await _books(harness) == before
    # Buttons of the older activation message still work (ids re-checked).
    message, button = client.find_button("📨 I have sent it", activation.last)
    ex = await client.press_data(button["callback_data"], message=message)
    assert "Status: ⏳ waiting for transfer" in ex.text

    # A deposit button pressed inside another flow's input state leaves that state.
    fsm = _fsm(harness, 6014)
    await fsm.set_state(Withdrawal.amount)
    await fsm.update_data(wd_flow=123, ref_code="KEEPME")
    ex = await press_data(client, "nav:deposits")
    assert "Level 1 · 10.00 USDT — ⏳ awaiting your transfer" in ex.text
    assert await fsm.get_state() is None and await fsm.get_data() == {"ref_code": "KEEPME"}
    ex = await client.send("10")
    assert ex.text.startswith("🤔 Unknown command")
    await fsm.set_state(Withdrawal.amount)
    ex = await press_data(client, "dep:history:0:0:1")
    assert await fsm.get_state() is None and "Deposit history (1)" in ex.text
    # Double taps on a screen button: the second identical tap is swallowed.
    await _open_deposits(client)
    msg, btn = client.find_button("📜 Deposit history")
    first = await client.press_data(btn["callback_data"], message=msg)
    second = await client.press_data(btn["callback_data"], message=msg)
    assert "Deposit history (1)" in first.text and not second.screens
    assert await _books(harness) == before
    await _consistent(harness)


async def test_disabled_deposits_and_missing_wallet(harness: Harness) -> None:
    await _make(harness, 6015)
    client = harness.user(6015, "Early", language_code="en")
    ex = await _open_deposits(client)  # no system wallet configured yet
    assert "Level 1 · 10.00 USDT — 🔒 locked: deposits are not available yet" in ex.text
    ex = await press_data(client, "dep:activate:1:0:0")
    assert "Deposits are not available yet" in _alert(ex)
    await _wallet(harness)
    await _set(harness, "deposit.enabled", False)
    ex = await _open_deposits(client)
    assert "🔒 locked: deposits are paused" in ex.text and "New deposits are temporarily paused." in ex.text
    ex = await press(client, "Level 1")
    assert "🔒 ⏸ New deposits are temporarily paused" in ex.text and ex.buttons() == ["◀️ Back"]
    ex = await press_data(client, "dep:activate:1:0:0")
    assert _alert(ex) == "⏸ New deposits are temporarily paused. Please try again later."
    assert (await _books(harness)).deposits == ()
    await _set(harness, "deposit.enabled", True)
    ex = await press_data(client, "dep:activate:1:0:0")
    assert "Deposit #1 · level 1" in ex.text
    await _consistent(harness)


async def test_level_view_progress_and_reward_rate(harness: Harness) -> None:
    user = await _make(harness, 6016)
    deposit_id = await _add_deposit(harness, user.id, 1, DepositStatus.CONFIRMED, age=timedelta(days=3))
    now = clock.now()
    async with harness.rt.db.transaction() as session:
        reward = RewardSession(
            name="Spring",
            rate_level_1=Decimal("1.117"),
            rate_level_2=Decimal(1),
            rate_level_3=Decimal(1),
            rate_level_4=Decimal(1),
            rate_level_5=Decimal(1),
            starts_at=now - timedelta(days=10),
            ends_at=now + timedelta(days=10),
        )
        session.add(reward)
        await session.flush()
        entry = await post(
            session, entries.reward_accrual(deposit_id, reward.id, 0, user.id, Decimal("15.5"))
        )
        session.add(
            RewardAccrual(
                deposit_id=deposit_id,
                session_id=reward.id,
                period_index=0,
                accrued_at_period_end=now - timedelta(days=2),
                user_id=user.id,
                level=1,
                base_amount=Decimal(10),
                rate=Decimal("155"),
                amount=Decimal("15.5"),
                journal_entry_id=entry.entry.id,
            )
        )
        deposit = await session.get(Deposit, deposit_id)
        assert deposit is not None
        deposit.accrued_total = Decimal("15.5")
    client = harness.user(6016, "Earner", language_code="en")
    await _open_deposits(client)
    ex = await press(client, "Level 1")
    assert "Status: ✅ active" in ex.text
    assert "▰▰▰▱▱▱▱▱▱▱ 31.0%" in ex.text
    assert "Accrued: 15.50 USDT · remaining: 34.50 USDT" in ex.text and "Target: 50.00 USDT (500%" in ex.text
    assert "Rewards: 1.117% of the amount per period of 24 h" in ex.text
    assert ex.buttons() == ["◀️ Back"]
    await _consistent(harness)


async def test_pending_list_age_deadline_and_russian_screens(harness: Harness) -> None:
    wallet = await _wallet(harness)
    user = await _make(harness, 6017, language="ru")
    client = harness.user(6017, "Иван", language_code="ru")
    await client.send("/menu")
    ex = await press(client, "💼 Депозиты")
    assert "Уровень 1 · 10,00 USDT — 🟢 доступен" in ex.text and "Депозиты не возвращаются" in ex.text
    await press(client, "Уровень 1")
    ex = await press(client, "🚀 Активировать уровень 1")
    [deposit] = await _deposits(harness)
    assert "Депозит #1 · уровень 1" in ex.text
    assert f"Отправьте ровно {canonical(deposit.expected_amount)} USDT (сумма уровня 10,00 USDT" in ex.text
    assert wallet in ex.text and user.wallet_address in ex.text
    assert deposit.expires_at.strftime("%d.%m.%Y %H:%M") in ex.text
    assert ex.buttons() == ["📨 Я отправил(а)", "✖️ Отменить депозит", "◀️ Назад"]

    clock.travel(timedelta(hours=2))
    ex = await press_data(client, "dep:pending:0:0:0")
    assert re.search(r"Создан 2 ч 0 мин назад · осталось (21 ч 5\d|22 ч 0) мин", ex.text), ex.text
    assert ex.buttons() == ["🧾 Депозит #1", "✖️ Отменить #1", "🔄 Обновить", "◀️ Назад"]
    clock.travel(timedelta(hours=23))  # past the deadline, not yet expired by the monitor
    ex = await press_data(client, "dep:pending:0:0:0")
    assert "срок истёк" in ex.text
    ex = await press(client, "🧾 Депозит #1")
    assert "— истёк." in ex.text
    # History in Russian with the date format DD.MM.YYYY.
    ex = await press_data(client, "dep:history:0:0:1")
    assert "История депозитов (1)" in ex.text and deposit.created_at.strftime("%d.%m.%Y") in ex.text
    await _consistent(harness)

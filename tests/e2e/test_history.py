"""Transaction history through the real bot (SPEC §5.6 History).

Deposits, reward accruals (grouped per deposit per day), referral commissions and payouts are seeded
as the real services write them (see tests/integration/test_referral_stats.py), then read through the
History screen: merge order, totals, translated statuses, tx links, filters, pagination, forged data.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from aiogram.fsm.context import FSMContext
from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.bot.callbacks import Hist, Nav
from sigmatrade.bot.states import Withdrawal
from sigmatrade.db.models import Deposit, JournalEntry, Payout
from sigmatrade.domain.enums import DepositStatus, PayoutStatus
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import settings
from tests.factories import make_user
from tests.integration.test_referral_stats import (
    assert_books_ok,
    seed_accrual,
    seed_deposit,
    seed_payout,
    seed_reward_session,
)

OUTDATED = "This button is outdated. Please open the menu again."


async def _set(h: Harness, key: str, value: Any) -> None:
    async with h.rt.db.transaction() as session:
        await settings.write(session, key, value, None)
    h.rt.store.invalidate()


@pytest.fixture(autouse=True)
async def _roomy_throttle(harness: Harness) -> None:
    await _set(harness, "throttle.updates_per_minute", 10_000)


async def press(client: UserClient, label: str) -> Exchange:
    clock.travel(timedelta(seconds=1.1))
    return await client.press(label)


async def press_data(client: UserClient, data: str) -> Exchange:
    clock.travel(timedelta(seconds=1.1))
    return await client.press_data(data)


def _alert(ex: Exchange) -> str:
    assert ex.answer is not None and ex.answer.get("show_alert"), ex.answer
    return str(ex.answer["text"])


def _fsm(h: Harness, tg: int) -> FSMContext:
    app = h.app
    assert app is not None and app.bot is not None and app.dp is not None
    return app.dp.fsm.get_context(app.bot, tg, tg)


async def _counts(h: Harness) -> tuple[int, int, int]:
    async with h.rt.db.session() as s:
        return (
            int(await s.scalar(select(func.count(Deposit.id))) or 0),
            int(await s.scalar(select(func.count(Payout.id))) or 0),
            int(await s.scalar(select(func.count(JournalEntry.id))) or 0),
        )


async def _seed_mixed(h: Harness, tg: int, language: str = "en") -> dict[str, Any]:
    """One of everything, one hour apart: deposit, 2 + 1 accruals, commission, 3 payouts, pending deposit."""
    async with h.rt.db.transaction() as s:
        rs = await seed_reward_session(s)
        user = await make_user(s, telegram_id=tg, language=language)
        friend = await make_user(s, referrer=user, username="friend")
        dep = await seed_deposit(s, user, "10")
        assert dep.confirmed_at is not None
        midnight = datetime.combine(dep.confirmed_at.date(), time(), UTC) + timedelta(days=1)
        await seed_accrual(s, dep, rs, 0, "0.1", midnight + timedelta(hours=1))
        await seed_accrual(s, dep, rs, 1, "0.15", midnight + timedelta(hours=2))
        await seed_accrual(s, dep, rs, 2, "0.1", midnight + timedelta(days=1, hours=1))
        clock.travel(timedelta(days=3))
        await seed_deposit(s, friend, "50")  # 1.50 commission
        clock.travel(timedelta(hours=1))
        settled = await seed_payout(s, user, "5", PayoutStatus.CONFIRMED)
        clock.travel(timedelta(hours=1))
        await seed_payout(s, user, "7", PayoutStatus.REJECTED)
        clock.travel(timedelta(hours=1))
        await seed_payout(s, user, "6")
        clock.travel(timedelta(hours=1))
        pending = await seed_deposit(s, user, "50", level=2, status=DepositStatus.PENDING)
    return {"user": user, "dep": dep, "settled": settled, "pending": pending}


# ------------------------------------------------------------------------------------------ happy paths
async def test_merged_history_with_totals_statuses_and_links(harness: Harness) -> None:
    seeded = await _seed_mixed(harness, 8001)
    dep, settled, pending = seeded["dep"], seeded["settled"], seeded["pending"]
    client = harness.user(8001, "Hist", language_code="en")
    await client.send("/menu")
    ex = await press(client, "📜 History")
    text = ex.text
    assert "History — All" in text
    assert "Deposited: 10.00 USDT" in text and "Rewards: 0.35 USDT" in text
    assert "Referral income: 1.50 USDT" in text and "Withdrawn: 5.00 USDT" in text
    assert "Pending payouts: 6.00 USDT" in text
    lines = text.split("\n\n")[-1].split("\n")
    assert len(lines) == 8
    assert f"💼 Deposit #{pending.id}, level 2 · 50.00 USDT · ⏳ waiting for transfer" in lines[0]
    assert "💸 Withdrawal" in lines[1] and "-6.00 USDT · ⏳ awaiting approval" in lines[1]
    assert "-7.00 USDT · ❌ rejected" in lines[2]
    assert f"💸 Withdrawal #{settled.id} · -5.00 USDT · ✅ completed · tx" in lines[3]
    assert "🤝 Commission from @friend (level 1) · +1.50 USDT" in lines[4]
    assert f"📈 Rewards, deposit #{dep.id} (level 1) × 1 · +0.10 USDT" in lines[5]
    assert f"📈 Rewards, deposit #{dep.id} (level 1) × 2 · +0.25 USDT" in lines[6]
    assert f"💼 Deposit #{dep.id}, level 1 · 10.00 USDT · ✅ active · tx" in lines[7]
    html = ex.last.source_html or ""
    assert f'href="https://bscscan.com/tx/{settled.tx_hash}"' in html
    assert f'href="https://bscscan.com/tx/{dep.tx_hash}"' in html
    assert ex.buttons() == ["• All •", "Deposits", "Rewards", "Referral", "Payouts", "◀️ Back"]

    ex = await press(client, "Deposits")
    assert "History — Deposits" in ex.text and ex.text.count("💼 Deposit") == 2 and "💸" not in ex.text
    assert "• Deposits •" in ex.buttons()
    ex = await press(client, "Rewards")
    assert ex.text.count("📈 Rewards") == 2 and "💼" not in ex.text
    ex = await press(client, "Referral")
    assert ex.text.count("🤝") == 1 and "📈" not in ex.text
    ex = await press(client, "Payouts")
    assert ex.text.count("💸 Withdrawal") == 3 and "🤝" not in ex.text
    # totals do not depend on the filter
    assert "Deposited: 10.00 USDT" in ex.text and "Pending payouts: 6.00 USDT" in ex.text
    await assert_books_ok(harness)


async def test_russian_statuses_and_amounts(harness: Harness) -> None:
    await _seed_mixed(harness, 8002, language="ru")
    client = harness.user(8002, "Ист", language_code="ru")
    await client.send("/menu")
    ex = await press(client, "📜 История")
    assert "История — Все" in ex.text and "Внесено: 10,00 USDT" in ex.text
    assert "⏳ ожидает перевода" in ex.text and "❌ отклонён" in ex.text and "✅ выполнен" in ex.text
    assert "Комиссия от @friend (уровень 1) · +1,50 USDT" in ex.text


async def test_empty_history(harness: Harness) -> None:
    async with harness.rt.db.transaction() as s:
        await make_user(s, telegram_id=8003, language="en")
    client = harness.user(8003, "Empty", language_code="en")
    await client.send("/menu")
    ex = await press(client, "📜 History")
    assert "Nothing here yet." in ex.text and "Deposited: 0.00 USDT" in ex.text
    assert "1/1" not in ex.buttons()


# ------------------------------------------------------------------------------------------ pagination
async def test_pagination_filters_and_forged_pages(harness: Harness) -> None:
    """25 daily reward groups + 1 deposit = 26 items: pages 10/10/6 (All), 10/10/5 (Rewards)."""
    async with harness.rt.db.transaction() as s:
        rs = await seed_reward_session(s)
        user = await make_user(s, telegram_id=8004, language="en")
        dep = await seed_deposit(s, user, "10")
        assert dep.confirmed_at is not None
        for day in range(25):
            await seed_accrual(s, dep, rs, day, "0.01", dep.confirmed_at + timedelta(days=day + 1))
    client = harness.user(8004, "Pages", language_code="en")
    await client.send("/menu")
    ex = await press(client, "📜 History")
    assert ex.text.count("📈") == 10 and "1/3" in ex.buttons() and "◀" not in ex.buttons()
    assert "Rewards: 0.25 USDT" in ex.text
    ex = await press(client, "▶")
    assert ex.text.count("📈") == 10 and "2/3" in ex.buttons()
    ex = await press(client, "▶")
    assert ex.text.count("📈") == 5 and "💼 Deposit" in ex.text and "▶" not in ex.buttons()

    ex = await press(client, "Rewards")
    assert "1/3" in ex.buttons()
    ex = await press_data(client, Hist(kind="rewards", page=10**9).pack())
    assert ex.text.count("📈") == 5 and "💼" not in ex.text and "3/3" in ex.buttons()
    ex = await press_data(client, Hist(kind="rewards", page=-5).pack())
    assert "1/3" in ex.buttons()
    ex = await press_data(client, Hist(kind="deposits", page=0).pack())
    assert ex.text.count("💼 Deposit") == 1 and "1/1" not in ex.buttons()

    shown = client.last_message
    before = (shown.body, shown.edit_count)
    counts = await _counts(harness)
    for data in (Hist(kind="bogus", page=1).pack(), "hist:all:abc", "hist"):
        ex = await press_data(client, data)
        assert _alert(ex) == OUTDATED, data
        assert not ex.screens
    assert (shown.body, shown.edit_count) == before
    assert await _counts(harness) == counts


async def test_history_button_leaves_an_input_state(harness: Harness) -> None:
    async with harness.rt.db.transaction() as s:
        await make_user(s, telegram_id=8005, language="en")
    client = harness.user(8005, "State", language_code="en")
    await client.send("/menu")
    await _fsm(harness, 8005).set_state(Withdrawal.amount)
    ex = await press(client, "📜 History")
    assert "History — All" in ex.text
    assert await _fsm(harness, 8005).get_state() is None


async def test_guest_gets_register_first(harness: Harness) -> None:
    client = harness.user(8006, "Guest", language_code="en")
    await client.send("/start")
    counts = await _counts(harness)
    for data in (Nav(to="history").pack(), Hist(kind="payouts", page=3).pack(), Hist(kind="bogus").pack()):
        ex = await press_data(client, data)
        assert _alert(ex) == "Please register first: /start", data
        assert not ex.screens
    assert await _counts(harness) == counts

"""Referral screens through the real bot (SPEC §3.4.6–§3.4.8, §5.6; scenario 35).

Data is seeded as the real services write it (see tests/integration/test_referral_stats.py). Forged
callback data gets a clean answer (page clamped, or the "outdated button" alert with nothing changed)
and never an HTTP 400 (the harness fails the test on any refused request).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.bot.callbacks import Nav, Ref
from sigmatrade.db.models import User
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import settings
from tests.factories import make_user
from tests.integration.test_referral_stats import assert_books_ok, seed_deposit

EVIL = "<b>x</b> & <script>"
OUTDATED = "This button is outdated. Please open the menu again."


async def _set(h: Harness, key: str, value: Any) -> None:
    async with h.rt.db.transaction() as session:
        await settings.write(session, key, value, None)
    h.rt.store.invalidate()


@pytest.fixture(autouse=True)
async def _roomy_throttle(harness: Harness) -> None:
    await _set(harness, "throttle.updates_per_minute", 10_000)


async def press(client: UserClient, label: str) -> Exchange:
    clock.travel(timedelta(seconds=1.1))  # past the double-tap window
    return await client.press(label)


async def press_data(client: UserClient, data: str) -> Exchange:
    clock.travel(timedelta(seconds=1.1))
    return await client.press_data(data)


def _alert(ex: Exchange) -> str:
    assert ex.answer is not None and ex.answer.get("show_alert"), ex.answer
    return str(ex.answer["text"])


async def _open(client: UserClient, label: str = "👥 Referrals") -> Exchange:
    await client.send("/menu")
    return await press(client, label)


async def _chain(h: Harness, tg: int) -> tuple[User, User, User]:
    """a (the viewer) → b → c → d, plus an unverified and a banned direct referral; three deposits."""
    async with h.rt.db.transaction() as s:
        a = await make_user(s, telegram_id=tg, username="alice", language="en")
        b = await make_user(s, referrer=a, username="bob")
        c = await make_user(s, referrer=b, username=EVIL)
        d = await make_user(s, referrer=c)
        await make_user(s, referrer=a, verified=False)
        await make_user(s, referrer=a, banned=True)
        await seed_deposit(s, b, "50")
        await seed_deposit(s, c, "100")
        await seed_deposit(s, d, "10")
    return a, c, d


# ------------------------------------------------------------------------------------------ happy paths
async def test_home_link_lists_commissions_and_board(harness: Harness) -> None:
    a, _c, d = await _chain(harness, 7001)
    client = harness.user(7001, "Alice", language_code="en", username="alice")

    ex = await _open(client)
    text = ex.text
    assert "level 1 — 3%, level 2 — 2%, level 3 — 5%" in text
    assert "Level 1: 3 (verified 2) · earned 1.50 USDT" in text
    assert "Level 2: 1 (verified 1) · earned 2.00 USDT" in text
    assert "Level 3: 1 (verified 1) · earned 0.50 USDT" in text
    assert "Verified direct referrals: 1" in text and "Total earned: 4.00 USDT" in text
    assert ex.buttons() == ["🔗 My link", "👥 Referral lists", "💰 Commissions", "🏆 Leaderboard", "◀️ Back"]
    assert not ex.sent  # the menu message was edited in place

    ex = await press(client, "🔗 My link")
    link = f"https://t.me/sigmatrade_sandbox_bot?start={a.referral_code}"
    assert link in ex.text and f"Code: {a.referral_code}" in ex.text
    share = next(b for b in ex.last.buttons() if b["text"] == "📤 Share the link")
    assert share["url"].startswith("https://t.me/share/url?url=https%3A%2F%2Ft.me%2F")
    await press(client, "◀️ Back")

    ex = await press(client, "👥 Referral lists")
    assert "Referrals — level 1 (3)" in ex.text
    assert "@bob · joined" in ex.text and "earned 1.50 USDT" in ex.text
    assert "⏳ not verified" in ex.text and "✅ verified" in ex.text
    assert ex.buttons()[:3] == ["• Level 1 •", "Level 2", "Level 3"]
    ex = await press(client, "Level 2")
    assert "Referrals — level 2 (1)" in ex.text
    assert f"1. @{EVIL} · joined" in ex.text and "earned 2.00 USDT" in ex.text  # shown literally
    assert "@&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;" in (ex.last.source_html or "")
    ex = await press(client, "Level 3")
    assert f"User #{d.id}" in ex.text and "earned 0.50 USDT" in ex.text
    await press(client, "◀️ Back")

    ex = await press(client, "💰 Commissions")
    assert "Commissions (3)" in ex.text
    assert f"from User #{d.id} (level 3)\n10.00 USDT × 5% = 0.50 USDT · ✅ credited" in ex.text
    assert f"from @{EVIL} (level 2)\n100.00 USDT × 2% = 2.00 USDT · ✅ credited" in ex.text
    # newest first: d's deposit was confirmed last
    assert ex.text.index(f"User #{d.id}") < ex.text.index("@bob")
    await press(client, "◀️ Back")

    ex = await press(client, "🏆 Leaderboard")
    assert "Leaderboard — by referrals" in ex.text
    # a: 5 referrals (all depths), bob: 2, EVIL: 1; equal values share a place
    assert "🥇 @alice — 5" in ex.text and "🥈 @bob — 2" in ex.text and f"🥉 @{EVIL} — 1" in ex.text
    assert "Your rank: #1 of 3 — 5" in ex.text
    ex = await press(client, "By earnings")
    assert "Leaderboard — by earnings" in ex.text
    assert "🥇 @alice — 4.00 USDT" in ex.text and "🥈 @bob — 3.20 USDT" in ex.text
    assert f"🥉 @{EVIL} — 0.30 USDT" in ex.text
    assert ex.buttons()[:2] == ["By referrals", "• By earnings •"]
    await assert_books_ok(harness)


async def test_russian_home_and_own_rank_outside_top(harness: Harness) -> None:
    """The viewer has one referral; eleven others have more: rank 12 shown below the top 10."""
    async with harness.rt.db.transaction() as s:
        viewer = await make_user(s, telegram_id=7002, language="ru")
        await make_user(s, referrer=viewer)
        for n in range(11):
            leader = await make_user(s, username=f"leader{n}")
            for _ in range(2 + n):
                await make_user(s, referrer=leader)
    client = harness.user(7002, "Viewer", language_code="ru")
    ex = await _open(client, "👥 Рефералы")
    assert "Реферальная программа" in ex.text
    assert "Уровень 1: 1 (верифицировано 1)" in ex.text
    ex = await press(client, "🏆 Рейтинг")
    assert "🥇 @leader10 — 12" in ex.text and "#10 @leader1 — 3" in ex.text
    assert "@leader0" not in ex.text  # 11th: outside the top 10
    assert "Ваше место: #12 из 12 — 1" in ex.text
    ex = await press(client, "По доходу")
    assert "В рейтинге пока никого нет." in ex.text and "Вы пока не в рейтинге." in ex.text


# ------------------------------------------------------------------------------------------ pagination
async def test_list_pagination_and_forged_pages(harness: Harness) -> None:
    async with harness.rt.db.transaction() as s:
        a = await make_user(s, telegram_id=7003, language="en")
        for n in range(23):
            await make_user(s, referrer=a, username=f"kid{n:02d}")
    client = harness.user(7003, "Pager", language_code="en")
    await _open(client)
    ex = await press(client, "👥 Referral lists")
    assert "Referrals — level 1 (23)" in ex.text and "1. @kid22" in ex.text and "10. @kid13" in ex.text
    assert "1/3" in ex.buttons() and "◀" not in ex.buttons()
    ex = await press(client, "▶")
    assert "11. @kid12" in ex.text and "20. @kid03" in ex.text and "2/3" in ex.buttons()
    ex = await press(client, "▶")
    assert "21. @kid02" in ex.text and "23. @kid00" in ex.text and "▶" not in ex.buttons()

    ex = await press_data(client, Ref(action="list", depth=1, page=-5).pack())
    assert "1. @kid22" in ex.text and "1/3" in ex.buttons()
    ex = await press_data(client, Ref(action="list", depth=1, page=10**9).pack())
    assert "21. @kid02" in ex.text and "3/3" in ex.buttons()
    ex = await press_data(client, Ref(action="comms", page=10**9).pack())
    assert "No commissions yet." in ex.text


async def test_forged_depth_metric_and_action_change_nothing(harness: Harness) -> None:
    await _chain(harness, 7004)
    client = harness.user(7004, "Forger", language_code="en")
    home = (await _open(client)).last
    before = (home.body, home.edit_count)
    for data in (
        Ref(action="list", depth=7, page=1).pack(),
        Ref(action="list", depth=0).pack(),
        Ref(action="board", metric="bogus").pack(),
        Ref(action="board").pack(),
        Ref(action="nuke").pack(),
        "ref:list:abc:1:",
    ):
        ex = await press_data(client, data)
        assert _alert(ex) == OUTDATED, data
        assert not ex.screens, data
    assert (home.body, home.edit_count) == before


async def test_guest_gets_register_first(harness: Harness) -> None:
    client = harness.user(7005, "Guest", language_code="en")
    await client.send("/start")
    for data in (
        Nav(to="referrals").pack(),
        Ref(action="link").pack(),
        Ref(action="list", depth=1, page=2).pack(),
        Ref(action="comms").pack(),
        Ref(action="board", metric="count").pack(),
    ):
        ex = await press_data(client, data)
        assert _alert(ex) == "Please register first: /start", data
        assert not ex.screens
    async with harness.rt.db.session() as s:
        assert await s.scalar(select(func.count(User.id))) == 0

"""Ban and blacklist gates (middleware #7)."""

from __future__ import annotations

from datetime import timedelta

from sigmatrade import clock
from sigmatrade.db.models import Blacklist
from sigmatrade.sandbox.harness import Harness
from tests.factories import make_user


async def test_banned_user_gets_notice_once_per_10_minutes(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        user = await make_user(session, telegram_id=3001)
        user.is_banned = True
    client = harness.user(3001, "Banned", language_code="en")
    first = await client.send("/start")
    assert "terminated" in first.text
    second = await client.send("/help")
    assert second.sent == []
    clock.travel(timedelta(minutes=11))
    third = await client.send("/help")
    assert "terminated" in third.text


async def test_blacklisted_guest_can_only_read(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        session.add(Blacklist(telegram_id=3002, reason="fraud"))
    client = harness.user(3002, "Listed", language_code="en")
    assert "Welcome" in (await client.send("/start")).text
    assert "Commands" in (await client.send("/help")).text
    assert "BNB Smart Chain" in (await client.press("📘 Instructions")).text
    ex = await client.press_data("reg:start")
    assert ex.answer is not None and "not available" in ex.answer["text"]
    ex = await client.send("some text")
    assert "not available" in ex.text


async def test_private_key_message_is_deleted_with_a_warning(harness: Harness) -> None:
    client = harness.user(3003, "Careless", language_code="en")
    key = "0x" + "ab" * 32
    ex = await client.send(f"my key {key}")
    assert [m.body for m in ex.deleted] == [f"my key {key}"]
    assert "private key or a seed phrase" in ex.text
    words = " ".join(["abandon"] * 11 + ["about"])
    ex = await client.send(words)
    assert len(ex.deleted) == 1 and "seed phrase" in ex.text
    ex = await client.send("/help")
    assert "Commands" in ex.text

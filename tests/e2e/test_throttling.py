"""Throttling: a flooding user gets one warning, not a reply per update; then normal again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.fsm.context import FSMContext
from sqlalchemy.exc import OperationalError

from sigmatrade import clock
from sigmatrade.bot.states import Withdrawal
from sigmatrade.sandbox.harness import Harness
from tests.factories import make_user


async def test_flood_gets_one_warning(harness: Harness) -> None:
    user = harness.user(2001, "Flood", language_code="en")
    replies = []
    for i in range(36):
        ex = await user.send(f"text {i}")
        replies.append(ex.sent)
    warnings = [m for batch in replies for m in batch if "Too many actions" in m.body]
    assert len(warnings) == 1
    assert all(len(batch) == 1 for batch in replies[:30])  # normal answers while under the limit
    assert all(batch == [] for batch in replies[31:])  # silently dropped while muted
    clock.travel(timedelta(minutes=6))
    ex = await user.send("/help")
    assert "Commands" in ex.text


async def test_double_tap_processed_once(harness: Harness) -> None:
    user = harness.user(2002, "Tap", language_code="en")
    await user.send("/start")
    message, button = user.find_button("❓ Help")
    first = await user.press_data(button["callback_data"], message=message)
    second = await user.press_data(button["callback_data"], message=message)
    assert "Commands" in first.text
    assert second.screens == [] and second.answer is not None and second.answer["text"] == ""


def _fsm(h: Harness, tg: int) -> FSMContext:
    app = h.app
    assert app is not None and app.bot is not None and app.dp is not None
    return app.dp.fsm.get_context(app.bot, tg, tg)


async def test_a_secret_dropped_by_the_throttle_is_still_deleted(harness: Harness) -> None:
    """A password typed in a password state, or a pasted key, while the throttle drops the message:
    the handler that would delete it never runs, so the throttle deletes it."""
    user = harness.user(2003, "Hasty", language_code="en")
    for i in range(31):
        await user.send(f"text {i}")  # the 31st is refused with the warning: muted now
    await _fsm(harness, 2003).set_state(Withdrawal.finpass)
    ex = await user.send("Ab3dEf7hJk9m")
    assert ex.sent == [] and [m.body for m in ex.deleted] == ["Ab3dEf7hJk9m"]
    await _fsm(harness, 2003).set_state(None)
    key = "0x" + "cd" * 32
    ex = await user.send(f'pk="{key}"')
    assert ex.sent == [] and len(ex.deleted) == 1
    ex = await user.send("just text")  # anything else dropped is left alone
    assert ex.sent == [] and ex.deleted == []


async def test_a_banned_users_password_is_deleted(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        account = await make_user(session, telegram_id=2004)
        account.is_banned = True
    user = harness.user(2004, "Banned", language_code="en")
    await _fsm(harness, 2004).set_state(Withdrawal.finpass)
    ex = await user.send("Ab3dEf7hJk9m")
    assert "terminated" in ex.text and [m.body for m in ex.deleted] == ["Ab3dEf7hJk9m"]


async def test_a_muted_user_gets_no_reply_when_the_state_read_fails(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drop path reads the state only for typed text, and a failing read stays a silent drop."""
    user = harness.user(2005, "Flood", language_code="en")
    for i in range(31):
        await user.send(f"text {i}")  # muted from here on
    app = harness.app
    assert app is not None and app.dp is not None
    storage = app.dp.fsm.storage
    inner = getattr(storage, "inner", storage)
    reads = 0

    async def broken(*args: object, **kwargs: object) -> object:
        nonlocal reads
        reads += 1
        raise OperationalError("SELECT fsm_states", {}, Exception("database is locked"))

    monkeypatch.setattr(inner, "get_record", broken)
    monkeypatch.setattr(inner, "get_state", broken)
    replies = []
    for i in range(3):
        replies.extend(m.body for m in (await user.send(f"flood {i}")).sent)
    await user.send_media("photo")  # nothing typed: no read at all
    assert replies == [] and reads == 3

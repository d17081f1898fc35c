"""Throttling: a flooding user gets one warning, not a reply per update; then normal again."""

from __future__ import annotations

from datetime import timedelta

from sigmatrade import clock
from sigmatrade.sandbox.harness import Harness


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

"""The real bot, over HTTP against the emulator: /start, help, language, unknown input, errors."""

from __future__ import annotations

import pytest

from sigmatrade.sandbox.harness import Harness


async def test_start_shows_welcome_in_russian(harness: Harness) -> None:
    user = harness.user(1001, "Анна", language_code="ru")
    ex = await user.send("/start")
    assert "Добро пожаловать в SigmaTrade" in ex.text
    assert ex.buttons() == ["📝 Регистрация", "📘 Инструкция", "❓ Помощь", "🌐 Язык"]


async def test_start_language_by_telegram_code(harness: Harness) -> None:
    en = await harness.user(1002, "Bob", language_code="en-GB").send("/start")
    assert "Welcome to SigmaTrade" in en.text
    de = await harness.user(1003, "Karl", language_code="de").send("/start")
    assert "Добро пожаловать" in de.text


async def test_language_switch_persists_for_a_guest(harness: Harness) -> None:
    user = harness.user(1004, "Ivan", language_code="ru")
    await user.send("/start")
    ex = await user.press("🌐 Язык")
    assert "Текущий язык" in ex.text
    ex = await user.press("🇬🇧 English")
    assert ex.answer is not None and ex.answer["text"] == "✅ Language switched to English."
    assert "Welcome to SigmaTrade" in ex.text
    again = await user.send("/help")
    assert "Commands" in again.text and "Level 1: 10.00 USDT" in again.text


async def test_help_and_instructions(harness: Harness) -> None:
    user = harness.user(1005, "Ann", language_code="en")
    ex = await user.send("/help")
    assert "level 1 3%, level 2 2%, level 3 5%" in ex.text
    assert "Level 5: 300.00 USDT · referrals: 4" in ex.text
    await user.send("/start")
    ex = await user.press("📘 Instructions")
    assert "BNB Smart Chain (BEP-20)" in ex.text and "0x55d398326f99059fF775485246999027B3197955" in ex.text
    assert "12 block confirmations" in ex.text


async def test_referral_payload_is_kept_for_registration(harness: Harness) -> None:
    user = harness.user(1006, "Guest", language_code="en")
    ex = await user.send("/start UNKNOWN1")
    assert "invite link is not valid" in ex.text
    async with harness.rt.db.session() as session:
        from sqlalchemy import select

        from sigmatrade.db.models import FsmState

        rows = (await session.scalars(select(FsmState))).all()
    if harness.rt.redis is None:
        assert any(row.data.get("ref_code") == "UNKNOWN1" for row in rows)


async def test_unknown_command_and_outdated_button(harness: Harness) -> None:
    user = harness.user(1007, "X", language_code="en")
    ex = await user.send("/nonsense")
    assert ex.text.startswith("🤔 Unknown command")
    ex = await user.send("hello there")
    assert ex.text.startswith("🤔 Unknown command")
    ex = await user.press_data("adm:wd:approve:1:0:")
    assert ex.answer == {
        "text": "This button is outdated. Please open the menu again.",
        "show_alert": True,
        "callback_query_id": ex.answer["callback_query_id"],
    }
    ex = await user.press_data("garbage-data")
    assert ex.answer is not None and ex.answer["show_alert"]


async def test_name_with_html_is_escaped(harness: Harness) -> None:
    user = harness.user(1008, "<b>x</b> & <script>", username=None, language_code="en")
    ex = await user.send("/start")
    assert "Welcome" in ex.text


async def test_handler_error_answers_with_reference(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sigmatrade.bot.views import common

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(common, "help_screen", boom)
    from sigmatrade.db.models import Admin

    async with harness.rt.db.transaction() as session:
        session.add(Admin(telegram_id=1900, role="super_admin", created_via="cli"))
        session.add(Admin(telegram_id=1901, role="admin", created_via="cli"))
    supers = harness.user(1900, "Boss", language_code="en")
    plain_admin = harness.user(1901, "Helper", language_code="en")
    supers.user.started = plain_admin.user.started = True
    user = harness.user(1009, "E", language_code="en")
    ex = await user.send("/help")
    assert ex.text.startswith("⚠️ Something went wrong") and "Reference:" in ex.text
    await user.send("/help")  # same error class again: no second alert within 10 minutes
    ex = await user.send("/start")
    assert "Welcome" in ex.text  # the bot keeps working
    alerts = [m.body for m in supers.messages()]
    assert len(alerts) == 1 and "RuntimeError" in alerts[0] and "simulated failure" not in alerts[0]
    assert plain_admin.messages() == []

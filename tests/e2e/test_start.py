"""The real bot, over HTTP against the emulator: /start, help, language, unknown input."""

from __future__ import annotations

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

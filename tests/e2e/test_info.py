"""Instructions and FAQ show live values (SPEC §5.6 "Instructions"; scenario 13 display side):
the system wallet from the DB setting and the confirmation count from the configuration."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sigmatrade import clock
from sigmatrade.bot.callbacks import Nav
from sigmatrade.bot.states import Support
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import settings
from tests.factories import make_user, random_wallet


async def _set(h: Harness, key: str, value: Any) -> None:
    async with h.rt.db.transaction() as session:
        await settings.write(session, key, value, None)
    h.rt.store.invalidate()


def _step() -> None:
    clock.travel(timedelta(seconds=2.5))


def _wallet_url(h: Harness, wallet: str) -> str:
    return f"{h.rt.config.explorer_base_url}/address/{wallet}"


async def test_instructions_and_faq_follow_the_wallet_setting(harness: Harness) -> None:
    first, second = random_wallet(), random_wallet()
    await _set(harness, "deposit.system_wallet_address", first)
    blocks = harness.rt.config.confirmation_blocks
    guest = harness.user(8201, "Guest", language_code="en")
    await guest.send("/start")
    _step()
    ex = await guest.press("📘 Instructions")
    assert first in ex.text and f"after {blocks} block confirmations" in ex.text
    assert f"<code>{first}</code>" in (ex.last.source_html or "")
    urls = [b.get("url") for b in ex.last.buttons()]
    assert _wallet_url(harness, first) in urls
    _step()
    ex = await guest.send("/faq")
    assert first in ex.text and harness.rt.config.usdt_contract_address in ex.text
    assert f"confirmed after {blocks} block confirmations" in ex.text
    assert _wallet_url(harness, first) in [b.get("url") for b in ex.last.buttons()]
    # The wallet changes (the wallet-change flow applies it): both screens show the new one.
    await _set(harness, "deposit.system_wallet_address", second)
    _step()
    ex = await guest.press("📘 How to deposit")
    assert second in ex.text and first not in ex.text
    _step()
    ex = await guest.send("/faq")
    assert second in ex.text and first not in ex.text
    assert ex.buttons()[-1] == "◀️ Back"


async def test_faq_without_wallet_and_russian(harness: Harness) -> None:
    await _set(harness, "deposit.system_wallet_address", None)
    client = harness.user(8202, "Гость", language_code="ru")
    ex = await client.send("/faq")
    assert "Частые вопросы" in ex.text and "ещё не настроен" in ex.text
    assert all(b.get("url") is None for b in ex.last.buttons())
    _step()
    ex = await client.press("📘 Как сделать депозит")
    assert "не настроен" in ex.text


async def test_faq_from_support_leaves_the_composer(harness: Harness) -> None:
    await _set(harness, "deposit.system_wallet_address", random_wallet())
    async with harness.rt.db.transaction() as session:
        await make_user(session, telegram_id=8203, language="en")
    client = harness.user(8203, "Reader", language_code="en")
    await client.send("/menu")
    _step()
    await client.press("🛟 Support")
    _step()
    await client.press("✉️ New ticket")
    app = harness.app
    assert app is not None and app.bot is not None and app.dp is not None
    fsm = app.dp.fsm.get_context(app.bot, 8203, 8203)
    assert await fsm.get_state() == Support.category.state
    _step()
    ex = await client.press_data(Nav(to="faq").pack())
    assert "Frequently asked questions" in ex.text and await fsm.get_state() is None
    _step()
    ex = await client.press("◀️ Back")
    assert "Support" in ex.text and "✉️ New ticket" in ex.buttons()


async def test_finalized_mode_is_described_on_instructions_and_faq(db_url: str) -> None:
    h = Harness(db_url, chain_confirmation_mode="finalized")
    await h.start()
    try:
        await _set(h, "deposit.system_wallet_address", random_wallet())
        guest = h.user(8204, "Guest", language_code="en")
        await guest.send("/start")
        _step()
        ex = await guest.press("📘 Instructions")
        assert (
            "once its block is finalized by the network" in ex.text and "block confirmations" not in ex.text
        )
        _step()
        ex = await guest.send("/faq")
        assert (
            "once its block is finalized by the network" in ex.text and "block confirmations" not in ex.text
        )
    finally:
        await h.stop()
    assert not h.emulator.rejected()

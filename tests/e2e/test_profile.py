"""Profile and Settings through the real bot (SPEC §5.6; scenario 12 display side, 35 referral counts)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from aiogram.fsm.context import FSMContext
from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.bot.callbacks import Nav, Set, Wd
from sigmatrade.bot.states import PreferenceStates
from sigmatrade.db.models import AuditLog, User
from sigmatrade.domain.addresses import to_checksum
from sigmatrade.domain.enums import PayoutStatus
from sigmatrade.ledger import entries
from sigmatrade.ledger.journal import post
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import profile as profile_svc
from tests.factories import credit, make_payout, make_user

NASTY = "<b>x</b> & <script>"


async def send(client: UserClient, text: str) -> Exchange:
    clock.travel(timedelta(seconds=2.1))
    return await client.send(text)


async def press(client: UserClient, label: str) -> Exchange:
    clock.travel(timedelta(seconds=2.1))
    return await client.press(label)


async def press_data(client: UserClient, data: str) -> Exchange:
    clock.travel(timedelta(seconds=2.1))
    return await client.press_data(data)


async def row_of(h: Harness, tg: int) -> User:
    async with h.rt.db.session() as session:
        user = await session.scalar(select(User).where(User.telegram_id == tg))
    assert user is not None
    return user


def fsm(h: Harness, tg: int) -> FSMContext:
    app = h.app
    assert app is not None and app.bot is not None and app.dp is not None
    return app.dp.fsm.get_context(app.bot, tg, tg)


async def audit_count(h: Harness) -> int:
    async with h.rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditLog)) or 0)


async def test_registered_through_the_bot_profile_shows_escaped_name_and_ledger(harness: Harness) -> None:
    h = harness
    client = h.user(2001, NASTY, language_code="en", username="nasty_one")
    await send(client, "/start")
    await press(client, "Register")
    wallet = to_checksum("0x" + "3c" * 20)
    ex = await send(client, wallet)
    assert "Registration complete" in ex.text
    me = await row_of(h, 2001)
    assert me.first_name == NASTY
    async with h.rt.db.transaction() as session:
        await credit(session, me, "100")
        await post(session, entries.referral_commission("deposit", 1, me.id, Decimal("3")))
        held = await make_payout(session, me, Decimal("20"))
        await post(session, entries.withdrawal_hold(held.id, me.id, Decimal("20")))
        paid = await make_payout(session, me, Decimal("10"), fee=Decimal("1"), status=PayoutStatus.CONFIRMED)
        await post(session, entries.withdrawal_hold(paid.id, me.id, Decimal("10")))
        await post(session, entries.payout_settled(paid.id, me.id, Decimal("10"), Decimal("9"), Decimal("1")))
        d1 = await make_user(session, referrer=me, verified=True)
        await make_user(session, referrer=me, verified=False)
        await make_user(session, referrer=d1)

    await send(client, "/menu")
    ex = await press(client, "Profile")
    text = ex.text
    assert f"Name: {NASTY}" in text  # shown literally: escaped in the HTML the bot sent
    assert "&lt;script&gt;" in (ex.last.source_html or "")
    assert "Username: @nasty_one" in text and "Telegram ID: 2001" in text
    assert wallet in text and "Language: 🇬🇧 English" in text
    assert "Available: 73.00" in text and "On hold: 20.00" in text
    assert "Total earned: 3.00" in text and "Total withdrawn: 10.00" in text
    assert "Active levels: 0/5" in text
    assert "Referrals by level 1 / 2 / 3: 2 / 1 / 0" in text
    assert "Verified direct referrals: 1" in text
    assert f"https://t.me/sigmatrade_sandbox_bot?start={me.referral_code}" in text
    assert "not verified" in text and "✅ Verify password" in ex.buttons()
    ex = await press(client, "Back")
    assert "Main menu" in ex.text


async def test_settings_toggle_contacts_and_language(harness: Harness) -> None:
    h = harness
    async with h.rt.db.transaction() as session:
        await make_user(session, telegram_id=2101, language="en")
    client = h.user(2101, "Sue", language_code="en")
    await send(client, "/start")
    ex = await press(client, "Settings")
    assert "Accrual notifications: off" in ex.text and "Contacts: not set" in ex.text
    ex = await press(client, "Turn notifications on")
    assert ex.answer is not None and ex.answer["text"] == "🔔 Accrual notifications are on."
    assert "Accrual notifications: on" in ex.text
    assert (await row_of(h, 2101)).accrual_notifications is True
    ex = await press(client, "Turn notifications off")
    assert (await row_of(h, 2101)).accrual_notifications is False

    ex = await press(client, "Edit contacts")
    assert "Current: not set" in ex.text
    assert await fsm(h, 2101).get_state() == PreferenceStates.contacts.state
    ex = await send(client, "sue@example.com")
    assert "Contacts updated: e-mail s•••@example.com" in ex.text
    row = await row_of(h, 2101)
    assert row.email_enc and "sue" not in row.email_enc and row.phone_enc is None
    assert profile_svc.read_contacts(h.rt, row).email == "sue@example.com"
    await press(client, "Edit contacts")
    ex = await send(client, "-")
    assert "Contacts removed" in ex.text
    row = await row_of(h, 2101)
    assert row.email_enc is None and row.phone_enc is None

    ex = await press(client, "Language")
    ex = await press(client, "Русский")
    assert (await row_of(h, 2101)).language == "ru"
    ex = await press_data(client, Nav(to="settings").pack())
    assert "Настройки" in ex.text and "Язык: 🇷🇺 Русский" in ex.text


async def test_settings_contacts_state_refuses_unexpected_input(harness: Harness) -> None:
    h = harness
    async with h.rt.db.transaction() as session:
        await make_user(session, telegram_id=2201, language="en")
    client = h.user(2201, "Rex", language_code="en")
    await send(client, "/start")
    await press(client, "Settings")
    await press(client, "Edit contacts")
    state = fsm(h, 2201)
    before = (await audit_count(h), await row_of(h, 2201))
    for media in ("sticker", "photo"):
        clock.travel(timedelta(seconds=2.1))
        ex = await client.send_media(media)
        assert "waiting for your phone and/or e-mail" in ex.text
    for text in ("/foo", "random words", "+1 2", "a@b"):
        ex = await send(client, text)
        assert "waiting" in ex.text or "not a valid" in ex.text or "neither" in ex.text, text
    for data in ("junk", Wd(action="confirm", id=3).pack(), Set(action="bogus").pack()):
        ex = await press_data(client, data)
        assert ex.answer is not None and "outdated" in ex.answer["text"], data
    assert await state.get_state() == PreferenceStates.contacts.state
    after = await row_of(h, 2201)
    assert await audit_count(h) == before[0]
    assert (after.phone_enc, after.email_enc) == (before[1].phone_enc, before[1].email_enc) == (None, None)
    ex = await send(client, "/menu")
    assert "Main menu" in ex.text and await state.get_state() is None
    ex = await send(client, "+491511234567")  # outside the state: not taken as contacts
    assert (await row_of(h, 2201)).phone_enc is None


async def test_guests_cannot_open_profile_or_settings(harness: Harness) -> None:
    h = harness
    client = h.user(2301, "Guest", language_code="en")
    await send(client, "/start")
    before = await audit_count(h)
    for data in (Nav(to="profile").pack(), Nav(to="settings").pack(), Set(action="notify").pack()):
        ex = await press_data(client, data)
        assert ex.answer is not None and "outdated" in ex.answer["text"], data
    assert await audit_count(h) == before
    async with h.rt.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0

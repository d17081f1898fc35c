"""Acceptance scenarios 1–12 (onboarding, SPEC §12): the parts the feature tests do not assert.

Each test drives the real bot through the emulator and ends with ``ledger check`` and ``audit verify``
(the harness fixture fails the test on any request the emulator refused). See docs/scenarios-user.md.
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.bot.states import Registration
from sigmatrade.db.base import Base
from sigmatrade.db.models import AuditLog, Blacklist, LedgerAccount, Referral, User, UserAction
from sigmatrade.domain.addresses import to_checksum
from sigmatrade.ledger import accounts
from sigmatrade.ledger.check import run_check
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit
from tests.factories import make_user

_FINPASS = re.compile(r"(?:password|пароль):\n(\S{12})\n")


# ------------------------------------------------------------------------------------------ helpers
async def send(client: UserClient, text: str) -> Exchange:
    clock.travel(timedelta(seconds=2.1))  # inside the per-minute update limit
    return await client.send(text)


async def press(client: UserClient, label: str) -> Exchange:
    clock.travel(timedelta(seconds=2.1))  # past the double-tap window
    return await client.press(label)


async def consistent(h: Harness) -> None:
    async with h.rt.db.session() as session:
        report = await run_check(session)
        assert report.ok, report.render()
        verified = await audit.verify(session)
        assert verified.ok, verified.render()


async def state_of(h: Harness, tg: int) -> str | None:
    app = h.app
    assert app is not None and app.bot is not None and app.dp is not None
    return await app.dp.fsm.get_context(app.bot, tg, tg).get_state()


async def count(h: Harness, model: Any, *where: Any) -> int:
    async with h.rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def rows_of(h: Harness) -> tuple[int, int, int, int, int]:
    """users, referrals, ledger accounts, audit rows, user_actions."""
    return (
        await count(h, User),
        await count(h, Referral),
        await count(h, LedgerAccount),
        await count(h, AuditLog),
        await count(h, UserAction),
    )


async def user_row(h: Harness, tg: int) -> User | None:
    async with h.rt.db.session() as session:
        return await session.scalar(select(User).where(User.telegram_id == tg))


def finpass_of(ex: Exchange) -> str:
    found = _FINPASS.search(ex.text)
    assert found, ex.text
    return found.group(1)


async def to_wallet_step(client: UserClient, payload: str = "") -> None:
    await send(client, f"/start {payload}".strip())
    ex = await press(client, "Register")
    assert "BNB Smart Chain (BEP-20)" in ex.text


# ---------------------------------------------------------------------------------------- scenario 1
async def test_s01_language_by_code_and_switch_persists_into_registration(harness: Harness) -> None:
    """ru → ru, en → en, de → ru; a guest's switch survives a new /start and becomes the user's language."""
    h = harness
    expected = {
        "ru": "Добро пожаловать в SigmaTrade",
        "en": "Welcome to SigmaTrade",
        "de": "Добро пожаловать",
    }
    for n, (code, welcome) in enumerate(expected.items()):
        ex = await send(h.user(3100 + n, "Lang", language_code=code), "/start")
        assert welcome in ex.text, (code, ex.text)
    karl = h.user(3102, "Karl", language_code="de")
    await press(karl, "🌐 Язык")
    ex = await press(karl, "🇬🇧 English")
    assert "Welcome to SigmaTrade" in ex.text
    ex = await send(karl, "/start")  # the choice is stored, not just used for the next screen
    assert "Welcome to SigmaTrade" in ex.text and "📝 Register" in ex.buttons()
    ex = await press(karl, "Register")
    assert "BNB Smart Chain (BEP-20)" in ex.text and "Send" in ex.text
    ex = await send(karl, to_checksum("0x" + "1a" * 20))
    assert "Registration complete" in ex.text
    row = await user_row(h, 3102)
    assert row is not None and row.language == "en"
    ex = await send(karl, "/menu")
    assert "Main menu" in ex.text
    await consistent(h)


# ---------------------------------------------------------------------------------------- scenario 2
async def test_s02_registration_journey_rows_and_no_plaintext_finpass_anywhere(harness: Harness) -> None:
    h = harness
    client = h.user(3201, "Nina", language_code="en", username="nina")
    await to_wallet_step(client)
    wallet = to_checksum("0x" + "2b" * 20)
    ex = await send(client, wallet)
    finpass = finpass_of(ex)
    assert ex.buttons()[0] == "✅ Verify password"
    await press(client, "Verify password")
    ex = await send(client, finpass)
    assert "Verification complete" in ex.text
    ex = await press(client, "Skip")
    ex = await press(client, "Menu")
    assert "Main menu" in ex.text

    row = await user_row(h, 3201)
    assert row is not None and row.is_verified and row.wallet_address == wallet
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", row.referral_code)
    async with h.rt.db.session() as session:
        codes = set(
            (await session.scalars(select(LedgerAccount.code).where(LedgerAccount.user_id == row.id))).all()
        )
        trail = (
            await session.execute(
                select(AuditLog.action, AuditLog.actor_id)
                .where(AuditLog.target_id == row.id)
                .order_by(AuditLog.id)
            )
        ).all()
        actions = (await session.scalars(select(UserAction.action).where(UserAction.user_id == row.id))).all()
        # No table holds the plaintext finpass (users, audit, user_actions, fsm_states, …).
        for table in Base.metadata.sorted_tables:
            for record in (await session.execute(select(table))).all():
                assert finpass not in repr(tuple(record)), table.name
    assert codes == {accounts.available(row.id), accounts.held(row.id), accounts.principal(row.id)}
    assert [a for a, _ in trail][:2] == ["registered", "verified"] and all(x == row.id for _, x in trail)
    assert "registered" in actions and "verified" in actions
    assert all(finpass not in m.body for m in client.messages())  # the message that showed it is gone
    assert await state_of(h, 3201) is None
    await consistent(h)


# ---------------------------------------------------------------------------------------- scenario 4
async def test_s04_refused_wallets_then_registration_still_works(harness: Harness) -> None:
    """A burst of refused inputs (incl. media: a message without text) keeps the state; a valid one completes."""
    h = harness
    client = h.user(3401, "Pat", language_code="en")
    await to_wallet_step(client)
    before = await rows_of(h)
    for text in ("0x", "0x" + "f" * 39, "  ", "0X" + "ab" * 20 + "z"):
        ex = await send(client, text)
        assert "not a BSC address" in ex.text or "waiting" in ex.text, (text, ex.text)
        assert await state_of(h, 3401) == Registration.wallet.state
    clock.travel(timedelta(seconds=2.1))
    ex = await client.send_media("photo")
    assert ex.sent and await state_of(h, 3401) == Registration.wallet.state
    assert await rows_of(h) == before and await user_row(h, 3401) is None
    ex = await send(client, "  " + to_checksum("0x" + "4c" * 20) + "  ")  # surrounding blanks are trimmed
    assert "Registration complete" in ex.text
    await consistent(h)


# ---------------------------------------------------------------------------------------- scenario 5
async def test_s05_wallet_registered_in_another_case_is_refused(harness: Harness) -> None:
    h = harness
    first = h.user(3501, "First", language_code="en")
    await to_wallet_step(first)
    lower = "0x" + "5d" * 20
    await send(first, lower)
    await press(first, "Continue")
    second = h.user(3502, "Second", language_code="en")
    await to_wallet_step(second)
    before = await rows_of(h)
    for variant in (to_checksum(lower), lower, "0x" + lower[2:].upper()):
        ex = await send(second, variant)
        assert "already registered" in ex.text, (variant, ex.text)
        assert await state_of(h, 3502) == Registration.wallet.state
    assert await rows_of(h) == before and await user_row(h, 3502) is None
    await consistent(h)


# ---------------------------------------------------------------------------------------- scenario 8
async def test_s08_concurrent_updates_for_one_telegram_id_make_one_user(harness: Harness) -> None:
    """The same wallet twice at once, and two different wallets at once, from one Telegram id."""
    h = harness
    for tg, wallets in (
        (3801, [to_checksum("0x" + "81" * 20)] * 2),
        (3802, [to_checksum("0x" + "82" * 20), to_checksum("0x" + "83" * 20)]),
    ):
        client = h.user(tg, "Racer", language_code="en")
        await to_wallet_step(client)
        clock.travel(timedelta(seconds=2.1))
        await asyncio.gather(*(client.send(w) for w in wallets))
        assert await count(h, User, User.telegram_id == tg) == 1
        row = await user_row(h, tg)
        assert row is not None and row.wallet_address in wallets
        assert await count(h, LedgerAccount, LedgerAccount.user_id == row.id) == 3
        assert (
            await count(h, UserAction, UserAction.user_id == row.id, UserAction.action == "registered") == 1
        )
        shown = [m.body for m in client.messages() if "Registration complete" in m.body]
        assert len(shown) == 1  # one finpass was shown: the one that is stored
    assert await count(h, User) == 2
    await consistent(h)


# ---------------------------------------------------------------------------------------- scenario 9
async def test_s09_blacklisted_wallet_refused_help_and_instructions_still_work(harness: Harness) -> None:
    h = harness
    listed = to_checksum("0x" + "9c" * 20)
    async with h.rt.db.transaction() as session:
        session.add(Blacklist(wallet_address_lc=listed.lower(), reason="fraud"))
        session.add(Blacklist(telegram_id=3902, reason="spam"))
    client = h.user(3901, "Wally", language_code="en")
    await to_wallet_step(client)
    before = await rows_of(h)
    ex = await send(client, listed)
    assert "not possible" in ex.text and await state_of(h, 3901) == Registration.wallet.state
    assert await rows_of(h) == before and await user_row(h, 3901) is None
    for blocked in (client, h.user(3902, "Tim", language_code="en")):
        ex = await send(blocked, "/help")
        assert "Commands" in ex.text
        await send(blocked, "/start")
        ex = await press(blocked, "📘 Instructions")
        assert "BNB Smart Chain (BEP-20)" in ex.text
    assert await rows_of(h) == before
    await consistent(h)


# --------------------------------------------------------------------------------------- scenario 10
async def test_s10_fourth_start_throttled_then_allowed_after_the_hour(harness: Harness) -> None:
    h = harness
    client = h.user(4001, "Quick", language_code="en")
    for _ in range(3):
        await to_wallet_step(client)
    await send(client, "/start")
    before = await rows_of(h)
    ex = await press(client, "Register")
    assert "limit for this action is reached" in ex.text
    assert await state_of(h, 4001) is None and await rows_of(h) == before
    clock.travel(timedelta(hours=1))
    await to_wallet_step(client)
    ex = await send(client, to_checksum("0x" + "a0" * 20))
    assert "Registration complete" in ex.text
    await consistent(h)


# --------------------------------------------------------------------------------------- scenario 11
async def test_s11_lockout_writes_audit_and_survives_a_new_start(harness: Harness) -> None:
    h = harness
    client = h.user(4101, "Locky", language_code="en")
    await to_wallet_step(client)
    finpass = finpass_of(await send(client, to_checksum("0x" + "b1" * 20)))
    await press(client, "Verify password")
    wrong = "Qqqqqqqqqqqq" if finpass != "Qqqqqqqqqqqq" else "Wwwwwwwwwwww"
    for _ in range(5):
        ex = await send(client, wrong)
    assert "locked" in ex.text
    await send(client, "/start")  # leaving and coming back does not reset the lock
    ex = await press(client, "Verify password")
    assert "locked" in ex.text and await state_of(h, 4101) is None
    row = await user_row(h, 4101)
    assert row is not None and not row.is_verified
    async with h.rt.db.session() as session:
        actions = (await session.scalars(select(AuditLog.action))).all()
    assert actions.count("finpass_failed") == 5 and actions.count("finpass_locked") == 1
    clock.travel(timedelta(minutes=15, seconds=5))
    await press(client, "Verify password")
    ex = await send(client, finpass)
    assert "Verification complete" in ex.text
    await consistent(h)


# --------------------------------------------------------------------------------------- scenario 12
async def test_s12_contacts_masked_in_profile_and_no_plaintext_in_db(harness: Harness) -> None:
    h = harness
    client = h.user(4201, "Cora", language_code="en")
    await to_wallet_step(client)
    finpass = finpass_of(await send(client, to_checksum("0x" + "c2" * 20)))
    await press(client, "Verify password")
    await send(client, finpass)
    await press(client, "Add contacts")
    before = await rows_of(h)
    ex = await send(client, "+7 999 bad")
    assert "not a valid" in ex.text or "neither" in ex.text
    assert await rows_of(h) == before
    ex = await send(client, "+14155550123 cora.q@mail.example")
    assert "+14•••••••23" in ex.text and "c•••@mail.example" in ex.text
    await send(client, "/menu")
    ex = await press(client, "Profile")
    assert "+14•••••••23" in ex.text and "4155550123" not in ex.text and "cora.q" not in ex.text
    async with h.rt.db.session() as session:
        for table in Base.metadata.sorted_tables:
            for record in (await session.execute(select(table))).all():
                dumped = repr(tuple(record))
                assert "4155550123" not in dumped and "cora.q" not in dumped, table.name
    await consistent(h)


# ---------------------------------------------------------------------------------------- scenario 7
async def test_s07_registered_users_own_code_and_a_later_deep_link_change_nothing(harness: Harness) -> None:
    h = harness
    async with h.rt.db.transaction() as session:
        other = await make_user(session, telegram_id=4301, language="en")
    client = h.user(4302, "Solo", language_code="en")
    await to_wallet_step(client)
    await send(client, to_checksum("0x" + "d3" * 20))
    before = await rows_of(h)
    own = await user_row(h, 4302)
    assert own is not None and own.referrer_id is None
    for code in (own.referral_code, other.referral_code):  # a registered user cannot gain a referrer
        ex = await send(client, f"/start {code}")
        assert "Welcome back" in ex.text
    again = await user_row(h, 4302)
    assert again is not None and again.referrer_id is None
    assert await rows_of(h) == before
    await consistent(h)


# ---------------------------------------------------------------------------------------- scenario 3
async def test_s03_lowercase_continue_and_reenter_then_books_verify(harness: Harness) -> None:
    h = harness
    lower = "0x" + "3e" * 20
    ann = h.user(3301, "Ann", language_code="en")
    await to_wallet_step(ann)
    ex = await send(ann, lower)
    assert "Check the address" in ex.text and to_checksum(lower) in ex.text
    ex = await press(ann, "Continue")
    assert "Registration complete" in ex.text
    row = await user_row(h, 3301)
    assert row is not None and row.wallet_address == to_checksum(lower) != lower

    bob = h.user(3302, "Bob", language_code="en")
    await to_wallet_step(bob)
    before = await rows_of(h)
    await send(bob, "0x" + "3f" * 20)
    ex = await press(bob, "Re-enter")
    assert await state_of(h, 3302) == Registration.wallet.state and await rows_of(h) == before
    ex = await send(bob, "0x" + "3a" * 20)
    ex = await press(bob, "Continue")
    bob_row = await user_row(h, 3302)
    assert bob_row is not None and bob_row.wallet_address == to_checksum("0x" + "3a" * 20)
    await consistent(h)


# ---------------------------------------------------------------------------------------- scenario 6
async def test_s06_deep_link_chain_closure_rows_and_no_depth_four(harness: Harness) -> None:
    h = harness
    ids: list[int] = []
    code = ""
    for n in range(5):
        client = h.user(3600 + n, f"Chain{n}", language_code="en")
        await to_wallet_step(client, code.lower())  # deep-link codes match case-insensitively
        ex = await send(client, to_checksum("0x" + f"6{n}" * 20))
        assert "Registration complete" in ex.text
        row = await user_row(h, 3600 + n)
        assert row is not None
        assert (row.referrer_id is None) if n == 0 else (row.referrer_id == ids[-1])
        ids.append(row.id)
        code = row.referral_code
    a, b, c, d, e = ids
    async with h.rt.db.session() as session:
        rows = set(
            (
                await session.execute(select(Referral.ancestor_id, Referral.descendant_id, Referral.depth))
            ).all()
        )
    assert rows == {
        (a, b, 1), (b, c, 1), (a, c, 2), (c, d, 1), (b, d, 2), (a, d, 3), (d, e, 1), (c, e, 2), (b, e, 3),
    }  # fmt: skip
    assert not any(anc == a and desc == e for anc, desc, _ in rows)
    await consistent(h)

"""Registration, verification and the contacts step through the real bot (SPEC §3.1, §3.4, §3.8.1, §5.5;
scenarios 2–12). Refused input changes nothing: row counts of users / referrals / audit / user_actions."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from aiogram.fsm.context import FSMContext
from sqlalchemy import func, select

from sigmatrade import clock
from sigmatrade.bot.callbacks import Dep, Reg, Wd
from sigmatrade.bot.states import Registration
from sigmatrade.db.models import AuditLog, Blacklist, LedgerAccount, Referral, User, UserAction
from sigmatrade.domain.addresses import to_checksum
from sigmatrade.ledger.check import run_check
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit, crypto, settings
from sigmatrade.services import profile as profile_svc
from tests.factories import make_user

LOWER = "0x" + "ab" * 20
CHECKSUMMED = to_checksum(LOWER)
USDT = "0x55d398326f99059fF775485246999027B3197955"
_FINPASS = re.compile(r"(?:password|пароль):\n(\S{12})\n")


# ------------------------------------------------------------------------------------------ helpers
@dataclass(frozen=True)
class Counts:
    users: int
    referrals: int
    audit: int
    actions: int


async def counts(h: Harness) -> Counts:
    async with h.rt.db.session() as session:
        values = [
            int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (User, Referral, AuditLog, UserAction)
        ]
    return Counts(*values)


def fsm(h: Harness, tg: int) -> FSMContext:
    app = h.app
    assert app is not None and app.bot is not None and app.dp is not None
    return app.dp.fsm.get_context(app.bot, tg, tg)


async def send(client: UserClient, text: str) -> Exchange:
    clock.travel(timedelta(seconds=2.1))  # stay under the per-minute update limit
    return await client.send(text)


async def press(client: UserClient, label: str) -> Exchange:
    clock.travel(timedelta(seconds=2.1))  # past the double-tap guard
    return await client.press(label)


async def press_data(client: UserClient, data: str) -> Exchange:
    clock.travel(timedelta(seconds=2.1))
    return await client.press_data(data)


async def user_row(h: Harness, tg: int) -> User | None:
    async with h.rt.db.session() as session:
        return await session.scalar(select(User).where(User.telegram_id == tg))


def finpass_of(ex: Exchange) -> str:
    found = _FINPASS.search(ex.text)
    assert found, ex.text
    return found.group(1)


async def register(h: Harness, client: UserClient, wallet: str, payload: str = "") -> str:
    """/start [payload] → Register → wallet (checksummed) → the finpass shown once."""
    await send(client, f"/start {payload}".strip())
    ex = await press(client, "Register")
    assert "BNB Smart Chain (BEP-20)" in ex.text
    ex = await send(client, wallet)
    assert "Registration complete" in ex.text, ex.text
    return finpass_of(ex)


async def verify(client: UserClient, finpass: str) -> Exchange:
    await press(client, "Verify password")
    return await send(client, finpass)


async def consistent(h: Harness) -> None:
    async with h.rt.db.session() as session:
        report = await run_check(session)
        assert report.ok, report.render()
        verified = await audit.verify(session)
        assert verified.ok, verified.render()


async def fsm_dump(h: Harness, tg: int) -> str:
    return json.dumps(await fsm(h, tg).get_data(), default=str)


# ----------------------------------------------------------------------------------------- happy path
async def test_happy_path_with_referral_chain(harness: Harness) -> None:
    h = harness
    async with h.rt.db.transaction() as session:
        a = await make_user(session, telegram_id=501, language="en")
        b = await make_user(session, telegram_id=502, language="en", referrer=a)
        c = await make_user(session, telegram_id=503, language="en", referrer=b, username="carol")
    carol = h.user(503, "Carol", language_code="en", username="carol")
    dave = h.user(504, "Dave", language_code="en", username="dave")
    wallet = to_checksum("0x" + "12" * 20)
    await send(carol, "/start")  # Telegram only lets a bot write to users who started it

    ex = await send(dave, f"/start {c.referral_code.lower()}")  # codes match case-insensitively
    assert "You were invited by @carol" in ex.text
    finpass = await register(h, dave, wallet, payload="")  # the code kept in FSM data since /start
    registered_msg = dave.last_message
    assert "Your referrer: @carol" in registered_msg.body
    assert await fsm(h, 504).get_state() is None
    note = await carol.wait_message("New referral")
    assert "@dave" in note.body

    row = await user_row(h, 504)
    assert row is not None and row.wallet_address == wallet and row.wallet_address_lc == wallet.lower()
    assert row.referrer_id == c.id and not row.is_verified
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{8}", row.referral_code)
    assert row.finpass_hash.startswith("$argon2id$")
    async with h.rt.db.session() as session:
        closure = set(
            await session.execute(
                select(Referral.ancestor_id, Referral.depth).where(Referral.descendant_id == row.id)
            )
        )
        kinds = (
            await session.scalars(select(LedgerAccount.kind).where(LedgerAccount.user_id == row.id))
        ).all()
        actions = (await session.scalars(select(UserAction.action).where(UserAction.user_id == row.id))).all()
        audits = (await session.scalars(select(AuditLog))).all()
    assert closure == {(c.id, 1), (b.id, 2), (a.id, 3)}
    assert len(kinds) == 3 and "registered" in actions
    # The plaintext finpass is nowhere: users row, FSM data, audit, user_actions.
    assert all(finpass not in str(v) for v in vars(row).values())
    assert finpass not in await fsm_dump(h, 504)
    assert all(finpass not in json.dumps([r.details, r.before, r.after], default=str) for r in audits)

    # Verification: the typed password and the message that showed it are deleted.
    ex = await press(dave, "Verify password")
    assert "Attempts left: 5" in ex.text
    assert await fsm(h, 504).get_state() == Registration.verify_finpass.state
    ex = await send(dave, finpass)
    assert "Verification complete" in ex.text
    deleted_ids = {m.message_id for m in ex.deleted}
    assert registered_msg.message_id in deleted_ids and len(deleted_ids) == 2
    assert all(finpass not in m.body for m in dave.messages())
    verified_note = await carol.wait_message("New verified referral")
    assert "@dave" in verified_note.body
    row = await user_row(h, 504)
    assert row is not None and row.is_verified and row.verified_at is not None
    assert finpass not in await fsm_dump(h, 504)

    ex = await press(dave, "Skip")
    assert f"https://t.me/sigmatrade_sandbox_bot?start={row.referral_code}" in ex.text
    ex = await press(dave, "Menu")
    assert "Main menu" in ex.text and "✅ Verify password" not in ex.buttons()
    await consistent(h)


async def test_lowercase_wallet_confirm_and_double_tap(harness: Harness) -> None:
    h = harness
    ann = h.user(601, "Ann", language_code="en")
    await send(ann, "/start")
    await press(ann, "Register")
    before = await counts(h)
    ex = await send(ann, LOWER)
    assert LOWER in ex.text and CHECKSUMMED in ex.text
    assert ex.buttons() == ["✅ Continue", "✏️ Re-enter", "✖️ Cancel"]
    assert await fsm(h, 601).get_state() == Registration.confirm_wallet_case.state
    assert await counts(h) == before
    case_msg = ann.last_message
    confirm = Reg(action="confirm_case").pack()
    ex = await press_data(ann, confirm)
    assert "Registration complete" in ex.text
    after = await counts(h)
    assert after.users == before.users + 1
    row = await user_row(h, 601)
    assert row is not None and row.wallet_address == CHECKSUMMED

    # A second tap right away is swallowed by the double-tap guard; a later one is an outdated button.
    again = await ann.press_data(confirm, message=case_msg)
    assert again.sent == [] and again.edited == []
    ex = await press_data(ann, confirm)
    assert ex.answer is not None and "outdated" in ex.answer["text"]
    assert await counts(h) == after
    await consistent(h)


async def test_reenter_path(harness: Harness) -> None:
    h = harness
    bob = h.user(602, "Bob", language_code="en")
    await send(bob, "/start")
    await press(bob, "Register")
    await send(bob, LOWER.upper().replace("0X", "0x"))
    ex = await press(bob, "Re-enter")
    assert "BNB Smart Chain" in ex.text
    assert await fsm(h, 602).get_state() == Registration.wallet.state
    assert "reg_wallet" not in await fsm(h, 602).get_data()
    wallet = to_checksum("0x" + "cd" * 20)
    ex = await send(bob, wallet)
    assert "Registration complete" in ex.text
    row = await user_row(h, 602)
    assert row is not None and row.wallet_address == wallet


# ----------------------------------------------------------------------------------- refused wallets
async def test_invalid_wallets_are_refused_and_change_nothing(harness: Harness) -> None:
    h = harness
    system = to_checksum("0x" + "5e" * 20)
    taken = to_checksum("0x" + "7a" * 20)
    listed = to_checksum("0x" + "9b" * 20)
    async with h.rt.db.transaction() as session:
        await settings.write(session, "deposit.system_wallet_address", system, None)
        await make_user(session, telegram_id=700, wallet=taken)
        session.add(Blacklist(wallet_address_lc=listed.lower(), reason="fraud"))
    h.rt.store.invalidate()
    wrong_case = CHECKSUMMED[:2] + CHECKSUMMED[2:].swapcase()[:3] + CHECKSUMMED[5:]
    cases: list[tuple[str, str]] = [
        ("ab" * 20, "not a BSC address"),
        ("0x" + "a" * 39, "not a BSC address"),
        ("0x" + "a" * 41, "not a BSC address"),
        ("0x" + "g" * 40, "not a BSC address"),
        ("0x" + "ab" * 10 + " " + "ab" * 10, "not a BSC address"),
        (wrong_case, "checksum (EIP-55) does not match"),
        ("0x" + "0" * 40, "zero address"),
        (USDT.lower(), "USDT token contract"),
        (system.lower(), "belongs to SigmaTrade"),
        (taken.upper().replace("0X", "0x"), "already registered"),  # the same wallet in another case
        (listed, "not possible"),
    ]
    eve = h.user(701, "Eve", language_code="en")
    await send(eve, "/start")
    await press(eve, "Register")
    before = await counts(h)
    for text, expected in cases:
        ex = await send(eve, text)
        assert expected in ex.text, (text, ex.text)
        assert await fsm(h, 701).get_state() == Registration.wallet.state
    assert await counts(h) == before
    assert await user_row(h, 701) is None


async def test_blacklisted_telegram_id_is_refused(harness: Harness) -> None:
    h = harness
    async with h.rt.db.transaction() as session:
        session.add(Blacklist(telegram_id=702, reason="spam"))
    mal = h.user(702, "Mal", language_code="en")
    await send(mal, "/start")
    before = await counts(h)
    ex = await press(mal, "Register")
    assert ex.answer is not None and "Registration is not available" in ex.answer["text"]
    assert await fsm(h, 702).get_state() is None
    assert await counts(h) == before
    ex = await send(mal, "/help")
    assert "Commands" in ex.text


async def test_register_button_is_throttled(harness: Harness) -> None:
    h = harness
    tom = h.user(703, "Tom", language_code="en")
    for _ in range(3):
        await send(tom, "/start")
        ex = await press(tom, "Register")
        assert "BNB Smart Chain" in ex.text
    await send(tom, "/start")
    ex = await press(tom, "Register")
    assert "limit for this action is reached" in ex.text
    assert await fsm(h, 703).get_state() is None


# ---------------------------------------------------------------------------------------- referrals
async def test_unknown_banned_and_own_codes(harness: Harness) -> None:
    h = harness
    async with h.rt.db.transaction() as session:
        banned = await make_user(session, telegram_id=801, banned=True)
    banned_code = banned.referral_code
    ua = h.user(802, "Ua", language_code="en")
    await register(h, ua, to_checksum("0x" + "21" * 20), payload="NOSUCH99")
    assert "invite link is not valid" in ua.last_message.body
    ub = h.user(803, "Ub", language_code="en")
    await register(h, ub, to_checksum("0x" + "31" * 20), payload=banned_code)
    rows = [await user_row(h, tg) for tg in (802, 803)]
    assert all(r is not None and r.referrer_id is None for r in rows)
    before = await counts(h)
    assert before.referrals == 0
    own = rows[0]
    assert own is not None
    ex = await send(ua, f"/start {own.referral_code}")  # a registered user's own code: ignored
    assert "Welcome back" in ex.text
    again = await user_row(h, 802)
    assert again is not None and again.referrer_id is None
    assert await counts(h) == before


async def test_closure_rows_of_a_chain_built_through_the_bot(harness: Harness) -> None:
    h = harness
    ids: list[int] = []
    code = ""
    for n in range(5):
        client = h.user(900 + n, f"U{n}", language_code="en")
        await register(h, client, to_checksum("0x" + f"{n + 1:02x}" * 20), payload=code)
        row = await user_row(h, 900 + n)
        assert row is not None
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


async def test_two_ids_with_the_same_wallet_at_once(harness: Harness) -> None:
    h = harness
    one, two = h.user(951, "One", language_code="en"), h.user(952, "Two", language_code="en")
    for client in (one, two):
        await send(client, "/start")
        await press(client, "Register")
    wallet = to_checksum("0x" + "44" * 20)
    first, second = await asyncio.gather(one.send(wallet), two.send(wallet))
    texts = [first.text, second.text]
    assert sum("Registration complete" in t for t in texts) == 1, texts
    assert any("already registered" in t or "just been registered" in t for t in texts), texts
    async with h.rt.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1
    await consistent(h)


# ------------------------------------------------------------------------------------- verification
async def test_verification_lockout_and_expiry(harness: Harness) -> None:
    h = harness
    vic = h.user(1101, "Vic", language_code="en")
    finpass = await register(h, vic, to_checksum("0x" + "55" * 20))
    await press(vic, "Verify password")
    before = await counts(h)
    ex = await send(vic, "short")  # not a password at all: not counted
    assert "not counted" in ex.text and len(ex.deleted) == 1
    assert await counts(h) == before
    wrong = "Zzzzzzzzzzzz" if finpass != "Zzzzzzzzzzzz" else "Yyyyyyyyyyyy"
    for left in (4, 3, 2, 1):
        ex = await send(vic, wrong)
        assert f"Attempts left: {left}" in ex.text
    ex = await send(vic, wrong)
    assert "locked" in ex.text and "15 min" in ex.text
    assert await fsm(h, 1101).get_state() is None
    ex = await press(vic, "Verify password")
    assert "locked" in ex.text
    row = await user_row(h, 1101)
    assert row is not None and not row.is_verified and row.finpass_locked_until is not None
    clock.travel(timedelta(minutes=15, seconds=5))
    ex = await press(vic, "Verify password")
    assert "Attempts left: 5" in ex.text
    ex = await send(vic, finpass)
    assert "Verification complete" in ex.text
    row = await user_row(h, 1101)
    assert row is not None and row.is_verified and row.finpass_failed_attempts == 0
    await consistent(h)


# ----------------------------------------------------------------------------------------- contacts
async def test_contacts_are_stored_encrypted(harness: Harness) -> None:
    h = harness
    cat = h.user(1201, "Cat", language_code="en")
    finpass = await register(h, cat, to_checksum("0x" + "66" * 20))
    await verify(cat, finpass)
    ex = await press(cat, "Add contacts")
    assert "phone and/or e-mail" in ex.text
    before = await counts(h)
    for bad, expected in (
        ("+12 345", "not a valid phone"),
        ("john@", "not a valid e-mail"),
        ("hello", "neither"),
    ):
        ex = await send(cat, bad)
        assert expected in ex.text
    assert await counts(h) == before
    ex = await send(cat, "+491511234567 John.Doe@Example.ORG")
    assert "+49••••••••67" in ex.text and "J•••@example.org" in ex.text
    assert "Welcome aboard" in ex.text
    row = await user_row(h, 1201)
    assert row is not None and row.phone_enc and row.email_enc
    assert "491511234567" not in row.phone_enc and "example" not in row.email_enc
    assert row.phone_enc.startswith("v1:")
    plain = profile_svc.read_contacts(h.rt, row)
    assert (plain.phone, plain.email) == ("+491511234567", "John.Doe@example.org")
    async with h.rt.db.session() as session:
        audits = (await session.scalars(select(AuditLog).where(AuditLog.action == "contacts_updated"))).all()
    assert len(audits) == 1 and "4915" not in json.dumps(
        [audits[0].before, audits[0].after, audits[0].details]
    )
    assert await fsm(h, 1201).get_state() is None


# ------------------------------------------------------------------------------ unexpected input per state
async def _to_state(h: Harness, client: UserClient, target: str) -> None:
    await send(client, "/start")
    await press(client, "Register")
    if target == "wallet":
        return
    await send(client, LOWER.replace("ab", "a" + str(client.id % 10)))
    if target == "confirm_wallet_case":
        return
    finpass = finpass_of(await press(client, "Continue"))
    await press(client, "Verify password")
    if target == "verify_finpass":
        return
    await send(client, finpass)
    await press(client, "Add contacts")


STATES = ["wallet", "confirm_wallet_case", "verify_finpass", "contacts"]


@pytest.mark.parametrize("target", STATES)
async def test_unexpected_input_in_every_state(harness: Harness, target: str) -> None:
    h = harness
    tg = 1300 + STATES.index(target)
    client = h.user(tg, "Kim", language_code="en")
    await _to_state(h, client, target)
    expected_state = getattr(Registration, target).state
    assert await fsm(h, tg).get_state() == expected_state
    before = await counts(h)
    data_before = await fsm(h, tg).get_data()
    inputs: list[Any] = [
        ("media", "sticker"),
        ("media", "photo"),
        ("text", "/foo"),
        ("data", "garbage:1"),
        ("data", Wd(action="confirm", id=1).pack()),
    ]
    if target != "confirm_wallet_case":
        inputs.append(("data", Reg(action="confirm_case").pack()))  # forged: not in its state
    inputs.append(("text", "random words here"))
    for kind, value in inputs:
        if kind == "media":
            clock.travel(timedelta(seconds=2.1))
            ex = await client.send_media(value)
        elif kind == "text":
            ex = await send(client, value)
        else:
            ex = await press_data(client, value)
        if kind == "data":
            assert ex.answer is not None and "outdated" in ex.answer["text"], (value, ex.events)
        else:
            assert ex.sent and ("waiting" in ex.text or "press" in ex.text), (value, ex.text)
        assert await fsm(h, tg).get_state() == expected_state, value
        assert await counts(h) == before, value
    assert await fsm(h, tg).get_data() == data_before
    if target == "verify_finpass":
        row = await user_row(h, tg)
        assert row is not None and row.finpass_failed_attempts == 0 and not row.is_verified

    ex = await send(client, "/menu")
    assert await fsm(h, tg).get_state() is None
    assert await counts(h) == before
    assert "Main menu" in ex.text or "Welcome to SigmaTrade" in ex.text
    # Another feature's button: that feature answers; nothing is written.
    ex = await press_data(client, Dep(action="cancel_ok", id=99).pack())
    assert ex.answer is not None
    assert await counts(h) == before


async def test_start_mid_flow_leaves_the_state_and_keeps_the_code(harness: Harness) -> None:
    h = harness
    async with h.rt.db.transaction() as session:
        ref = await make_user(session, telegram_id=1400, language="en")
    await send(h.user(1400, "Ref", language_code="en"), "/start")
    client = h.user(1401, "Lee", language_code="en")
    await send(client, f"/start {ref.referral_code}")
    await press(client, "Register")
    before = await counts(h)
    ex = await send(client, "/start")
    assert "Welcome to SigmaTrade" in ex.text
    assert await fsm(h, 1401).get_state() is None
    assert await counts(h) == before
    await press(client, "Register")
    await send(client, to_checksum("0x" + "77" * 20))
    row = await user_row(h, 1401)
    assert row is not None and row.referrer_id == ref.id


async def test_a_user_who_never_got_the_password_gets_a_new_one_and_verifies(harness: Harness) -> None:
    """The screen showing the password failed to send (a Bot API 500 after the commit): the user was
    registered with a password nobody ever saw and could only verify through an admin recovery, which
    blocks earnings. Before verifying, "I don't have the password" shows a new one (the old one stops
    working); once verified, the button answers "already verified" and changes nothing (found by an
    independent review)."""
    h = harness
    client = h.user(1301, "Newbie", language_code="en")
    await send(client, "/start")
    await press(client, "Register")
    h.emulator.fail_next("sendMessage", status=500, chat_id=1301)
    await send(client, to_checksum("0x" + "77" * 20))  # registered; the password screen is lost
    row = await user_row(h, 1301)
    assert row is not None and not row.is_verified
    first_hash = row.finpass_hash
    await send(client, "/start")
    ex = await press(client, "Verify password")
    ex = await press(client, "I don't have the password")
    assert "new financial password" in ex.text
    new = finpass_of(ex)
    row = await user_row(h, 1301)
    assert row is not None and row.finpass_hash != first_hash and crypto.verify_secret(row.finpass_hash, new)
    ex = await verify(client, new)
    assert "Verification complete" in ex.text
    assert any("new financial password" in m.body for m in ex.deleted)  # the password screen is deleted
    verified_hash = (await user_row(h, 1301)).finpass_hash  # type: ignore[union-attr]
    ex = await press_data(client, Reg(action="reissue").pack())
    assert ex.answer is not None and "already verified" in str(ex.answer["text"]).lower()
    assert (await user_row(h, 1301)).finpass_hash == verified_hash  # type: ignore[union-attr]
    await consistent(h)

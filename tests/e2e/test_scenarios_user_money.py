"""Acceptance scenarios 39, 43 (request side) and 58 (user side) through the real bot (SPEC §12).

The admin approval is written the way the admin flow writes it: a conditional status update
``requested → approved`` with a ``payout_approvals`` row and an audit row by the admin actor.
Every test ends with ``ledger check`` and ``audit verify``; the harness fails on any HTTP 400.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from sigmatrade import clock
from sigmatrade.bot.callbacks import Dep, Sup, Wd
from sigmatrade.db.models import (
    Admin,
    Deposit,
    JournalEntry,
    LedgerAccount,
    Payout,
    PayoutApproval,
    SupportTicket,
    User,
)
from sigmatrade.domain.addresses import to_checksum
from sigmatrade.domain.enums import PayoutStatus, TicketStatus
from sigmatrade.ledger import accounts, entries
from sigmatrade.ledger.check import run_check
from sigmatrade.ledger.journal import post
from sigmatrade.sandbox.emulator.client import Exchange, UserClient
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import audit, settings
from sigmatrade.services import withdrawals as wd_svc
from sigmatrade.services.withdrawals import WithdrawalError
from tests.factories import credit, make_payout, make_user

FINPASS = "Abcdefgh2345"
EVIL = "<b>x</b>&amp;"
EVIL_HTML = "&lt;b&gt;x&lt;/b&gt;&amp;amp;"
EVIL2 = "<i>y</i>&lt;"  # the newcomer's username (Telegram forbids these; the DB value is escaped anyway)
EVIL2_HTML = "&lt;i&gt;y&lt;/i&gt;&amp;lt;"
OUTDATED = "This button is outdated. Please open the menu again."


# ------------------------------------------------------------------------------------------ helpers
@dataclass(frozen=True)
class Books:
    payouts: int
    available: Decimal
    held: Decimal
    entries: int


async def _books(h: Harness, user_id: int) -> Books:
    async with h.rt.db.session() as session:
        payouts = int(await session.scalar(select(func.count(Payout.id))) or 0)
        journal = int(await session.scalar(select(func.count(JournalEntry.id))) or 0)
        rows = await session.execute(
            select(LedgerAccount.code, LedgerAccount.balance).where(LedgerAccount.user_id == user_id)
        )
        balances = {code: balance for code, balance in rows}
    return Books(payouts, balances[accounts.available(user_id)], balances[accounts.held(user_id)], journal)


async def _consistent(h: Harness) -> None:
    async with h.rt.db.session() as session:
        report = await run_check(session)
        assert report.ok, report.render()
        verified = await audit.verify(session)
        assert verified.ok, verified.render()


async def _make(h: Harness, tg: int, balance: str | None = "50", **kwargs: Any) -> User:
    async with h.rt.db.transaction() as session:
        user = await make_user(session, telegram_id=tg, finpass=FINPASS, language="en", **kwargs)
        if balance:
            await credit(session, user, balance)
    return user


async def _admin(h: Harness, tg: int) -> Admin:
    async with h.rt.db.transaction() as session:
        admin = Admin(telegram_id=tg, role="admin", created_via="cli")
        session.add(admin)
    return admin


async def _approve(h: Harness, admin: Admin, payout_id: int) -> bool:
    """The admin approval transition; False when the payout had left ``requested`` meanwhile."""
    async with h.rt.db.transaction() as session:
        now = clock.now()
        result = await session.execute(
            update(Payout)
            .where(Payout.id == payout_id, Payout.status == PayoutStatus.REQUESTED)
            .values(status=PayoutStatus.APPROVED, approved_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            return False
        session.add(PayoutApproval(payout_id=payout_id, admin_id=admin.id))
        await audit.log(
            session,
            audit.admin_actor(admin.id, admin.telegram_id),
            "withdrawal_approved",
            target_type="payout",
            target_id=payout_id,
            before={"status": PayoutStatus.REQUESTED},
            after={"status": PayoutStatus.APPROVED},
        )
    return True


async def _status(h: Harness, payout_id: int) -> str:
    async with h.rt.db.session() as session:
        payout = await session.get(Payout, payout_id)
    assert payout is not None
    return str(payout.status)


async def press(client: UserClient, label: str) -> Exchange:
    clock.travel(timedelta(seconds=1.1))  # past the double-tap window
    return await client.press(label)


async def press_data(client: UserClient, data: str) -> Exchange:
    clock.travel(timedelta(seconds=1.1))
    return await client.press_data(data)


async def send(client: UserClient, text: str) -> Exchange:
    clock.travel(timedelta(seconds=1.1))
    return await client.send(text)


async def _to_finpass(client: UserClient, amount: str) -> None:
    await send(client, "/menu")
    await press(client, "💸 Withdraw")
    await press(client, "➕ New withdrawal")
    ex = await send(client, amount)
    assert f"Amount: {amount}" in ex.text, ex.text
    ex = await press(client, "✅ Confirm")
    assert "Attempts left" in ex.text


def _alert(ex: Exchange) -> str:
    assert ex.answer is not None and ex.answer.get("show_alert"), ex.answer
    return str(ex.answer["text"])


@pytest.fixture(autouse=True)
async def _roomy_throttle(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        await settings.write(session, "throttle.updates_per_minute", 10_000, None)
    harness.rt.store.invalidate()


# --------------------------------------------------------------------------------------- scenario 39
async def test_s39_bot_request_racing_a_second_request_holds_once(harness: Harness) -> None:
    """Balance 1000: the bot's 600 and another 600 (a second flow) at the same moment → one payout."""
    h = harness
    user = await _make(h, 5901, "1000")
    client = h.user(5901, "Racer", language_code="en")
    await _to_finpass(client, "600")
    before = await _books(h, user.id)

    async def other_flow() -> object:
        async with h.rt.db.session() as session:
            try:
                return await wd_svc.request(
                    session, h.rt, user.id, flow_id=wd_svc.new_flow_id(), amount=Decimal(600)
                )
            except WithdrawalError as err:
                return err

    clock.travel(timedelta(seconds=1.1))
    ex, other = await asyncio.gather(client.send(FINPASS), other_flow())
    after = await _books(h, user.id)
    assert after.payouts == before.payouts + 1
    assert (after.available, after.held) == (Decimal(400), Decimal(600))
    bot_won = "Withdrawal request #1 created" in ex.text
    assert bot_won == isinstance(other, WithdrawalError), (ex.text, other)
    if not bot_won:
        assert "up to 400.00 USDT" in ex.text or "not enough" in ex.text.lower(), ex.text
    await _consistent(h)


# --------------------------------------------------------------------------------------- scenario 43
async def test_s43_cancel_released_then_cancel_after_admin_approval_refused(harness: Harness) -> None:
    h = harness
    user = await _make(h, 4301, "50")
    admin = await _admin(h, 4391)
    client = h.user(4301, "Changer", language_code="en")
    await _to_finpass(client, "20")
    assert "Withdrawal request #1 created" in (await send(client, FINPASS)).text
    ex = await press(client, "📋 My payouts")
    await press(client, "✖️ Cancel #1")
    ex = await press(client, "✅ Yes, cancel #1")
    assert "cancelled" in ex.text
    books = await _books(h, user.id)
    assert (books.available, books.held) == (Decimal(50), Decimal(0))
    assert not await _approve(h, admin, 1)  # approving a cancelled request changes nothing
    assert await _status(h, 1) == PayoutStatus.CANCELLED and await _books(h, user.id) == books

    await _to_finpass(client, "30")
    assert "Withdrawal request #2 created" in (await send(client, FINPASS)).text
    ex = await press(client, "📋 My payouts")
    assert "✖️ Cancel #2" in ex.buttons()
    list_message = ex.last
    assert await _approve(h, admin, 2)
    before = await _books(h, user.id)
    assert (before.available, before.held) == (Decimal(20), Decimal(30))
    # The Cancel button still on screen from before the approval, then its confirmation: refused.
    ex = await client.press("✖️ Cancel #2", message=list_message)
    assert "can no longer be cancelled" in _alert(ex)
    for data in (Wd(action="cancel", id=2, page=1).pack(), Wd(action="cancel_ok", id=2, page=1).pack()):
        ex = await press_data(client, data)
        assert "can no longer be cancelled: ✅ approved" in _alert(ex)
    assert await _books(h, user.id) == before and await _status(h, 2) == PayoutStatus.APPROVED
    ex = await press(client, "📋 My payouts")
    assert "approved, queued for sending" in ex.text and "✖️ Cancel #2" not in ex.buttons()
    await _consistent(h)


async def test_s43_user_cancel_racing_the_approval_has_one_outcome(harness: Harness) -> None:
    h = harness
    user = await _make(h, 4302, "50")
    admin = await _admin(h, 4392)
    client = h.user(4302, "Racer", language_code="en")
    await _to_finpass(client, "25")
    await send(client, FINPASS)
    clock.travel(timedelta(seconds=1.1))
    ex, approved = await asyncio.gather(
        client.press_data(Wd(action="cancel_ok", id=1, page=1).pack()), _approve(h, admin, 1)
    )
    books = await _books(h, user.id)
    if approved:
        assert await _status(h, 1) == PayoutStatus.APPROVED
        assert (books.available, books.held) == (Decimal(25), Decimal(25))
        assert "can no longer be cancelled" in _alert(ex)
    else:
        assert await _status(h, 1) == PayoutStatus.CANCELLED
        assert (books.available, books.held) == (Decimal(50), Decimal(0))
        assert "cancelled" in ex.text
    await _consistent(h)


# --------------------------------------------------------------------------------------- scenario 58
async def test_s58_html_names_escaped_across_the_journey(harness: Harness) -> None:
    """A referrer and a newcomer whose username and name are ``<b>x</b>&amp;``: every screen and note
    shows them literally (escaped in the HTML the bot sent)."""
    h = harness
    referrer = await _make(h, 5801, None, username=EVIL)
    ref_client = h.user(5801, "Ref", language_code="en", username=EVIL)
    await send(ref_client, "/start")
    newcomer = h.user(5802, EVIL, language_code="en", username=EVIL2)
    ex = await send(newcomer, f"/start {referrer.referral_code}")
    assert f"invited by @{EVIL}" in ex.text and EVIL_HTML in (ex.last.source_html or "")
    await press(newcomer, "Register")
    ex = await send(newcomer, to_checksum("0x" + "e5" * 20))
    assert f"Your referrer: @{EVIL}" in ex.text and EVIL_HTML in (ex.last.source_html or "")
    finpass = re.search(r"password:\n(\S{12})\n", ex.text)
    assert finpass is not None
    note = await ref_client.wait_message("New referral")
    assert f"@{EVIL2}" in note.body and EVIL2_HTML in (note.source_html or "")
    await press(newcomer, "Verify password")
    assert "Verification complete" in (await send(newcomer, finpass.group(1))).text
    note = await ref_client.wait_message("New verified referral")
    assert f"@{EVIL2}" in note.body and EVIL2_HTML in (note.source_html or "")
    ex = await send(newcomer, "/start")
    assert f"Welcome back, @{EVIL2}!" in ex.text and EVIL2_HTML in (ex.last.source_html or "")
    await send(newcomer, "/menu")
    ex = await press(newcomer, "Profile")
    assert f"Name: {EVIL}" in ex.text and f"Username: @{EVIL2}" in ex.text
    assert EVIL_HTML in (ex.last.source_html or "") and EVIL2_HTML in (ex.last.source_html or "")

    await send(ref_client, "/menu")
    await press(ref_client, "👥 Referrals")
    ex = await press(ref_client, "👥 Referral lists")
    assert f"@{EVIL2} · joined" in ex.text and EVIL2_HTML in (ex.last.source_html or "")
    await press(ref_client, "◀️ Back")
    ex = await press(ref_client, "🏆 Leaderboard")
    assert f"@{EVIL} — 1" in ex.text and EVIL_HTML in (ex.last.source_html or "")
    await _consistent(h)


async def test_s58_other_users_deposit_payout_and_ticket_ids_look_missing(harness: Harness) -> None:
    h = harness
    owner = await _make(h, 5811, "50")
    other = await _make(h, 5812, "50")
    async with h.rt.db.transaction() as session:
        row = await session.get(User, owner.id)
        assert row is not None
        payout = await make_payout(session, row, Decimal(10))
        await post(session, entries.withdrawal_hold(payout.id, owner.id, Decimal(10)))
        deposit = Deposit(
            user_id=owner.id,
            level=1,
            amount=Decimal(10),
            cap_amount=Decimal(50),
            status="pending",
            source="user",
            expires_at=clock.now() + timedelta(hours=24),
        )
        session.add(deposit)
        ticket = SupportTicket(user_id=owner.id, category="other", status=TicketStatus.OPEN)
        session.add(ticket)
        await session.flush()
        ids = (payout.id, deposit.id, ticket.id)
    intruder = h.user(5812, "Intruder", language_code="en")
    await send(intruder, "/menu")
    before = (await _books(h, owner.id), await _books(h, other.id))
    pid, did, tid = ids
    for data in (
        Wd(action="cancel", id=pid, page=1).pack(),
        Wd(action="cancel_ok", id=pid, page=1).pack(),
        Dep(action="status", id=did).pack(),
        Dep(action="cancel", id=did).pack(),
        Dep(action="cancel_ok", id=did).pack(),
        Sup(action="view", id=tid).pack(),
        Sup(action="add", id=tid).pack(),
        Sup(action="close", id=tid).pack(),
    ):
        ex = await press_data(intruder, data)
        alert = _alert(ex)
        assert alert == OUTDATED or "not found" in alert.lower(), (data, alert)
        assert not ex.screens, data
    assert (await _books(h, owner.id), await _books(h, other.id)) == before
    async with h.rt.db.session() as session:
        assert (await session.get(Payout, pid)).status == PayoutStatus.REQUESTED  # type: ignore[union-attr]
        assert (await session.get(Deposit, did)).status == "pending"  # type: ignore[union-attr]
        assert (await session.get(SupportTicket, tid)).status == TicketStatus.OPEN  # type: ignore[union-attr]
    await _consistent(h)

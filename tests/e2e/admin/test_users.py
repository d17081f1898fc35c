"""Users screen and user card through the real bot (SPEC §5.8 "Users", §3.9.3, §3.12)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from sigmatrade.bot.callbacks import Adm
from sigmatrade.db.models import AuditLog, JournalEntry, User
from sigmatrade.domain.contacts import Contacts
from sigmatrade.domain.enums import AdminRole, EntryType
from sigmatrade.ledger.balances import user_balances
from sigmatrade.ledger.check import run_check
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import profile
from tests.e2e.admin.helpers import admin_client, press, row_counts
from tests.factories import credit, make_payout, make_user, random_wallet


def card(user_id: int) -> str:
    return Adm(sec="users", act="card", id=user_id).pack()


async def _user(h: Harness, user_id: int) -> User:
    async with h.rt.db.session() as session:
        row = await session.get(User, user_id)
        assert row is not None
        return row


async def _available(h: Harness, user_id: int) -> Decimal:
    async with h.rt.db.session() as session:
        return (await user_balances(session, user_id)).available


async def _audit(h: Harness, action: str) -> list[AuditLog]:
    async with h.rt.db.session() as session:
        return list((await session.scalars(select(AuditLog).where(AuditLog.action == action))).all())


async def test_search_by_every_key_and_recent(harness: Harness) -> None:
    wallet = random_wallet()
    async with harness.rt.db.transaction() as session:
        alice = await make_user(session, telegram_id=8001, username="Alice_X", wallet=wallet)
        await make_user(session, telegram_id=8002)
    admin = await admin_client(harness, 8101, role=AdminRole.ADMIN)
    ex = await admin.press("👥 Users")
    assert "Send @username" in ex.text
    for query in ("@alice_x", "8001", str(alice.id), wallet.lower(), alice.referral_code.lower()):
        ex = await admin.send(query)
        assert f"#{alice.id} · @Alice_X" in ex.buttons(), query
    ex = await admin.send("<b>nobody</b>")
    assert "Nothing found for <b>nobody</b>" in ex.text  # escaped, shown literally
    ex = await admin.press("🆕 Recent registrations")
    assert "Recent registrations</b> (2)" in ex.last.source_html
    ex = await admin.press(f"#{alice.id} · @Alice_X")
    assert "User #" in ex.text and wallet in ex.text and "Available: 0.00 USDT" in ex.text
    # An admin sees no super-only or extended-only buttons.
    assert "🚫 Ban" in ex.buttons()
    assert not {"💰 Adjust balance", "👛 Change wallet", "📇 Show contacts"} & set(ex.buttons())
    # A forged id of a missing user: the outdated alert, nothing else.
    ex = await press(admin, card(999_999))
    assert ex.answer is not None and "outdated" in ex.answer["text"] and ex.screens == []
    ex = await press(admin, Adm(sec="users", act="card", id=2**63 - 1).pack())
    assert ex.answer is not None and "outdated" in ex.answer["text"]


async def test_ban_unban_with_confirmation_and_reason(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        target = await make_user(session, telegram_id=8201)
    admin = await admin_client(harness, 8301, role=AdminRole.ADMIN)
    victim = harness.user(8201, "Victim", language_code="en")
    await press(admin, card(target.id))
    ex = await admin.press("🚫 Ban")
    assert "Ban user" in ex.text and not (await _user(harness, target.id)).is_banned  # only the confirmation
    await admin.press("✏️ Add a reason")
    ex = await admin.send("spam <script>")
    assert "Reason: spam <script>" in ex.text
    ex = await admin.press("✅ Yes, ban")
    assert "User banned" in ex.text and "BANNED" in ex.text
    row = await _user(harness, target.id)
    assert row.is_banned and row.ban_reason == "spam <script>"
    assert "terminated" in (await victim.send("/start")).text
    # Banning again (a stale confirmation) changes nothing.
    before = await row_counts(harness)
    ex = await press(admin, Adm(sec="users", act="ban_ok", id=target.id).pack())
    assert ex.answer is not None and "Already" in ex.answer["text"]
    assert await row_counts(harness) == before
    await press(admin, card(target.id))
    await admin.press("✅ Unban")
    ex = await admin.press("✅ Yes, unban")
    assert "User unbanned" in ex.text and not (await _user(harness, target.id)).is_banned
    banned, unbanned = await _audit(harness, "user_banned"), await _audit(harness, "user_unbanned")
    assert len(banned) == 1 and banned[0].before == {"is_banned": False, "ban_reason": None}
    assert banned[0].after == {"is_banned": True, "ban_reason": "spam <script>"}
    assert len(unbanned) == 1 and unbanned[0].actor_type == "admin"


async def test_unblock_earnings_and_contacts_for_extended(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        target = await make_user(session, telegram_id=8401)
        target.earnings_blocked = True
    async with harness.rt.db.session() as session:
        await profile.save_contacts(
            session, harness.rt, target.id, Contacts(phone="+79991234567", email="a@b.example")
        )
    ext = await admin_client(harness, 8501, role=AdminRole.EXTENDED_ADMIN)
    ex = await press(ext, card(target.id))
    assert "+79991234567" not in ex.text and "a@b.example" not in ex.text  # masked
    ex = await ext.press("📇 Show contacts")
    assert "+79991234567" in ex.text and "a@b.example" in ex.text
    assert len(await _audit(harness, "user_contacts_viewed")) == 1
    await press(ext, card(target.id))
    ex = await ext.press("🔓 Unblock earnings")
    assert "Earnings unblocked" in ex.text and not (await _user(harness, target.id)).earnings_blocked


async def test_adjust_balance_credit_debit_exactly_once_never_beyond_available(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        target = await make_user(session, telegram_id=8601, language="en")
        await credit(session, target, "20")
    owner = harness.user(8601, "Owner", language_code="en")
    owner.user.started = True
    boss = await admin_client(harness, 8701)
    await press(boss, card(target.id))
    await boss.press("💰 Adjust balance")
    ex = await boss.send("10")  # no sign: refused, state kept
    assert "signed amount" in ex.text
    ex = await boss.send("+1.234")
    assert "signed amount" in ex.text
    await boss.send("+10.50")
    ex = await boss.send("goodwill")
    assert "Credit" in ex.text and "10.50 USDT" in ex.text
    confirm = ex.last
    before = await row_counts(harness)
    assert await _available(harness, target.id) == Decimal("20")  # nothing before the confirmation
    ex = await boss.press("✅ Confirm", message=confirm)
    assert "20.00 → 30.50 USDT" in ex.text
    assert await _available(harness, target.id) == Decimal("30.5")
    notice = await owner.wait_message("credited")
    assert "10.50 USDT" in notice.body and "goodwill" in notice.body
    # The same confirmation again (a double tap / replay): nothing more.
    after = await row_counts(harness)
    assert after["journal_entries"] == before["journal_entries"] + 1
    ex = await press(boss, Adm(sec="users", act="adjust_ok", id=target.id).pack())
    assert await row_counts(harness) == after and await _available(harness, target.id) == Decimal("30.5")
    # A debit beyond the available balance is refused and changes nothing.
    await press(boss, card(target.id))
    await boss.press("💰 Adjust balance")
    await boss.send("-30.51")
    await boss.send("too much")
    ex = await boss.press("✅ Confirm")
    assert ex.answer is not None and "cannot exceed the available balance (30.50 USDT)" in ex.answer["text"]
    assert await row_counts(harness) == after
    # A debit within it works.
    await press(boss, card(target.id))
    await boss.press("💰 Adjust balance")
    await boss.send("-30.50")
    await boss.send("correction")
    ex = await boss.press("✅ Confirm")
    assert "30.50 → 0.00 USDT" in ex.text
    async with harness.rt.db.session() as session:
        adjustments = (
            await session.scalars(
                select(JournalEntry).where(
                    JournalEntry.entry_type == EntryType.ADJUSTMENT,
                    JournalEntry.created_by_admin_id.is_not(None),
                )
            )
        ).all()
        assert len(adjustments) == 2
        assert (await run_check(session)).ok
    audits = await _audit(harness, "balance_adjusted")
    assert [(a.amount, a.before, a.after) for a in audits] == [
        (Decimal("10.5"), {"available": "20"}, {"available": "30.5"}),
        (Decimal("-30.5"), {"available": "30.5"}, {"available": "0"}),
    ]


async def test_change_wallet_validated_unique_and_refused_with_open_payouts(harness: Harness) -> None:
    taken = random_wallet()
    async with harness.rt.db.transaction() as session:
        target = await make_user(session, telegram_id=8801, language="en")
        await make_user(session, telegram_id=8802, wallet=taken)
    owner = harness.user(8801, "Owner", language_code="en")
    owner.user.started = True
    boss = await admin_client(harness, 8901)
    await press(boss, card(target.id))
    await boss.press("👛 Change wallet")
    ex = await boss.send("0x123")
    assert "Not a wallet address" in ex.text
    await boss.send(taken.lower())
    ex = await boss.press("✅ Yes, change the wallet")
    assert ex.answer is not None and "Another user already has this wallet" in ex.answer["text"]
    new = random_wallet()
    await press(boss, card(target.id))
    await boss.press("👛 Change wallet")
    await boss.send(new)
    ex = await boss.press("✅ Yes, change the wallet")
    assert "Wallet changed" in ex.text and new in ex.text
    assert (await _user(harness, target.id)).wallet_address == new
    assert new in (await owner.wait_message("wallet was changed")).body
    # With an open payout the change is refused.
    async with harness.rt.db.transaction() as session:
        row = await session.get(User, target.id)
        assert row is not None
        await credit(session, row, "5")
        await make_payout(session, row, Decimal("5"))
    await press(boss, card(target.id))
    await boss.press("👛 Change wallet")
    await boss.send(random_wallet())
    ex = await boss.press("✅ Yes, change the wallet")
    assert ex.answer is not None and "open payouts" in ex.answer["text"]
    assert (await _user(harness, target.id)).wallet_address == new
    changed = await _audit(harness, "user_wallet_changed")
    assert len(changed) == 1 and changed[0].after == {"wallet": new}


async def test_user_pages(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        target = await make_user(session, telegram_id=9001)
        for _ in range(12):
            await credit(session, target, "1")
    admin = await admin_client(harness, 9101, role=AdminRole.ADMIN)
    await press(admin, card(target.id))
    ex = await admin.press("📒 Ledger")
    assert "12 entries" in ex.text and ex.text.count("adjustment") == 10
    ex = await admin.press("▶")
    assert ex.text.count("adjustment") == 2
    await press(admin, card(target.id))
    assert "Deposits of user" in (await admin.press("📥 Deposits")).text
    await press(admin, card(target.id))
    assert "Nothing yet" in (await admin.press("📤 Payouts")).text
    async with harness.rt.db.session() as session:
        assert await session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.actor_type == "admin")
        )

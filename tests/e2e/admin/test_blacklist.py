"""Blacklist screen through the real bot (SPEC §3.9.1–§3.9.2)."""

from __future__ import annotations

from sqlalchemy import select

from sigmatrade.db.models import AuditLog, Blacklist, User
from sigmatrade.domain.enums import AdminRole
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services.admin import blacklist as blacklist_svc
from sigmatrade.services.admin import user_actions
from tests.desk_helpers import desk_admin
from tests.e2e.admin.helpers import admin_client, row_counts, tap
from tests.factories import make_user, random_wallet


async def _entries(h: Harness) -> list[tuple[int | None, str | None, str | None]]:
    async with h.rt.db.session() as session:
        rows = (await session.scalars(select(Blacklist).order_by(Blacklist.id))).all()
        return [(r.telegram_id, r.wallet_address_lc, r.reason) for r in rows]


async def test_add_update_offer_ban_remove(harness: Harness) -> None:
    wallet = random_wallet()
    async with harness.rt.db.transaction() as session:
        user = await make_user(session, telegram_id=9301)
    admin = await admin_client(harness, 9401, role=AdminRole.ADMIN)
    ex = await tap(admin, "⛔ Blacklist")
    assert "is empty" in ex.text
    await tap(admin, "➕ Add")
    before = await row_counts(harness)
    ex = await admin.send("nonsense here")
    assert "Start with a Telegram id" in ex.text and await row_counts(harness) == before
    bad = wallet[:2] + wallet[2:].swapcase()
    if bad != wallet and bad[2:] not in (wallet[2:].lower(), wallet[2:].upper()):
        ex = await admin.send(bad)
        assert "checksum" in ex.text
    ex = await admin.send(f"777000 {wallet} card fraud")
    assert "Added to the blacklist" in ex.text
    assert await _entries(harness) == [(777000, wallet.lower(), "card fraud")]
    # A registered user's id: offered a ban.
    await tap(admin, "⬅️ Blacklist")
    await tap(admin, "➕ Add")
    ex = await admin.send("9301")
    assert f"registered user #{user.id}" in ex.text
    ex = await tap(admin, "🚫 Ban this user too")
    assert "Ban user" in ex.text
    ex = await tap(admin, "✅ Yes, ban")
    assert "User banned" in ex.text
    # Adding again updates the reason (idempotent).
    await admin.send("/admin")
    await tap(admin, "⛔ Blacklist")
    await tap(admin, "➕ Add")
    ex = await admin.send("777000 chargeback")
    assert "reason was updated" in ex.text
    assert (777000, wallet.lower(), "chargeback") in await _entries(harness)
    # The listed guest cannot register.
    guest = harness.user(777000, "Listed", language_code="en")
    ex = await guest.press_data("reg:start")
    assert ex.answer is not None and "not available" in ex.answer["text"]
    # Remove by wallet; removing again warns.
    await tap(admin, "⬅️ Blacklist")
    await tap(admin, "➖ Remove")
    ex = await admin.send(wallet.upper().replace("0X", "0x"))
    assert "Removed from the blacklist (1)" in ex.text
    await tap(admin, "⬅️ Blacklist")
    await tap(admin, "➖ Remove")
    ex = await admin.send(wallet)
    assert "Not in the blacklist" in ex.text
    assert await _entries(harness) == [(9301, None, None)]
    async with harness.rt.db.session() as session:
        actions = (
            await session.scalars(select(AuditLog.action).where(AuditLog.target_type == "blacklist"))
        ).all()
        assert list(actions) == [
            "blacklist_added",
            "blacklist_added",
            "blacklist_updated",
            "blacklist_removed",
        ]
        banned = await session.get(User, user.id)
        assert banned is not None and banned.is_banned


async def test_a_ban_or_blacklist_entry_never_locks_an_admin_out_of_the_panel(harness: Harness) -> None:
    """Any admin may ban users and blacklist ids; a super admin's own id banned (as a user) or
    blacklisted (as a guest) used to answer every /admin with the termination or blacklist notice."""
    plain = await desk_admin(harness.rt, AdminRole.ADMIN)
    banned_super = await admin_client(harness, 9_611, role=AdminRole.SUPER_ADMIN)
    async with harness.rt.db.transaction() as session:
        own_row = await make_user(session, telegram_id=9_611)
    async with harness.rt.db.session() as session:
        await user_actions.set_banned(session, plain, own_row.id, True, "rogue")
    ex = await banned_super.send("/session")
    assert "terminated" not in ex.text.lower()
    ex = await banned_super.send("/admin")
    assert "Admin panel" in ex.text
    blacklisted_super = await admin_client(harness, 9_612, role=AdminRole.SUPER_ADMIN)
    async with harness.rt.db.session() as session:
        await blacklist_svc.add(session, plain, blacklist_svc.Target(9_612, None, "rogue"))
    ex = await blacklisted_super.send("/admin")
    assert "Admin panel" in ex.text

"""Dead-lettered payouts through the real bot (SPEC §4.6.9, §5.9): a nonce conflict is resolved by a
super admin only, refused at the first button for anyone else; a dead-lettered withdrawal is decided on
the DLQ desk, never rejected from the withdrawal desk."""

from __future__ import annotations

from sigmatrade.bot.callbacks import Adm
from sigmatrade.domain.enums import AdminRole, PayoutStatus, RetryErrorKind
from sigmatrade.ledger import accounts
from sigmatrade.sandbox.harness import Harness
from sigmatrade.services import payout_pipeline as pipeline
from sigmatrade.services.admin import withdrawals as wd_desk
from tests.desk_helpers import balance, consistent, desk_admin, funded_user, payout, requested
from tests.e2e.admin.helpers import admin_client, press, row_counts


async def _dead_lettered(harness: Harness, kind: RetryErrorKind) -> tuple[int, int]:
    """An approved withdrawal of 25 moved to the DLQ; returns (user id, payout id)."""
    rt = harness.rt
    user = await funded_user(rt, "100")
    p = await requested(rt, user, "25")
    async with rt.db.session() as session:
        await wd_desk.approve(session, rt, await desk_admin(rt), p.id)
    failure = await pipeline.fail_attempt(rt.db, p.id, kind, "boom", dlq_now=True)
    assert failure is not None and failure.in_dlq
    return user.id, p.id


async def test_a_nonce_conflict_is_refused_to_an_extended_admin_at_the_first_button(harness: Harness) -> None:
    _, pid = await _dead_lettered(harness, RetryErrorKind.NONCE_CONFLICT)
    ext = await admin_client(harness, 5301, role=AdminRole.EXTENDED_ADMIN)
    sup = await admin_client(harness, 5302, role=AdminRole.SUPER_ADMIN)
    ex = await press(ext, Adm(sec="po", act="item", id=pid).pack())
    assert "Only a super admin can resolve this payout" in ex.text
    before = await row_counts(harness)
    for act in ("paid", "fail"):
        ex = await press(ext, Adm(sec="po", act=act, id=pid).pack())
        assert "super admin only" in str(ex.answer)
    ex = await ext.send(f"https://testnet.bscscan.com/tx/0x{'ab' * 32}")  # no link prompt was opened
    assert "resolved as paid" not in ex.text
    assert await row_counts(harness) == before
    ex = await press(sup, Adm(sec="po", act="paid", id=pid).pack())
    assert "checked on the chain" in ex.text


async def test_a_dead_lettered_withdrawal_cannot_be_rejected(harness: Harness) -> None:
    user_id, pid = await _dead_lettered(harness, RetryErrorKind.RPC)
    admin = await admin_client(harness, 5311, role=AdminRole.ADMIN)
    ex = await press(admin, Adm(sec="wd", act="view", id=pid).pack())
    assert "❌ Reject" not in ex.buttons()
    before = await row_counts(harness)
    ex = await press(admin, Adm(sec="wd", act="rejn", id=pid).pack())  # forged: the button is not shown
    assert "dead-letter queue" in str(ex.answer)
    assert await row_counts(harness) == before
    row = await payout(harness.rt, pid)
    assert (row.status, row.dead_lettered) == (PayoutStatus.APPROVED, True)
    assert await balance(harness.rt, accounts.held(user_id)) == 25
    await consistent(harness.rt)

"""Withdrawal desk through the real bot (SPEC §5.8, scenarios 40, 41, 43 admin halves): the panel button,
the queue with approvals k/n, the view, approve (double tap, the same admin twice, a second admin),
reject with a reason typed as HTML, and the refusals of a forged id."""

from __future__ import annotations

from decimal import Decimal

from sigmatrade.bot.callbacks import Adm
from sigmatrade.db.models import Payout, PayoutApproval
from sigmatrade.domain.enums import AdminRole, PayoutStatus
from sigmatrade.ledger import accounts
from sigmatrade.sandbox.harness import Harness
from tests.desk_helpers import balance, consistent, count, funded_user, payout, requested
from tests.e2e.admin.helpers import admin_client, press, row_counts

PANEL = Adm(sec="panel").pack()


async def test_queue_view_and_two_admin_approval(harness: Harness) -> None:
    rt = harness.rt
    user = await funded_user(rt, "2000", username="alice")
    harness.user(user.telegram_id, "Alice", language_code="en").user.started = True
    small = await requested(rt, user, "20")
    large = await requested(rt, user, "1000")
    first = await admin_client(harness, 5101, role=AdminRole.ADMIN)
    second = await admin_client(harness, 5102, role=AdminRole.ADMIN, language_code="ru")
    ex = await first.press("💸 Withdrawals")  # on the panel the login showed
    assert "Withdrawals awaiting approval: 2" in ex.text
    assert f"#{small.id}" in ex.text and "0/1" in ex.text and "0/2" in ex.text
    assert ex.text.index(f"#{small.id} ") < ex.text.index(f"#{large.id} ")  # oldest first
    ex = await first.press(f"#{large.id} · 1,000.00 USDT")
    assert "Net: 1,000.00 USDT" in ex.text and user.wallet_address in ex.text and "Approvals: 0/2" in ex.text
    ex = await first.press("✅ Approve")
    assert "a different admin must confirm" in str(ex.answer)
    assert "Approvals: 1/2" in ex.text
    ex = await press(first, Adm(sec="wd", act="ok", id=large.id).pack())
    assert "a different admin must confirm" in str(ex.answer)
    assert (await payout(rt, large.id)).status == PayoutStatus.REQUESTED
    ex = await press(second, Adm(sec="wd", act="view", id=large.id).pack())
    assert "Одобрения: 1/2" in ex.text
    ex = await second.press("✅ Одобрить")
    assert "одобрена" in str(ex.answer)
    assert (await payout(rt, large.id)).status == PayoutStatus.APPROVED
    ex = await press(second, Adm(sec="wd", act="ok", id=large.id).pack())  # a late tap
    assert "Уже обработано" in str(ex.answer)
    assert await count(rt, PayoutApproval, PayoutApproval.payout_id == large.id) == 2
    before = await row_counts(harness)
    ex = await press(first, Adm(sec="wd", act="ok", id=10**15).pack())  # forged id
    assert "Not found" in str(ex.answer)
    assert await row_counts(harness) == before
    await consistent(rt)


async def test_reject_with_a_reason_releases_and_tells_the_user_escaped(harness: Harness) -> None:
    rt = harness.rt
    user = await funded_user(rt, "100")
    client = harness.user(user.telegram_id, "Bob", language_code="en")
    client.user.started = True
    p = await requested(rt, user, "40")
    admin = await admin_client(harness, 5201, role=AdminRole.ADMIN)
    await press(admin, Adm(sec="wd", act="view", id=p.id).pack())
    ex = await admin.press("❌ Reject")
    assert "send the reason" in ex.text
    ex = await admin.send("<b>&")
    assert "rejected" in ex.text and "<b>&" in ex.text
    note = await client.wait_message("rejected")
    assert "Reason: <b>&" in note.body
    assert (await payout(rt, p.id)).status == PayoutStatus.REJECTED
    assert await balance(rt, accounts.available(user.id)) == Decimal(100)
    ex = await press(admin, Adm(sec="wd", act="rejn", id=p.id).pack())
    assert "no longer be rejected" in str(ex.answer)
    assert await count(rt, Payout, Payout.status == PayoutStatus.REJECTED) == 1
    await consistent(rt)

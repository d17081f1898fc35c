"""The admin panel (SPEC §5.8 "Panel"): attention counts and only the buttons the role allows."""

from __future__ import annotations

from decimal import Decimal

from sigmatrade.db.models import FinpassRecovery
from sigmatrade.domain.enums import AdminRole, PayoutStatus
from sigmatrade.sandbox.harness import Harness
from tests.e2e.admin.helpers import admin_client
from tests.factories import credit, make_payout, make_user


async def test_buttons_follow_the_role(harness: Harness) -> None:
    seen = {}
    for n, role in enumerate(AdminRole):
        client = await admin_client(harness, 9501 + n, role=role)
        seen[role] = set((await client.send("/admin")).buttons())
    assert {"👥 Users", "⛔ Blacklist"} <= seen[AdminRole.ADMIN]
    assert "👮 Admins" not in seen[AdminRole.ADMIN] | seen[AdminRole.EXTENDED_ADMIN]
    assert "👮 Admins" in seen[AdminRole.SUPER_ADMIN]


async def test_attention_counts(harness: Harness) -> None:
    async with harness.rt.db.transaction() as session:
        user = await make_user(session)
        other = await make_user(session)
        await credit(session, user, "50")
        await make_payout(session, user, Decimal("10"))
        await make_payout(session, user, Decimal("10"), status=PayoutStatus.APPROVED)
        session.add(FinpassRecovery(user_id=other.id))
    client = await admin_client(harness, 9601, role=AdminRole.ADMIN)
    text = (await client.send("/admin")).text
    assert "withdrawals awaiting approval: 1" in text
    assert "finpass requests: 1" in text
    assert "unmatched deposits: 0" in text and "DLQ: 0" in text and "open tickets: 0" in text

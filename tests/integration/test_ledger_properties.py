"""Random sequences of ledger operations keep every invariant (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sigmatrade.db.models import LedgerAccount, Payout
from sigmatrade.db.session import Database
from sigmatrade.domain.enums import PayoutStatus
from sigmatrade.ledger import accounts as acc
from sigmatrade.ledger import entries
from sigmatrade.ledger.check import run_check
from sigmatrade.ledger.journal import InsufficientFunds, post
from tests.factories import make_payout, make_user

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)
ops = st.lists(
    st.tuples(
        st.sampled_from(["credit", "debit", "hold", "release", "settle", "replay"]),
        st.integers(0, 2),
        amounts,
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops)
async def test_random_operations_keep_invariants(
    db: Database, sequence: list[tuple[str, int, Decimal]]
) -> None:
    async with db.transaction() as session:
        users = [await make_user(session) for _ in range(3)]
    model = {u.id: {"available": Decimal(0), "held": Decimal(0)} for u in users}
    open_payouts: dict[int, list[tuple[int, Decimal]]] = {u.id: [] for u in users}
    last_key: str | None = None
    for step, (op, who, amount) in enumerate(sequence):
        user = users[who]
        m = model[user.id]
        try:
            async with db.transaction() as session:
                if op == "credit":
                    last_key = f"adjust:p:{user.id}:{step}"
                    await post(session, entries.adjustment(user.id, amount, "prop", key=last_key))
                    m["available"] += amount
                elif op == "debit":
                    await post(
                        session,
                        entries.adjustment(user.id, -amount, "prop", key=f"adjust:d:{user.id}:{step}"),
                    )
                    m["available"] -= amount
                elif op == "hold":
                    payout = await make_payout(session, user, amount)
                    await post(session, entries.withdrawal_hold(payout.id, user.id, amount))
                    open_payouts[user.id].append((payout.id, amount))
                    m["available"] -= amount
                    m["held"] += amount
                elif op in ("release", "settle") and open_payouts[user.id]:
                    payout_id, held = open_payouts[user.id][0]
                    row = await session.get(Payout, payout_id)
                    assert row is not None
                    if op == "release":
                        row.status = PayoutStatus.CANCELLED
                        await post(session, entries.withdrawal_release(payout_id, user.id, held))
                        m["available"] += held
                    else:
                        row.status = PayoutStatus.CONFIRMED
                        fee = (held / 100).quantize(Decimal("0.01"))
                        await post(session, entries.payout_settled(payout_id, user.id, held, held - fee, fee))
                    m["held"] -= held
                    open_payouts[user.id].pop(0)
                elif op == "replay" and last_key is not None:
                    result = await post(session, entries.adjustment(user.id, amount, "prop", key=last_key))
                    assert not result.created
        except InsufficientFunds:
            assert op in ("debit", "hold")
            assert m["available"] < amount
    async with db.session() as session:
        report = await run_check(session)
        assert report.ok, report.render()
        for user in users:
            for kind, code in (("available", acc.available(user.id)), ("held", acc.held(user.id))):
                account = await session.get(LedgerAccount, await _account_id(session, code))
                assert account is not None and account.balance == model[user.id][kind]


async def _account_id(session: object, code: str) -> int:
    from sqlalchemy import select

    value = await session.scalar(select(LedgerAccount.id).where(LedgerAccount.code == code))  # type: ignore[attr-defined]
    assert value is not None
    return int(value)

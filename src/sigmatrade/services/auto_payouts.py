"""Automatic payouts (SPEC §3.7): every ``payout.auto_interval_minutes`` the payment processor creates,
for each verified, non-banned, non-earnings-blocked user with available ≥ ``payout.auto_threshold`` and
no open payout, one ``auto_payout`` holding the available balance rounded down to 0.01.

Idempotency key ``auto:<user_id>:<interval slot>``: two replicas (or two runs in one slot) create one
payout per user per slot. Each payout is its own transaction (payout row + ``withdrawal_hold`` + audit),
conditional on the balance (the hold fails cleanly if it changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from sigmatrade import clock
from sigmatrade.db.models import LedgerAccount, Payout, User
from sigmatrade.db.session import is_postgres
from sigmatrade.domain import withdrawals as rules_mod
from sigmatrade.domain.enums import OPEN_PAYOUT_STATUSES, AccountKind, PayoutKind
from sigmatrade.ledger import accounts, entries
from sigmatrade.ledger.journal import InsufficientFunds, post
from sigmatrade.logging import get_logger
from sigmatrade.ops.disk import AUTO_PAYOUTS
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit
from sigmatrade.services.withdrawals import load_rules, new_payout

log = get_logger("sigmatrade.auto_payouts")


@dataclass
class AutoReport:
    slot: int | None = None
    created: list[int] = field(default_factory=list)


def idempotency_key(user_id: int, slot: int) -> str:
    return f"auto:{user_id}:{slot}"


async def _candidates(rt: Runtime) -> list[tuple[int, Decimal]]:
    """Eligible users without an open payout and their available balance (compared in Python: money
    is never compared in SQLite SQL)."""
    open_payouts = select(Payout.user_id).where(
        Payout.status.in_(OPEN_PAYOUT_STATUSES), Payout.user_id.is_not(None)
    )
    query = (
        select(User.id, LedgerAccount.balance)
        .join(LedgerAccount, LedgerAccount.user_id == User.id)
        .where(
            LedgerAccount.kind == AccountKind.USER_AVAILABLE,
            User.is_verified.is_(True),
            User.is_banned.is_(False),
            User.earnings_blocked.is_(False),
            User.id.not_in(open_payouts),
        )
        .order_by(User.id)
    )
    async with rt.db.session() as session:
        rows = (await session.execute(query)).all()
        await session.commit()
    return [(int(uid), Decimal(balance)) for uid, balance in rows]


async def create_due(rt: Runtime) -> AutoReport:
    """Create this slot's automatic payouts (nothing when ``payout.auto_enabled`` is off or the disk
    guard paused them)."""
    report = AutoReport()
    if AUTO_PAYOUTS in rt.ops.paused:  # the disk guard's shed tier (SPEC §9.5)
        return report
    if not await rt.store.get("payout.auto_enabled"):
        return report
    interval = int(await rt.store.get("payout.auto_interval_minutes"))
    threshold: Decimal = await rt.store.get("payout.auto_threshold")
    rules = await load_rules(rt.store)
    slot = rules_mod.auto_slot(int(clock.now().timestamp()), interval)
    report.slot = slot
    for user_id, available in await _candidates(rt):
        if rules_mod.auto_payout(available, rules, threshold) is None:
            continue
        payout_id = await _create_one(rt, user_id, slot, rules, threshold)
        if payout_id is not None:
            report.created.append(payout_id)
    return report


async def _create_one(
    rt: Runtime, user_id: int, slot: int, rules: rules_mod.Rules, threshold: Decimal
) -> int | None:
    key = idempotency_key(user_id, slot)
    try:
        async with rt.db.transaction() as session:
            user = await session.get(User, user_id, with_for_update=is_postgres(session))
            if user is None or user.is_banned or not user.is_verified or user.earnings_blocked:
                return None
            exists = await session.scalar(
                select(Payout.id).where(
                    (Payout.idempotency_key == key)
                    | ((Payout.user_id == user_id) & Payout.status.in_(OPEN_PAYOUT_STATUSES))
                )
            )
            if exists is not None:
                return None
            available = await session.scalar(
                select(LedgerAccount.balance).where(LedgerAccount.code == accounts.available(user_id))
            )
            plan = rules_mod.auto_payout(Decimal(available or 0), rules, threshold)
            if plan is None:
                return None
            quote, approval = plan
            now = clock.now()
            payout = new_payout(
                PayoutKind.AUTO_PAYOUT,
                user,
                quote,
                approval,
                key=key,
                decimals=rt.config.usdt_decimals,
                now=now,
            )
            session.add(payout)
            await session.flush()
            await post(session, entries.withdrawal_hold(payout.id, user_id, quote.amount))
            await audit.log(
                session,
                audit.SYSTEM,
                "auto_payout_created",
                target_type="payout",
                target_id=payout.id,
                amount=quote.amount,
                before={"available": Decimal(available or 0)},
                after={"available": Decimal(available or 0) - quote.amount, "status": payout.status},
                details={"user_id": user_id, "slot": slot, "fee": quote.fee, "net": quote.net},
            )
            return payout.id
    except IntegrityError:
        return None  # another replica created this slot's payout first
    except InsufficientFunds:
        log.info("auto_payout_balance_changed", user_id=user_id)
        return None

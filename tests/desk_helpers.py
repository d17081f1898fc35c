"""Builders shared by the money-desk tests (admins, users with held withdrawals, consistency checks)."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from sigmatrade.db.models import Admin, LedgerAccount, Payout, User
from sigmatrade.domain.enums import AdminCreatedVia, AdminRole
from sigmatrade.ledger.check import run_check
from sigmatrade.runtime import Runtime
from sigmatrade.services import audit, settings
from sigmatrade.services import withdrawals as user_withdrawals
from tests.factories import credit, make_user

_tg = itertools.count(6_200_000)


async def desk_admin(rt: Runtime, role: AdminRole = AdminRole.ADMIN, telegram_id: int | None = None) -> Admin:
    async with rt.db.transaction() as session:
        admin = Admin(
            telegram_id=telegram_id or next(_tg), role=role, created_via=AdminCreatedVia.CLI, username=None
        )
        session.add(admin)
        await session.flush()
    return admin


async def funded_user(rt: Runtime, balance: str = "2000", **kwargs: Any) -> User:
    async with rt.db.transaction() as session:
        user = await make_user(session, language="en", **kwargs)
        await credit(session, user, balance)
    return user


async def requested(rt: Runtime, user: User, amount: str) -> Payout:
    """A withdrawal request made exactly as the user flow makes it (payout + hold + audit)."""
    async with rt.db.session() as session:
        payout, _ = await user_withdrawals.request(
            session, rt, user.id, flow_id=user_withdrawals.new_flow_id(), amount=Decimal(amount)
        )
    return payout


async def set_setting(rt: Runtime, key: str, value: Any) -> None:
    async with rt.db.transaction() as session:
        await settings.write(session, key, value, None)
    rt.store.invalidate()


async def balance(rt: Runtime, code: str) -> Decimal:
    async with rt.db.session() as session:
        value = await session.scalar(select(LedgerAccount.balance).where(LedgerAccount.code == code))
        return value if value is not None else Decimal(0)


async def count(rt: Runtime, model: Any, *where: Any) -> int:
    async with rt.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def payout(rt: Runtime, payout_id: int) -> Payout:
    async with rt.db.session() as session:
        row = await session.get(Payout, payout_id)
        assert row is not None
        return row


async def consistent(rt: Runtime) -> None:
    async with rt.db.session() as session:
        report = await run_check(session)
        assert report.ok, report.render()
        verified = await audit.verify(session)
        assert verified.ok, verified.render()


async def unmatched_item(rt: Runtime, amount: str, sender: str | None = None) -> int:
    """A confirmed transfer nobody's deposit matched, queued for review as the watcher queues it."""
    import secrets

    from sigmatrade.db.models import ChainTransfer
    from sigmatrade.domain.enums import ConfirmationStatus, MatchStatus, UnmatchedReason
    from sigmatrade.domain.money import amount_to_raw
    from sigmatrade.services import deposit_lifecycle
    from tests.factories import random_wallet

    value = Decimal(amount)
    async with rt.db.transaction() as session:
        transfer = ChainTransfer(
            chain_id=56,
            token_address="0x" + "55" * 20,
            tx_hash="0x" + secrets.token_hex(32),
            log_index=0,
            transfer_key=secrets.token_hex(32),
            block_number=100,
            block_hash="0x" + secrets.token_hex(32),
            from_address=(sender or random_wallet()).lower(),
            to_address="0x" + "66" * 20,
            raw_value=amount_to_raw(value, 18),
            amount=value,
            match_status=MatchStatus.UNMATCHED,
            unmatched_reason=UnmatchedReason.UNKNOWN_SENDER,
            confirmation_status=ConfirmationStatus.CONFIRMED,
        )
        session.add(transfer)
        await session.flush()
        queued = await deposit_lifecycle.queue_unmatched(
            session, transfer, UnmatchedReason.UNKNOWN_SENDER, None
        )
    return queued.item_id

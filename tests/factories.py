"""Direct-to-database builders for tests that need rows without going through the bot."""

from __future__ import annotations

import itertools
import secrets
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import Payout, User
from sigmatrade.domain.addresses import to_checksum
from sigmatrade.domain.enums import PayoutKind, PayoutStatus
from sigmatrade.domain.money import amount_to_raw
from sigmatrade.ledger.accounts import create_user_accounts

_seq = itertools.count(1)


def random_wallet() -> str:
    return to_checksum("0x" + secrets.token_hex(20))


async def make_user(
    session: AsyncSession,
    *,
    telegram_id: int | None = None,
    verified: bool = True,
    username: str | None = None,
    wallet: str | None = None,
) -> User:
    n = next(_seq)
    wallet = wallet or random_wallet()
    user = User(
        telegram_id=telegram_id or 9_000_000 + n,
        username=username,
        username_lc=username.lower() if username else None,
        wallet_address=wallet,
        wallet_address_lc=wallet.lower(),
        referral_code=f"T{n:07d}",
        finpass_hash="not-a-real-hash",
        finpass_updated_at=clock.now(),
        is_verified=verified,
    )
    session.add(user)
    await session.flush()
    await create_user_accounts(session, user.id)
    return user


async def make_payout(
    session: AsyncSession,
    user: User,
    amount: Decimal,
    *,
    fee: Decimal = Decimal(0),
    status: PayoutStatus = PayoutStatus.REQUESTED,
) -> Payout:
    payout = Payout(
        kind=PayoutKind.WITHDRAWAL,
        user_id=user.id,
        to_address=user.wallet_address,
        amount=amount,
        fee=fee,
        net_amount=amount - fee,
        raw_amount=amount_to_raw(amount - fee, 18),
        status=status,
        required_approvals=1,
        idempotency_key=f"test:{next(_seq)}:{secrets.token_hex(4)}",
        requested_at=clock.now(),
    )
    session.add(payout)
    await session.flush()
    return payout

"""Direct-to-database builders for tests that need rows without going through the bot.

Feature tests that need more specific builders keep them next to their tests.
"""

from __future__ import annotations

import itertools
import secrets
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade import clock
from sigmatrade.db.models import Admin, Payout, Referral, User
from sigmatrade.domain.addresses import to_checksum
from sigmatrade.domain.enums import AdminCreatedVia, AdminRole, PayoutKind, PayoutStatus
from sigmatrade.domain.money import amount_to_raw
from sigmatrade.ledger import entries
from sigmatrade.ledger.accounts import create_user_accounts
from sigmatrade.ledger.journal import post
from sigmatrade.services import crypto

_seq = itertools.count(1)
_hash_cache: dict[str, str] = {}


def random_wallet() -> str:
    return to_checksum("0x" + secrets.token_hex(20))


def finpass_hash(finpass: str) -> str:
    """argon2id hash, cached per password (hashing is deliberately slow)."""
    if finpass not in _hash_cache:
        _hash_cache[finpass] = crypto.hash_secret(finpass)
    return _hash_cache[finpass]


async def make_user(
    session: AsyncSession,
    *,
    telegram_id: int | None = None,
    verified: bool = True,
    username: str | None = None,
    wallet: str | None = None,
    finpass: str | None = None,
    language: str | None = None,
    referrer: User | None = None,
    banned: bool = False,
) -> User:
    """A registered user with its three ledger accounts and (if ``referrer``) closure rows."""
    n = next(_seq)
    wallet = wallet or random_wallet()
    user = User(
        telegram_id=telegram_id or 9_000_000 + n,
        username=username,
        username_lc=username.lower() if username else None,
        first_name=username or f"User{n}",
        language=language,
        wallet_address=wallet,
        wallet_address_lc=wallet.lower(),
        referral_code=f"T{n:07d}",
        referrer_id=referrer.id if referrer else None,
        finpass_hash=finpass_hash(finpass) if finpass else "not-a-real-hash",
        finpass_updated_at=clock.now(),
        is_verified=verified,
        verified_at=clock.now() if verified else None,
        is_banned=banned,
    )
    session.add(user)
    await session.flush()
    await create_user_accounts(session, user.id)
    if referrer is not None:
        session.add(Referral(ancestor_id=referrer.id, descendant_id=user.id, depth=1))
        uplines = (
            await session.execute(
                select(Referral.ancestor_id, Referral.depth).where(
                    Referral.descendant_id == referrer.id, Referral.depth <= 2
                )
            )
        ).all()
        for ancestor_id, depth in uplines:
            session.add(Referral(ancestor_id=ancestor_id, descendant_id=user.id, depth=depth + 1))
        await session.flush()
    return user


async def credit(session: AsyncSession, user: User, amount: Decimal | str) -> None:
    """Put ``amount`` on the user's available balance (an adjustment entry)."""
    await post(session, entries.adjustment(user.id, Decimal(amount), "test credit"))


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


ADMIN_KEY = "ABCD-EFGH-JKLM-NPQR"  # the default master key of test admins


async def make_admin(
    session: AsyncSession,
    *,
    telegram_id: int,
    role: AdminRole | str = AdminRole.SUPER_ADMIN,
    key: str | None = ADMIN_KEY,
    username: str | None = None,
) -> Admin:
    """An admin row with a known master key (``key=None``: no key set yet). Log in through the bot
    with ``tests.e2e.admin.helpers.login``."""
    admin = Admin(
        telegram_id=telegram_id,
        username=username,
        role=AdminRole(role),
        master_key_hash=finpass_hash(key) if key else None,
        created_via=AdminCreatedVia.CLI,
    )
    session.add(admin)
    await session.flush()
    return admin

"""Local nonce manager of the payout wallets (SPEC §2.16, §4.6.1, §4.6.3).

One sender per wallet: the DB lease ``payout_sender:<address>`` across replicas plus an asyncio lock
per wallet inside a process. The ``wallet_nonces`` row is locked (PostgreSQL ``FOR UPDATE``) while a
nonce is taken, in the same transaction that persists the signed transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from sigmatrade.db import leases
from sigmatrade.db.models import WalletNonce
from sigmatrade.db.session import Database, is_postgres

LEASE_SECONDS = 60.0
_locks: dict[str, asyncio.Lock] = {}


def lease_name(address: str) -> str:
    return f"payout_sender:{address.lower()}"


def wallet_lock(address: str) -> asyncio.Lock:
    return _locks.setdefault(address.lower(), asyncio.Lock())


@asynccontextmanager
async def sender_slot(db: Database, address: str, holder: str) -> AsyncIterator[bool]:
    """Yields True while this process is the wallet's only sender; False when another holds it."""
    lock = wallet_lock(address)
    if lock.locked():
        yield False
        return
    async with lock:
        if not await leases.acquire(db, lease_name(address), holder, LEASE_SECONDS):
            yield False
            return
        try:
            yield True
        finally:
            await leases.release(db, lease_name(address), holder)


async def reserve(session: AsyncSession, address: str, chain_pending: int) -> int:
    """Take the next nonce in the caller's transaction: max(next_nonce, chain pending count)."""
    key = address.lower()
    row = await session.get(WalletNonce, key, with_for_update=is_postgres(session), populate_existing=True)
    if row is None:
        row = WalletNonce(address=key, next_nonce=chain_pending)
        session.add(row)
    nonce = max(row.next_nonce, chain_pending)
    row.next_nonce = nonce + 1
    await session.flush()
    return nonce


async def peek(session: AsyncSession, address: str) -> int | None:
    row = await session.get(WalletNonce, address.lower(), populate_existing=True)
    return None if row is None else row.next_nonce
